"""The build runner: score every selected arch x init seed x batch seed not yet in the root,
for each score of the build.

Everything that can be wrong with the input (scores, space, dataset, data root, device, arch
ids) is checked before the first byte is written.  The space, the scorers and the batches are
resolved once per build, for all its scores; each score keeps its own config id, lock and
resume, exactly as if it were built alone.  Rows are written in chunks, each chunk one Parquet
part written atomically, so a killed build loses at most the chunk in flight and a restart
skips exactly what is stored.
"""

from __future__ import annotations

import dataclasses
import hashlib
import sys
import time
import uuid
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pyarrow.dataset as ds
import torch
from tqdm.auto import tqdm

from naswot_db.builder.datasets import get_dataset, load_batch
from naswot_db.builder.datasets.batches import (
    Batch, constant_batch, pool_positions, tensor_fingerprint,
)
from naswot_db.builder.scoring import Scorer, get_scorer
from naswot_db.builder.spaces import Space, get_space
from naswot_db.schema import RUNS, SCORES, check_root, part_files, prepare_root, write_part
from naswot_db.schema.locks import exclusive, shared
from naswot_db.schema.parts import refuse_foreign_parts
from naswot_db.schema.layout import partition_dir, remove_stale_temps
from naswot_db.schema.storage import run_rows_present

from .config import BuildConfig, BuildError, config_id
from .devices import default_workers, resolve_device, worker_devices
from .end_compaction import compact_after_build
from .provenance import device_name, runs_row, utc_now
from .ray_engine import RaySettings, import_ray, run_in_ray
from .scoring_loop import ArchScorer, ScoringJob, run_scoring_job
from .space_support import runnable_scores
from .workers import run_in_workers, sendable_scorer


@dataclass(frozen=True)
class BuildSummary:
    """What a build did."""

    run_id: str
    config_ids: dict[str, str]  # score -> config id, in the build's score order
    archs_selected: int
    rows_written: int  # over all scores
    rows_skipped: int
    errors: int
    elapsed_s: float
    citations: list[str] = field(default_factory=list)  # the space's, then each score's
    compaction: str | None = None  # what the end-of-build compaction did, or why it did not

    @property
    def config_id(self) -> str:
        """The config ids, comma-separated in score order (one id for a one-score build)."""
        return ",".join(self.config_ids.values())


def select_arch_ids(space: Space, config: BuildConfig) -> np.ndarray:
    """The arch ids this build covers: explicit ids or all, then --limit, then --shard."""
    all_ids = np.asarray(space.arch_table().column("arch_id").to_numpy(), dtype=np.int64)
    if config.arch_ids is not None:
        ids = np.asarray(config.arch_ids, dtype=np.int64)
        unknown = np.setdiff1d(ids, all_ids)
        if unknown.size:
            raise BuildError(f"arch ids not in space {space.name}: "
                             f"{', '.join(map(str, unknown[:10]))}"
                             f"{' ...' if unknown.size > 10 else ''}")
    else:
        ids = all_ids
    if config.limit is not None:
        if config.limit < 1:
            raise BuildError(f"--limit must be >= 1, got {config.limit}")
        ids = ids[: config.limit]
    if config.shard is not None:
        ids = ids[config.shard.index - 1 :: config.shard.count]
    return ids


def stored_pairs(root: Path, space: str, dataset: str, batch_size: int,
                 config_ids: dict[str, str]) -> dict[str, dict[tuple[int, int], np.ndarray]]:
    """Per score, the arch ids already scored per (init_seed, batch_seed), for the score's exact
    configuration (``config_ids``: score -> config id); one read of the partition for all."""
    files = part_files(root, SCORES, space)
    stored: dict[str, dict[tuple[int, int], np.ndarray]] = {score: {} for score in config_ids}
    if not files:
        return stored
    refuse_foreign_parts(SCORES, files)  # a corrupt part: one line naming it and the fix
    table = ds.dataset([str(f) for f in files], format="parquet").to_table(
        columns=["score", "config_id", "arch_id", "init_seed", "batch_seed"],
        filter=(ds.field("dataset") == dataset) & (ds.field("batch_size") == batch_size)
        & ds.field("config_id").isin(list(config_ids.values()))
        & ds.field("score").isin(list(config_ids)))
    score = np.asarray(table.column("score").to_pylist(), dtype=object)
    cfg = np.asarray(table.column("config_id").to_pylist(), dtype=object)
    arch = table.column("arch_id").to_numpy()
    init = table.column("init_seed").to_numpy()
    batch = table.column("batch_seed").to_numpy()
    for name, cfg_id in config_ids.items():
        mine = (score == name) & (cfg == cfg_id)
        for i, b in set(zip(init[mine].tolist(), batch[mine].tolist())):
            stored[name][(i, b)] = np.unique(arch[mine & (init == i) & (batch == b)])
    return stored


