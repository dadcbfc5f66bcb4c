"""The per-arch loop of a build: build each network once, re-draw it per init seed, score batches.

The score is a :class:`~naswot_db.builder.scoring.Scorer` plug-in looked up by name; one that
changes the model's weights gets a fresh copy of the seeded network for each batch.

A :class:`ScoringJob` is plain data, so the same per-arch work (:class:`ArchScorer`) runs in the
build process, in a local worker process (``--workers``) or in a Ray actor (``--engine ray``);
a local process writes its own atomic Parquet parts, a Ray actor returns its rows to the driver.
"""

from __future__ import annotations

import copy
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import torch

from naswot_db.builder.scoring import STATUS_ERROR, Scorer, get_scorer
from naswot_db.builder.spaces import Space, get_space
from naswot_db.schema import write_part

from .allocator import keep_freed_memory
from .part_merge import MERGE_PARTS, PartMerge
from .reinit import SeededNetwork

_FLUSH_SECONDS = 30.0


@dataclass(frozen=True)
class ScoringJob:
    """Which (arch, init seed, batch seed) scorings to do and where their rows go."""

    space: str  # canonical space name (the table partition)
    score: str  # score plug-in name
    root: Path
    arch_ids: np.ndarray
    pending: dict[tuple[int, int], np.ndarray]  # (init, batch) seed -> bool mask over arch_ids
    positions: np.ndarray  # indices into arch_ids with any pending scoring
    init_seeds: list[int]
    batch_seeds: list[int]
    images: dict[int, torch.Tensor]  # batch seed -> CPU batch
    labels: dict[int, torch.Tensor]  # batch seed -> the batch's labels, for scores needing them
    device: str
    precision: str
    chunk_archs: int
    part_prefix: str
    static: dict  # columns shared by every row (score, dataset, batch size, config, run)


class ChunkWriter:
    """Collects score rows and writes them as atomic Parquet parts (--chunk-size archs or 30 s),
    merging every ``merge_parts`` of its parts into one (:mod:`.part_merge`)."""

    def __init__(self, job: ScoringJob, merge_parts: int = MERGE_PARTS) -> None:
        self.job = job
        self.merge = PartMerge(job.root, job.space, job.part_prefix, merge_parts)
        self.chunk_rows = max(1, job.chunk_archs * len(job.pending))
        self.rows: list[dict] = []
        self.parts = 0
        self.written = 0
        self.last_flush = time.monotonic()

    def add(self, rows: list[dict]) -> None:
        """Take one arch's rows; write a part when a chunk is full or 30 s have passed."""
        self.rows.extend(rows)
        if (len(self.rows) >= self.chunk_rows
                or bool(self.rows) and time.monotonic() - self.last_flush > _FLUSH_SECONDS):
            self.flush()

    def flush(self) -> None:
        if self.rows:
            table = pa.Table.from_pylist([{**self.job.static, **row} for row in self.rows])
            part = write_part(self.job.root, "scores", table, space=self.job.space,
                              part_name=f"{self.job.part_prefix}-{self.parts:05d}")
            self.parts += 1
            self.written += len(self.rows)
            self.merge.add(part, len(self.rows))
            self.rows = []
        self.last_flush = time.monotonic()


def _score_arch(network: SeededNetwork, scorer: Scorer, arch_id: int, init_seed: int,
                batch_seeds: list[int], images: dict[int, torch.Tensor],
                labels: dict[int, torch.Tensor], precision: str, raises: bool,
                rows: list[dict]) -> int:
    """Seed the arch's network (built on the CPU) and score it on each pending batch."""
    build_start = time.perf_counter()
    try:
        model = network.for_seed(init_seed)
        build_error = None
    except Exception as exc:  # recorded per row: one broken arch must not stop the build
        model, build_error = None, f"{type(exc).__name__}: {exc}"
    build_s = time.perf_counter() - build_start
    errors = 0
    for batch_seed in batch_seeds:
        if model is None:
            value, status, error, score_s = float("nan"), STATUS_ERROR, build_error, 0.0
        else:
            scored = (copy.deepcopy(model) if scorer.changes_weights and len(batch_seeds) > 1
                      else model)
            result = scorer.score(scored, images[batch_seed], labels.get(batch_seed),
                                  allow_tf32=precision == "tf32")
            value, status, error, score_s = (result.value, result.status, result.error,
                                             result.time_s)
        errors += status == STATUS_ERROR
        rows.append({"arch_id": arch_id, "init_seed": init_seed, "batch_seed": batch_seed,
                     "value": value, "status": status, "error": error,
                     "reference_raises": raises, "time_s": build_s + score_s})
    return errors


class ArchScorer:
    """The per-arch work every engine shares: a job's space, scorer and batches on one device.

    ``space`` may be a copy that already holds its arch list (a Ray actor far from the root).
    """

    def __init__(self, job: ScoringJob, space: Space | None = None,
                 device: torch.device | None = None) -> None:
        self.job = job
        self.space = get_space(job.space, job.root) if space is None else space
        self.scorer = get_scorer(job.score)
        self.device = torch.device(job.device) if device is None else device
        keep_freed_memory()
        self.images = {seed: batch.to(self.device) for seed, batch in job.images.items()}
        self.labels = {seed: labels.to(self.device) for seed, labels in job.labels.items()}

    def rows(self, position: int) -> list[dict]:
        """The rows of every pending (init seed, batch seed) of the arch at ``position``."""
        job = self.job
        arch_id = int(job.arch_ids[position])
        raises = self.space.reference_raises(arch_id)
        pending = {init_seed: [b for b in job.batch_seeds if job.pending[(init_seed, b)][position]]
                   for init_seed in job.init_seeds}
        pending = {init_seed: seeds for init_seed, seeds in pending.items() if seeds}
        network = SeededNetwork(lambda: self.space.build_model(arch_id), self.device,
                                seeds=len(pending))
        self.scorer.expect(sum(len(seeds) for seeds in pending.values()))
        rows: list[dict] = []
        for init_seed, seeds in pending.items():
            _score_arch(network, self.scorer, arch_id, init_seed, seeds, self.images,
                        self.labels, job.precision, raises, rows)
        return rows


def error_rows(rows: list[dict]) -> int:
    return sum(row["status"] == STATUS_ERROR for row in rows)


def run_scoring_job(job: ScoringJob, on_arch: Callable[[], None],
                    positions: Iterable[int] | None = None) -> tuple[int, int]:
    """Score the pending (arch, seed)s of ``job`` at ``positions`` (default: all of them).

    Returns (rows written, error rows).
    """
    arch_scorer = ArchScorer(job)
    writer = ChunkWriter(job)
    errors = 0
    try:
        for position in job.positions if positions is None else positions:
            rows = arch_scorer.rows(position)
            errors += error_rows(rows)
            writer.add(rows)
            on_arch()
    finally:
        writer.flush()  # completed rows are valid even when interrupted
    return writer.written, errors
