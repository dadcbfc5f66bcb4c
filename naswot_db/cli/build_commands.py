"""``naswot-db build`` and ``naswot-db ingest``: the commands that write a database root."""

from __future__ import annotations

from pathlib import Path

import click

from naswot_db.names import SPLITS

_root_option = click.option(
    "--root", type=click.Path(file_okay=False, path_type=Path), default=None,
    help="Database root [default: $NASWOT_DB_ROOT, else the per-user data folder].")


@click.command()
@click.option("--space", required=True, help="Search space, e.g. nb201, nb101, nats-sss, nds_darts.")
@click.option("--dataset", required=True, help="Dataset of the scoring batch, e.g. cifar10.")
@_root_option
@click.option("--data-root", type=click.Path(path_type=Path), default=None,
              help="Folder with the dataset's files [default: download CIFAR into the cache].")
@click.option("--init-seeds", default="0", show_default=True, help="Init seeds, e.g. 0-4 or 0,3.")
@click.option("--batch-seeds", default="0", show_default=True, help="Batch seeds, e.g. 0-2.")
@click.option("--batch-size", default=128, show_default=True, type=int)
@click.option("--limit", type=int, default=None, help="Only the first N archs of the selection.")
@click.option("--arch-ids", default=None, help="Only these arch ids, e.g. 0-99,512.")
@click.option("--shard", default=None, help="Shard K/N of the selection (1-based).")
@click.option("--device", default="auto", show_default=True, help="auto, cpu, cuda or cuda:i.")
@click.option("--split", type=click.Choice(SPLITS), default="all", show_default=True,
              help="Training images to draw from; nb201-train = the reference's --trainval half.")
@click.option("--precision", type=click.Choice(["fp32", "tf32"]), default="fp32",
              show_default=True, help="tf32 lets CUDA convolutions use TF32 (changes scores).")
@click.option("--chunk-size", default=64, show_default=True, type=int,
              help="Archs per Parquet part (also flushed every 30 s).")
@click.option("--threads", type=int, default=None, help="CPU threads for torch.")
@click.option("--workers", type=int, default=1, show_default=True,
              help="Processes sharing the work (and the threads); on a CPU use one per core.")
@click.option("--quiet", is_flag=True, help="No progress bar.")
def build(space: str, dataset: str, root: Path | None, data_root: Path | None, init_seeds: str,
          batch_seeds: str, batch_size: int, limit: int | None, arch_ids: str | None,
          shard: str | None, device: str, split: str, precision: str, chunk_size: int,
          threads: int | None, workers: int, quiet: bool) -> None:
    """Score a space's archs into ROOT/scores, skipping what is already stored."""
    import torch  # the builder and torch load only when a build runs, not for --help

    from naswot_db.builder.runner import BuildConfig, Shard, parse_int_list, run_build
    from naswot_db.builder.spaces import get_space
    from naswot_db.schema import default_root

    if threads is not None:
        if threads < 1:
            raise click.BadParameter(f"must be >= 1, got {threads}", param_hint="--threads")
        torch.set_num_threads(threads)
    config = BuildConfig(
        space=space, dataset=dataset, root=root or default_root(), data_root=data_root,
        init_seeds=parse_int_list(init_seeds, "init seeds"),
        batch_seeds=parse_int_list(batch_seeds, "batch seeds"), batch_size=batch_size,
        arch_ids=parse_int_list(arch_ids, "arch ids") if arch_ids else None, limit=limit,
        shard=Shard.parse(shard) if shard else None, device=device, split=split,
        precision=precision, chunk_size=chunk_size, workers=workers, progress=not quiet)
    summary = run_build(config)
    click.echo(f"Please cite: {get_space(space, config.root).citation}", err=True)
    click.echo(f"run {summary.run_id}: {summary.rows_written} rows written, "
               f"{summary.rows_skipped} already stored, {summary.errors} errors, "
               f"{summary.archs_selected} archs selected, {summary.elapsed_s:.1f} s "
               f"(config {summary.config_id})")


@click.command()
@click.option("--space", required=True, help="Space whose ground truth SOURCE holds.")
@click.option("--source", required=True, type=click.Path(path_type=Path),
              help="The benchmark's own file or directory.")
@_root_option
def ingest(space: str, source: Path, root: Path | None) -> None:
    """Read a benchmark's ground-truth files into ROOT/archs and ROOT/accuracies."""
    from naswot_db.builder.ingest import ingest_ground_truth
    from naswot_db.builder.spaces import get_space
    from naswot_db.schema import default_root

    root = root or default_root()
    for name, (archs, accuracies) in ingest_ground_truth(space, source, root).items():
        click.echo(f"{name}: {archs} archs, {accuracies} accuracy rows from {source}")
        click.echo(f"Please cite: {get_space(name, root).citation}", err=True)