def _data_identity(dataset, data_root: Path, split: str) -> str:
    """Identifies the image files (a subset and the full set give different scores)."""
    pool = pool_positions(dataset, data_root, split)
    probe = tensor_fingerprint(dataset.load_images(data_root, pool[:8]))
    return hashlib.sha256(f"{dataset.name}:{len(pool)}:{probe}".encode()).hexdigest()[:16]


@dataclass(frozen=True)
class _Inputs:
    """What the build's scorers read: real batches if any needs data, ones if any needs none."""

    batches: dict[int, Batch]  # batch seed -> images (and labels when a score needs them)
    blank: Batch | None  # the batch of ones (the dataset's shape) of scores needing no data
    data_identity: str | None  # the image files' identity, when batches were loaded

    def identity(self, scorer: Scorer) -> str:
        """What a config id records of the data ``scorer`` sees."""
        return self.data_identity if scorer.needs_batch else "no data"

    def fingerprints(self, batch_seeds: list[int]) -> dict[int, str]:
        """Batch seed -> fingerprint of the images scored (real ones when any were loaded)."""
        return {seed: (self.batches[seed] if self.batches else self.blank).fingerprint
                for seed in batch_seeds}


def _load_inputs(config: BuildConfig, dataset, scorers: list[Scorer]) -> _Inputs:
    """Each batch drawn once for every scorer; nothing read when no scorer needs data."""
    batches, data_identity = {}, None
    if any(scorer.needs_batch for scorer in scorers):
        data_root = dataset.resolve_root(config.data_root)
        labels = any(scorer.needs_labels for scorer in scorers)
        batches = {seed: load_batch(dataset, data_root, seed, config.batch_size, config.split,
                                    with_labels=labels)
                   for seed in config.batch_seeds}
        data_identity = _data_identity(dataset, data_root, config.split)
    blank = (None if all(scorer.needs_batch for scorer in scorers)
             else constant_batch(dataset, config.batch_size))
    return _Inputs(batches, blank, data_identity)


def _scorers(config: BuildConfig) -> list[Scorer]:
    """The build's scorers, each resolved once, checked to reach the engine's processes."""
    scorers = [get_scorer(name, config.settings_of(name)) for name in config.scores]
    if config.engine == "local" and (config.workers or 1) > 1:
        for scorer in scorers:  # a plug-in that cannot reach the workers: before any write
            sendable_scorer(scorer.name)
    return scorers


def _all_sendable(scorers: list[Scorer]) -> bool:
    """Whether every scorer can reach ``--workers`` processes (a default may then use them)."""
    try:
        for scorer in scorers:
            sendable_scorer(scorer.name)
    except BuildError:
        return False
    return True


def run_build(config: BuildConfig) -> BuildSummary:
    """Score what the root lacks for ``config``; return what was done."""
    start = time.monotonic()
    if config.engine == "ray":
        import_ray()  # missing Ray is one error line before anything is written
    check_root(config.root)
    space = get_space(config.space, config.root)
    runnable = runnable_scores(dataclasses.replace(config, space=space.name))
    config = runnable.config
    scorers = _scorers(config)
    dataset = get_dataset(config.dataset)
    if dataset.name not in space.score_datasets:
        raise BuildError(f"space {space.name} is scored on {', '.join(space.score_datasets)}, "
                         f"not {dataset.name}")
    # the ray engine's actors resolve the device on their own machines
    device = resolve_device("cpu" if config.engine == "ray" else config.device)
    arch_ids = select_arch_ids(space, config)
    inputs = _load_inputs(config, dataset, scorers)
    config_ids = {scorer.name: config_id(config, scorer.name, scorer.settings(),
                                         _model_config(space, dataset, scorer),
                                         inputs.identity(scorer))
                  for scorer in scorers}
    prepare_root(config.root)
    for note in runnable.notes:  # before the progress bar: the build goes on without them
        print(f"Note: {note}.", file=sys.stderr)
    shard = f" shard {config.shard}" if config.shard else ""
    with ExitStack() as locks:
        # per score, the locks its one-score build takes, in one order (config id): no deadlock;
        # shards of one configuration run side by side; a whole build excludes them all
        for score, cfg_id in sorted(config_ids.items(), key=lambda item: item[1]):
            whole = f"build-{space.name}-{cfg_id}"
            what = f"a build of {score} on {space.name}/{dataset.name} (config {cfg_id}"
            if config.shard:
                locks.enter_context(shared(config.root, whole, what + ", unsharded)"))
                locks.enter_context(exclusive(config.root,
                                              f"{whole}{shard.replace('/', '-of-')}",
                                              f"{what}{shard})"))
            else:
                locks.enter_context(exclusive(config.root, whole, what + ", whole or sharded)"))
        for directory in (partition_dir(config.root, SCORES, space.name),
                          partition_dir(config.root, RUNS, None)):
            remove_stale_temps(directory)  # what a killed build of this root left behind
        summary = _score_missing(config, scorers, space, dataset, device, arch_ids, inputs,
                                 config_ids, start)
    if not config.compact:
        return summary
    return dataclasses.replace(summary, compaction=compact_after_build(config.root, space.name,
                                                                        config.compact_above),
                               elapsed_s=time.monotonic() - start)


