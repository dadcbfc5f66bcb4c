"""The build runner: score every selected arch x init seed x batch seed not yet in the root.

Everything that can be wrong with the input (space, dataset, data root, device, arch ids) is
checked before the first byte is written.  Rows are written in chunks, each chunk one Parquet
part written atomically, so a killed build loses at most the chunk in flight and a restart
skips exactly what is stored.
"""

from __future__ import annotations

import dataclasses
import hashlib
import time
import uuid
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow.dataset as ds
import torch
from tqdm.auto import tqdm

from naswot_db.builder.datasets import get_dataset, load_batch
from naswot_db.builder.datasets.batches import constant_batch, pool_positions, tensor_fingerprint
from naswot_db.builder.scoring import get_scorer
from naswot_db.builder.spaces import Space, get_space
from naswot_db.schema import RUNS, SCORES, check_root, part_files, prepare_root, write_part
from naswot_db.schema.locks import exclusive, shared
from naswot_db.schema.parts import refuse_foreign_parts
from naswot_db.schema.storage import partition_dir, remove_stale_temps, run_rows_present

from .config import ENGINES, PRECISIONS, BuildConfig, BuildError, config_id
from .devices import resolve_device, worker_devices
from .end_compaction import compact_after_build
from .provenance import device_name, runs_row, utc_now
from .ray_engine import RaySettings, import_ray, run_in_ray
from .scoring_loop import ScoringJob, run_scoring_job
from .workers import run_in_workers, sendable_scorer


@dataclass(frozen=True)
class BuildSummary:
    """What a build did."""

    run_id: str
    config_id: str
    archs_selected: int
    rows_written: int
    rows_skipped: int
    errors: int
    elapsed_s: float
    compaction: str | None = None  # what the end-of-build compaction did, or why it did not


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


def stored_pairs(root: Path, space: str, score: str, dataset: str, batch_size: int,
                 cfg_id: str) -> dict[tuple[int, int], np.ndarray]:
    """Arch ids already scored, per (init_seed, batch_seed), for this exact configuration."""
    files = part_files(root, SCORES, space)
    if not files:
        return {}
    refuse_foreign_parts(SCORES, files)  # a corrupt part: one line naming it and the fix
    table = ds.dataset([str(f) for f in files], format="parquet").to_table(
        columns=["arch_id", "init_seed", "batch_seed"],
        filter=(ds.field("dataset") == dataset) & (ds.field("batch_size") == batch_size)
        & (ds.field("config_id") == cfg_id) & (ds.field("score") == score))
    arch = table.column("arch_id").to_numpy()
    init = table.column("init_seed").to_numpy()
    batch = table.column("batch_seed").to_numpy()
    pairs: dict[tuple[int, int], np.ndarray] = {}
    for i, b in set(zip(init.tolist(), batch.tolist())):
        pairs[(i, b)] = np.unique(arch[(init == i) & (batch == b)])
    return pairs


def _data_identity(dataset, data_root: Path, split: str) -> str:
    """Identifies the image files (a subset and the full set give different scores)."""
    pool = pool_positions(dataset, data_root, split)
    probe = tensor_fingerprint(dataset.load_images(data_root, pool[:8]))
    return hashlib.sha256(f"{dataset.name}:{len(pool)}:{probe}".encode()).hexdigest()[:16]


