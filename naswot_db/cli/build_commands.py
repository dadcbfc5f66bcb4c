"""``naswot-db build`` and ``naswot-db ingest``: the commands that write a database root."""

from __future__ import annotations

from pathlib import Path

import click

from naswot_db.core.errors import NaswotDbError
from naswot_db.core.names import SPLITS, canonical_ingest_space
from naswot_db.core.scores import DEFAULT_SCORE

from .options import dataset_option, int_list_option, root_option, scores_option, space_option

_LARGE_SPACE = 1000


def _note_whole_space(space: str, replicates: int) -> None:
    """Before a build of a whole large space: how much it queues and, where measured, how
    long that takes, so nobody starts 32,768 archs by leaving out --limit."""
    from naswot_db.core.spaces import space_info

    info = space_info(space)
    archs = info.arch_count
    if archs is None or archs < _LARGE_SPACE:
        return
    per_arch = info.measured_s_per_arch
    expected = (f"at the measured {per_arch} s per arch (2 CPU cores, --workers 2) about "
                f"{archs * per_arch / 3600:.1f} h per replicate" if per_arch else
                "its time per arch is not measured yet; the progress bar estimates it")
    click.echo(f"Note: no --limit or --arch-ids: this build queues all {archs:,} {space} archs x "
               f"{replicates} replicate(s), skipping what the root stores; {expected}.", err=True)


def _settings_help() -> str:
    """Each score setting of the catalogue, its type and default, and which scores have it."""
    from naswot_db.core.score_settings import scores_phrase, settings_listing

    return "; ".join(f"{setting.name} ({setting.kind.__name__}, default {setting.default}; "
                     f"{scores_phrase(scores)}): {setting.doc}"
                     for setting, scores in settings_listing())


@click.command()
@space_option(required=True)
@dataset_option(help_text="Dataset of the scoring batch, e.g. cifar10.", required=True)
@scores_option(DEFAULT_SCORE, "each network is built and each batch drawn once for all of them, "
                             "each score's rows keyed as if built alone; a score a group selects "
                             "that the space cannot run is skipped with a note", expand=False)
@click.option("--score-setting", "score_settings", multiple=True, metavar="[SCORE.]NAME=VALUE",
              help="A setting that changes a score's values (repeatable; it enters the score's "
                   "config id); without SCORE, every score of the build that has it. "
                   f"Settings: {_settings_help()}.")
@root_option
@click.option("--data-root", type=click.Path(path_type=Path), default=None,
              help="Folder with the dataset's files [default: download CIFAR into the cache]; "
                   "not read when every score needs no data.")
@int_list_option("--init-seeds", "init seeds", "0", "Init seeds.")
@int_list_option("--batch-seeds", "batch seeds", "0", "Batch seeds.")
@click.option("--batch-size", default=128, show_default=True, type=click.IntRange(min=1))
@click.option("--limit", type=click.IntRange(min=1), default=None,
              help="Only the first N archs of the selection.")
@int_list_option("--arch-ids", "arch ids", None, "Only these arch ids.")
@click.option("--shard", default=None, help="Shard K/N of the selection (1-based).")
@click.option("--device", default="auto", show_default=True, help="auto, cpu, cuda or cuda:i.")
@click.option("--split", type=click.Choice(SPLITS), default="all", show_default=True,
              help="Training images to draw from; nb201-train = the reference's --trainval half.")
@click.option("--precision", type=click.Choice(["fp32", "tf32"]), default="fp32",
              show_default=True, help="tf32 lets CUDA convolutions use TF32 (changes scores).")
@click.option("--chunk-size", default=64, show_default=True, type=click.IntRange(min=1),
              help="Archs per Parquet part (also flushed every 30 s).")
@click.option("--threads", type=click.IntRange(min=1), default=None, help="CPU threads for torch.")
@click.option("--workers", type=click.IntRange(min=1), default=None,
              help="Processes (local) or Ray actors sharing the work [default: a CPU build of "
                   "50 or more scorings: one single-thread process per --threads (the cores), "
                   "measured fastest; otherwise 1].")