def _model_config(space: Space, dataset, scorer: Scorer) -> dict:
    """The network settings ``scorer``'s values depend on: the space's, and the class head's
    output units for a class-head score."""
    if scorer.class_head:
        return space.model_config() | {"num_classes": dataset.num_classes}
    return space.model_config()


def _pending(config: BuildConfig, space: Space, dataset, arch_ids: np.ndarray,
             config_ids: dict[str, str]) -> dict[str, dict[tuple[int, int], np.ndarray]]:
    """Per score and (init seed, batch seed), a mask over ``arch_ids`` of what the root lacks."""
    done = stored_pairs(config.root, space.name, dataset.name, config.batch_size, config_ids)
    none = np.empty(0, np.int64)
    return {score: {(i, b): ~np.isin(arch_ids, done[score].get((i, b), none))
                    for i in config.init_seeds for b in config.batch_seeds}
            for score in config_ids}


def _score_missing(config: BuildConfig, scorers: list[Scorer], space: Space, dataset,
                   device: torch.device, arch_ids: np.ndarray, inputs: _Inputs,
                   config_ids: dict[str, str], start: float) -> BuildSummary:
    """Score the (score, arch, seed)s the root lacks; the caller holds the build's locks."""
    pending = _pending(config, space, dataset, arch_ids, config_ids)
    masks = [mask for pairs in pending.values() for mask in pairs.values()]
    todo = np.logical_or.reduce(masks)
    skipped = len(arch_ids) * len(masks) - int(sum(mask.sum() for mask in masks))
    run_id = f"{utc_now():%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:8]}"
    started = utc_now()
    fingerprints = inputs.fingerprints(config.batch_seeds)

    ray = config.engine == "ray"
    positions = np.flatnonzero(todo)
    scorings = len(arch_ids) * len(masks) - skipped
    wanted = config.workers or default_workers(device, config.engine, scorings,
                                               _all_sendable(scorers))
    workers = min(wanted, len(positions))  # no process without an arch
    local_devices = worker_devices(device, max(1, workers))
    devices = [] if ray else [device_name(d) for d in local_devices]  # Ray actors report theirs

    def record_run(finished, rows):
        where = ", ".join(dict.fromkeys(devices)) or f"ray ({config.ray_address or 'local'})"
        described = config.describe() | {
            "model": space.model_config(), "config_ids": config_ids,
            "score_settings": {scorer.name: scorer.settings() for scorer in scorers},
            "workers": wanted, "worker_devices": devices}
        write_part(config.root, "runs",
                   runs_row(run_id, started, finished, where, config.precision, described,
                            ",".join(config_ids.values()), fingerprints, rows),
                   part_name=run_id)

    record_run(None, 0)
    job = ScoringJob(
        space=space.name, scores=config.scores, root=config.root, arch_ids=arch_ids,
        pending=pending, positions=positions, init_seeds=list(config.init_seeds),
        batch_seeds=list(config.batch_seeds),
        images={seed: batch.images for seed, batch in inputs.batches.items()},
        blank=None if inputs.blank is None else inputs.blank.images,
        labels={seed: batch.labels for seed, batch in inputs.batches.items()
                if batch.labels is not None},
        config_ids=config_ids, score_settings=config.score_settings,
        num_classes=dataset.num_classes,
        device=config.device if ray else str(device),
        precision=config.precision, chunk_archs=config.chunk_size, part_prefix=run_id,
        static={"dataset": dataset.name, "batch_size": config.batch_size, "run_id": run_id})
    written = errors = 0
    try:
        with tqdm(total=len(job.positions), unit="arch", disable=not config.progress,
                  desc=f"{space.name}/{dataset.name}", dynamic_ncols=True) as bar:
            if ray and workers:
                settings = RaySettings(config.ray_address, workers, config.gpus_per_worker,
                                       config.cpus_per_worker)
                written, errors, devices[:] = run_in_ray(job, space, settings,
                                                         lambda: bar.update(1))
            elif workers > 1:
                written, errors = run_in_workers(job, local_devices, lambda: bar.update(1))
            else:
                arch_scorer = ArchScorer(job, space, device,
                                         {scorer.name: scorer for scorer in scorers})
                written, errors = run_scoring_job(job, lambda: bar.update(1),
                                                  arch_scorer=arch_scorer)
    except (MemoryError, torch.cuda.OutOfMemoryError) as exc:
        raise BuildError(f"out of memory ({type(exc).__name__}); finished rows are kept: lower "
                         "--batch-size or --workers and rerun the same command") from None
    finally:  # counted from the parts that landed: right when a worker was killed too
        record_run(utc_now(), run_rows_present(config.root, space.name, run_id))
    return BuildSummary(run_id, config_ids, len(arch_ids), written, skipped, errors,
                        time.monotonic() - start,
                        citations=[space.citation, *(scorer.citation for scorer in scorers)])