def run_build(config: BuildConfig) -> BuildSummary:
    """Score what the root lacks for ``config``; return what was done."""
    start = time.monotonic()
    if config.precision not in PRECISIONS:
        raise BuildError(f"unknown precision {config.precision!r}; choose {', '.join(PRECISIONS)}")
    if config.batch_size < 1:
        raise BuildError(f"--batch-size must be >= 1, got {config.batch_size}")
    if config.workers < 1:
        raise BuildError(f"--workers must be >= 1, got {config.workers}")
    if not config.init_seeds or not config.batch_seeds:
        raise BuildError("at least one init seed and one batch seed are needed")
    if config.engine not in ENGINES:
        raise BuildError(f"unknown engine {config.engine!r}; choose {', '.join(ENGINES)}")
    if config.engine == "ray":
        import_ray()  # missing Ray is one error line before anything is written
    config = dataclasses.replace(config, init_seeds=sorted(set(config.init_seeds)),
                                 batch_seeds=sorted(set(config.batch_seeds)),
                                 arch_ids=(None if config.arch_ids is None
                                           else sorted(set(config.arch_ids))))
    check_root(config.root)
    scorer = get_scorer(config.score)
    if config.engine == "local" and config.workers > 1:
        sendable_scorer(scorer.name)  # a plug-in that cannot reach the workers: before any write
    space = get_space(config.space, config.root)
    config = dataclasses.replace(config, space=space.name, score=scorer.name)
    dataset = get_dataset(config.dataset)
    if dataset.name not in space.score_datasets:
        raise BuildError(f"space {space.name} is scored on {', '.join(space.score_datasets)}, "
                         f"not {dataset.name}")
    # the ray engine's actors resolve the device on their own machines
    device = resolve_device("cpu" if config.engine == "ray" else config.device)
    arch_ids = select_arch_ids(space, config)
    if scorer.needs_batch:
        data_root = dataset.resolve_root(config.data_root)
        batches = {seed: load_batch(dataset, data_root, seed, config.batch_size, config.split,
                                    with_labels=scorer.needs_labels)
                   for seed in config.batch_seeds}
        data_identity = _data_identity(dataset, data_root, config.split)
    else:  # a data-free score sees a batch of ones of the dataset's shape, the same everywhere
        batches = {seed: constant_batch(dataset, config.batch_size)
                   for seed in config.batch_seeds}
        data_identity = "no data"
    cfg_id = config_id(config, scorer.settings(), space.model_config(), data_identity)
    prepare_root(config.root)
    shard = f" shard {config.shard}" if config.shard else ""
    whole = f"build-{space.name}-{cfg_id}"
    what = f"a build of {space.name} on {dataset.name} (config {cfg_id}"
    with ExitStack() as locks:
        # shards of one configuration run side by side; a whole build excludes them all
        if config.shard:
            locks.enter_context(shared(config.root, whole, what + ", unsharded)"))
            locks.enter_context(exclusive(config.root, f"{whole}{shard.replace('/', '-of-')}",
                                          f"{what}{shard})"))
        else:
            locks.enter_context(exclusive(config.root, whole, what + ", whole or sharded)"))
        for directory in (partition_dir(config.root, SCORES, space.name),
                          partition_dir(config.root, RUNS, None)):
            remove_stale_temps(directory)  # what a killed build of this root left behind
        summary = _score_missing(config, scorer, space, dataset, device, arch_ids, batches,
                                 cfg_id, start)
    if not config.compact:
        return summary
    return dataclasses.replace(summary, compaction=compact_after_build(config.root, space.name),
                               elapsed_s=time.monotonic() - start)


def _score_missing(config: BuildConfig, scorer, space: Space, dataset, device: torch.device,
                   arch_ids: np.ndarray, batches: dict, cfg_id: str,
                   start: float) -> BuildSummary:
    """Score the (arch, seed) pairs the root lacks; the caller holds the build lock."""
    done = stored_pairs(config.root, space.name, scorer.name, dataset.name, config.batch_size,
                        cfg_id)
    pending = {pair: ~np.isin(arch_ids, done.get(pair, np.empty(0, np.int64)))
               for pair in ((i, b) for i in config.init_seeds for b in config.batch_seeds)}
    todo = np.zeros(len(arch_ids), dtype=bool)
    for mask in pending.values():
        todo |= mask
    skipped = len(arch_ids) * len(pending) - int(sum(m.sum() for m in pending.values()))
    run_id = f"{utc_now():%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:8]}"
    started = utc_now()
    fingerprints = {seed: batch.fingerprint for seed, batch in batches.items()}

    ray = config.engine == "ray"
    positions = np.flatnonzero(todo)
    workers = min(config.workers, len(positions))  # no process without an arch
    local_devices = worker_devices(device, max(1, workers))
    devices = [] if ray else [device_name(d) for d in local_devices]  # Ray actors report theirs

    def record_run(finished, rows):
        where = ", ".join(dict.fromkeys(devices)) or f"ray ({config.ray_address or 'local'})"
        write_part(config.root, "runs",
                   runs_row(run_id, started, finished, where, config.precision,
                            config.describe() | {"model": space.model_config(),
                                                 "score_settings": scorer.settings(),
                                                 "worker_devices": devices}, cfg_id,
                            fingerprints, rows), part_name=run_id)

    record_run(None, 0)
    job = ScoringJob(
        space=space.name, score=scorer.name, root=config.root, arch_ids=arch_ids, pending=pending,
        positions=positions, init_seeds=list(config.init_seeds),
        batch_seeds=list(config.batch_seeds),
        images={seed: batch.images for seed, batch in batches.items()},
        labels={seed: batch.labels for seed, batch in batches.items()
                if batch.labels is not None},
        device=config.device if ray else str(device),
        precision=config.precision, chunk_archs=config.chunk_size, part_prefix=run_id,
        static={"score": scorer.name, "dataset": dataset.name, "batch_size": config.batch_size,
                "config_id": cfg_id, "run_id": run_id})
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
                written, errors = run_scoring_job(job, lambda: bar.update(1))
    except (MemoryError, torch.cuda.OutOfMemoryError) as exc:
        raise BuildError(f"out of memory ({type(exc).__name__}); finished rows are kept: lower "
                         "--batch-size or --workers and rerun the same command") from None
    finally:  # counted from the parts that landed: right when a worker was killed too
        record_run(utc_now(), run_rows_present(config.root, space.name, run_id))
    return BuildSummary(run_id, cfg_id, len(arch_ids), written, skipped, errors,
                        time.monotonic() - start)