@click.option("--engine", type=click.Choice(["local", "ray"]), default="local",
              show_default=True, help="local: processes here; ray: actors of a Ray cluster.")
@click.option("--ray-address", default=None,
              help="Ray cluster to join (auto or HOST:PORT) [default: start Ray here].")
@click.option("--gpus-per-worker", type=click.FloatRange(min=0), default=None,
              help="Ray: GPUs per actor, fractions share a GPU [default: the cluster's GPUs "
                   "shared evenly, at most 1; 0 for --device cpu].")
@click.option("--cpus-per-worker", type=click.FloatRange(min=0, min_open=True), default=1.0,
              show_default=True, help="Ray: CPUs per actor (also its torch threads).")
@click.option("--compact/--no-compact", default=True, show_default=True,
              help="At the end, compact the space's scores when they hold more than "
                   "--compact-above parts outside compactions (as `naswot-db compact` does).")
@click.option("--compact-above", type=click.IntRange(min=0), default=None, metavar="PARTS",
              help="How many parts outside compactions a build may leave uncompacted "
                   "[default: 64, BuildConfig's].")
@click.option("--quiet", is_flag=True, help="No progress bar.")
def build(space: str, dataset: str, scores: str, score_settings: tuple[str, ...],
          root: Path | None, data_root: Path | None,
          init_seeds: list[int], batch_seeds: list[int], batch_size: int, limit: int | None,
          arch_ids: list[int] | None, shard: str | None, device: str, split: str, precision: str,
          chunk_size: int, threads: int | None, workers: int | None, engine: str,
          ray_address: str | None, gpus_per_worker: float | None, cpus_per_worker: float,
          compact: bool, compact_above: int | None, quiet: bool) -> None:
    """Score a space's archs into ROOT/scores, skipping what is already stored."""
    import torch  # the builder and torch load only when a build runs, not for --help

    from naswot_db.builder.runner import BuildConfig, Shard, run_build
    from naswot_db.schema import default_root

    if threads is not None:
        torch.set_num_threads(threads)
    config = BuildConfig(
        space=space, dataset=dataset, score=scores, score_settings=score_settings,
        root=root or default_root(),
        data_root=data_root, init_seeds=init_seeds, batch_seeds=batch_seeds,
        batch_size=batch_size, arch_ids=arch_ids, limit=limit,
        shard=None if shard is None else Shard.parse(shard), device=device, split=split,
        precision=precision, chunk_size=chunk_size, workers=workers, engine=engine,
        ray_address=ray_address, gpus_per_worker=gpus_per_worker,
        cpus_per_worker=cpus_per_worker, compact=compact, progress=not quiet,
        **({} if compact_above is None else {"compact_above": compact_above}))
    if limit is None and arch_ids is None:
        _note_whole_space(space, len(init_seeds) * len(batch_seeds))
    summary = run_build(config)
    click.echo(f"Please cite: {'; '.join(dict.fromkeys(summary.citations))}", err=True)
    click.echo(f"run {summary.run_id}: {summary.rows_written} rows written, "
               f"{summary.rows_skipped} already stored, {summary.errors} errors, "
               f"{summary.archs_selected} archs selected, {summary.elapsed_s:.1f} s "
               f"({_configs(summary.config_ids)})")
    if summary.compaction:
        click.echo(summary.compaction)


def _configs(config_ids: dict[str, str]) -> str:
    """``config ID`` for one score; ``configs naswot ID, jacov ID`` for several."""
    if len(config_ids) == 1:
        return f"config {next(iter(config_ids.values()))}"
    return "configs " + ", ".join(f"{score} {cfg}" for score, cfg in config_ids.items())


INGEST_FORMATS = ("benchmark", "naslib-zc")


def _ingest_space(_ctx, _param, name: str | None) -> str | None:
    return None if name is None else canonical_ingest_space(name)


@click.command()
@click.option("--space", default=None, callback=_ingest_space,
              help="Space whose ground truth SOURCE holds, or nds for every NDS file of a "
                   "folder [naslib-zc: told by the file's keys].")
@click.option("--source", required=True, type=click.Path(path_type=Path),
              help="The benchmark's own file or directory, or a NASLib zc_<space>.json.")
@click.option("--format", "fmt", type=click.Choice(INGEST_FORMATS), default="benchmark",
              show_default=True,
              help="benchmark: ground truth into archs and accuracies; naslib-zc: NASLib's "
                   "published zero-cost proxy values (NAS-Bench-Suite-Zero) into scores, as "
                   "their own configuration.")
@click.option("--batch-size", type=click.IntRange(min=1), default=None,
              help="naslib-zc: the batch the values were computed with [default: 64, "
                   "Suite-Zero's datasheet].")
@root_option
def ingest(space: str | None, source: Path, fmt: str, batch_size: int | None,
           root: Path | None) -> None:
    """Read a benchmark's ground-truth files into ROOT/archs and ROOT/accuracies, or published
    proxy values (--format naslib-zc) into ROOT/scores."""
    from naswot_db.schema import default_root

    root = root or default_root()
    if fmt == "naslib-zc":
        _ingest_peer_values(source, root, space, batch_size)
        return
    if space is None:
        raise NaswotDbError("ingest needs --space (the benchmark SOURCE belongs to)")
    if batch_size is not None:
        raise NaswotDbError("--batch-size belongs to --format naslib-zc")
    from naswot_db.builder.ingest import ingest_ground_truth
    from naswot_db.builder.spaces import get_space
    from naswot_db.query.shipped import shipped_spaces
    from naswot_db.schema import ACCURACIES

    for name, (archs, accuracies) in ingest_ground_truth(space, source, root).items():
        click.echo(f"{name}: {archs} archs, {accuracies} accuracy rows from {source}")
        ingested_space = get_space(name, root)
        total = ingested_space.arch_table().num_rows
        partial = (f"{source} holds {archs:,} of {name}'s {total:,} archs; "
                   if archs < total else "")  # e.g. a NATS directory holding a few arch files
        if name in shipped_spaces(root, ACCURACIES):
            click.echo(f"Note: {partial}its accuracy rows add to the ground truth shipped with "
                       f"naswot-db in the columns they fill (dataset, split, epochs), winning "
                       f"on the keys they hold; `naswot-db info --root {root}` counts the "
                       f"shipped rows and the root's own", err=True)
        elif partial:
            click.echo(f"Note: {partial}this root's {name} ground truth is now those "
                       f"{archs:,} (ingest the whole benchmark for the rest)", err=True)
        click.echo(f"Please cite: {ingested_space.citation}", err=True)


def _ingest_peer_values(source: Path, root: Path, space: str | None,
                        batch_size: int | None) -> None:
    """``ingest --format naslib-zc``: store a NASLib zero-cost file's values as scores."""
    from naswot_db.distribution.peer_values import (
        SUITE_ZERO_BATCH_SIZE, SUITE_ZERO_CITATION, ingest_peer_values)
    from naswot_db.query.shipped import shipped_spaces
    from naswot_db.schema import SCORES

    result = ingest_peer_values(source, root, space, batch_size or SUITE_ZERO_BATCH_SIZE)
    if result.already_stored:
        click.echo(f"{result.space}: the {result.rows:,} values of {source} are already stored "
                   f"(config {result.config_id}); nothing written")
        return
    sentinels = (f", {result.sentinels} of them Suite-Zero's failure sentinel (stored as "
                 "status error, value NaN)" if result.sentinels else "")
    proxies = f"{len(result.scores)} prox{'ies' if len(result.scores) > 1 else 'y'}"
    click.echo(f"{result.space}: {result.rows:,} score rows ({proxies}: "
               f"{', '.join(result.scores)}; datasets {', '.join(result.datasets)}){sentinels} "
               f"from {source} as config {result.config_id}")
    if result.space in shipped_spaces(root, SCORES):
        click.echo(f"Note: the {result.space} NASWOT scores shipped with naswot-db stay beside "
                   f"these as a configuration of their own", err=True)
    click.echo(f"Please cite: {SUITE_ZERO_CITATION}", err=True)
