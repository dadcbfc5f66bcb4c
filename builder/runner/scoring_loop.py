"""The per-arch loop of a build: build each network once, re-draw it per init seed, score batches.

A build computes one or several scores (:class:`~naswot_db.builder.scoring.Scorer` plug-ins
looked up by name).  Each arch's network is built once and re-drawn per init seed
(:mod:`.reinit`; once per output head: the space's own, or one unit per class for the
Suite-Zero scores' ``class_head``); each (init seed, batch) is scored by every score still
missing it, each scoring starting from the network as seeded (:mod:`.fresh_state`), so a
score's rows do not depend on the other scores of the build.  The scorers of one network and
batch share one :class:`~naswot_db.builder.scoring.passes.SharedPasses` (one cross-entropy
backward, one input-gradient pass, ...), except those that change weights.  A score that changes or re-initialises weights gets a
fresh copy of the seeded network, unless it is the network's very last scoring.  A score
needing no data gets a batch of ones; only a score needing labels gets the batch's labels.

A :class:`ScoringJob` is plain data, so the same per-arch work (:class:`ArchScorer`) runs in the
build process, in a local worker process (``--workers``) or in a Ray actor (``--engine ray``);
a local process writes its own atomic Parquet parts, a Ray actor returns its rows to the driver.
"""

from __future__ import annotations

import copy
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pyarrow as pa
import torch

from naswot_db.builder.scoring import STATUS_ERROR, ScoreResult, Scorer, get_scorer
from naswot_db.builder.scoring import SharedPasses
from naswot_db.builder.scoring.passes import plan_for
from naswot_db.builder.spaces import Space, get_space
from naswot_db.schema import write_part

from .allocator import keep_freed_memory
from .fresh_state import FreshState
from .part_merge import MERGE_PARTS, PartMerge
from .reinit import SeededNetwork

_FLUSH_SECONDS = 30.0


@dataclass(frozen=True)
class ScoringJob:
    """Which (arch, init seed, batch seed) scorings to do and where their rows go."""

    space: str  # canonical space name (the table partition)
    scores: tuple[str, ...]  # canonical score names, in the build's order
    root: Path
    arch_ids: np.ndarray
    # score -> (init, batch) seed -> bool mask over arch_ids of the scorings it lacks
    pending: dict[str, dict[tuple[int, int], np.ndarray]]
    positions: np.ndarray  # indices into arch_ids with any pending scoring
    init_seeds: list[int]
    batch_seeds: list[int]
    images: dict[int, torch.Tensor]  # batch seed -> CPU batch (empty: no score needs data)
    blank: torch.Tensor | None  # the batch of ones that scores needing no data see
    labels: dict[int, torch.Tensor]  # batch seed -> the batch's labels, for scores needing them
    config_ids: dict[str, str]  # score -> its config id (as if built alone)
    num_classes: int  # output units of the network that scores with a class head score
    device: str
    precision: str
    chunk_archs: int
    part_prefix: str
    static: dict  # columns shared by every row (dataset, batch size, run)
    # score -> its scorer's settings (a score not in it: its defaults)
    score_settings: dict[str, dict] = field(default_factory=dict)

    def scorings(self) -> int:
        """(score, init seed, batch seed) triples per arch: the rows of a fully pending arch."""
        return sum(len(pairs) for pairs in self.pending.values())


class ChunkWriter:
    """Collects score rows and writes them as atomic Parquet parts (--chunk-size archs or 30 s),
    merging every ``merge_parts`` of its parts into one (:mod:`.part_merge`)."""

    def __init__(self, job: ScoringJob, merge_parts: int = MERGE_PARTS) -> None:
        self.job = job
        self.merge = PartMerge(job.root, job.space, job.part_prefix, merge_parts)
        self.chunk_rows = max(1, job.chunk_archs * job.scorings())
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


class ArchScorer:
    """The per-arch work every engine shares: a job's space, scorers and batches on one device.

    ``space`` may be a copy that already holds its arch list (a Ray actor far from the root);
    ``scorers`` the build's own, resolved once (a worker process resolves its own).
    """

    def __init__(self, job: ScoringJob, space: Space | None = None,
                 device: torch.device | None = None,
                 scorers: dict[str, Scorer] | None = None) -> None:
        self.job = job
        self.space = get_space(job.space, job.root) if space is None else space
        self.scorers = ({name: get_scorer(name, job.score_settings.get(name))
                         for name in job.scores} if scorers is None else scorers)
        self.device = torch.device(job.device) if device is None else device
        keep_freed_memory()
        self.images = {seed: batch.to(self.device) for seed, batch in job.images.items()}
        self.blank = None if job.blank is None else job.blank.to(self.device)
        self.labels = {seed: labels.to(self.device) for seed, labels in job.labels.items()}

    def _head(self, scorer: Scorer) -> int | None:
        """The output units of the network ``scorer`` scores: one per class for a class-head
        score (Suite-Zero's networks), else the space's own (None)."""
        return self.job.num_classes if scorer.class_head else None

    def _turns(self, position: int, init_seed: int,
               head: int | None) -> list[tuple[int, list[Scorer]]]:
        """(batch seed, scorers of the network with ``head`` lacking it) at ``init_seed``;
        within a batch the scorers that change weights come last, so the last of them needs no
        copy of the network."""
        turns = []
        for batch_seed in self.job.batch_seeds:
            names = [name for name in self.job.scores
                     if self._head(self.scorers[name]) == head
                     and self.job.pending[name][(init_seed, batch_seed)][position]]
            if names:
                scorers = sorted((self.scorers[name] for name in names),
                                 key=lambda scorer: scorer.changes_weights)
                turns.append((batch_seed, scorers))
        return turns

    def rows(self, position: int) -> list[dict]:
        """The rows of every pending (score, init seed, batch seed) of the arch at ``position``.

        The arch's network is built once per output head its scores need (the space's own, or
        one unit per class) and re-drawn per init seed."""
        arch_id = int(self.job.arch_ids[position])
        raises = self.space.reference_raises(arch_id)
        for name, scorer in self.scorers.items():
            scorer.expect(int(sum(mask[position] for mask in self.job.pending[name].values())))
        rows: list[dict] = []
        for head in dict.fromkeys(self._head(scorer) for scorer in self.scorers.values()):
            turns = {init_seed: self._turns(position, init_seed, head)
                     for init_seed in self.job.init_seeds}
            turns = {init_seed: seed_turns for init_seed, seed_turns in turns.items()
                     if seed_turns}
            network = SeededNetwork(self._builder(arch_id, head), self.device, seeds=len(turns))
            fresh: FreshState | None = None  # of the network object the seeds re-draw
            for index, (init_seed, seed_turns) in enumerate(turns.items()):
                fresh = self._score_seed(network, fresh, arch_id, init_seed, seed_turns,
                                         raises, rows, final=index == len(turns) - 1)
        return rows

    def _builder(self, arch_id: int, head: int | None) -> Callable[[], torch.nn.Module]:
        if head is None:
            return lambda: self.space.build_model(arch_id)
        return lambda: self.space.build_model(arch_id, num_classes=head)

    def _score_seed(self, network: SeededNetwork, fresh: FreshState | None, arch_id: int,
                    init_seed: int, turns: list[tuple[int, list[Scorer]]], raises: bool,
                    rows: list[dict], final: bool) -> FreshState | None:
        """Seed the arch's network (built on the CPU) and score it with each pending scorer on
        each pending batch (``final``: no further seed re-draws it); return the network's
        :class:`FreshState` for its next seed."""
        build_start = time.perf_counter()
        try:
            model = network.for_seed(init_seed)
            build_error = None
        except Exception as exc:  # recorded per row: one broken arch must not stop the build
            model, build_error = None, f"{type(exc).__name__}: {exc}"
        build_s = time.perf_counter() - build_start
        scorings = [(batch_seed, scorer) for batch_seed, scorers in turns for scorer in scorers]
        if model is not None:
            if fresh is None or fresh.model is not model:  # a fresh build
                fresh = FreshState(model, self.device)
            else:  # re-drawn: weights, buffers and gradients as built, modes as last left
                fresh.reset_modes()
            if len(scorings) > 1:
                fresh.capture()
        passes: dict[bool, SharedPasses] = {}  # of the current batch: real images, or ones
        plans = {batch_seed: plan_for(scorers) for batch_seed, scorers in turns}
        for index, (batch_seed, scorer) in enumerate(scorings):
            if model is None:
                value, status, error, score_s = float("nan"), STATUS_ERROR, build_error, 0.0
            else:
                if index:
                    fresh.restore()  # what the scorings before left behind
                if index and batch_seed != scorings[index - 1][0]:
                    passes = {}  # the previous batch's passes are done with
                result = self._score(model, scorer, batch_seed, passes, plans[batch_seed],
                                     last=final and index == len(scorings) - 1)
                value, status, error, score_s = (result.value, result.status, result.error,
                                                 result.time_s)
            rows.append({"score": scorer.name, "config_id": self.job.config_ids[scorer.name],
                         "arch_id": arch_id, "init_seed": init_seed, "batch_seed": batch_seed,
                         "value": value, "status": status, "error": error,
                         "reference_raises": raises, "time_s": build_s + score_s})
        return fresh

    def _score(self, model: torch.nn.Module, scorer: Scorer, batch_seed: int,
               passes: dict[bool, SharedPasses], plan: frozenset[str],
               last: bool) -> ScoreResult:
        """One scoring: the scorer's inputs, the passes it shares with the other scorers of
        this network and batch (``plan``: the passes they read), and its own copy of the network
        when it changes weights and the network is scored again after it."""
        images = self.images[batch_seed] if scorer.needs_batch else self.blank
        labels = self.labels[batch_seed] if scorer.needs_labels else None
        tf32 = self.job.precision == "tf32"
        if scorer.changes_weights:
            scored, shared = (model if last else copy.deepcopy(model)), None
        else:
            scored = model
            shared = passes.get(scorer.needs_batch)
            if shared is None:
                # a loss on labels needs the class head: a one-output network's passes (nwot's
                # codes, jacov's gradient) run without labels
                with_labels = scorer.needs_batch and scorer.class_head
                shared = passes[scorer.needs_batch] = SharedPasses(
                    model, images, self.labels.get(batch_seed) if with_labels else None,
                    allow_tf32=tf32, plan=plan)
        return scorer.score(scored, images, labels, allow_tf32=tf32, passes=shared)


def error_rows(rows: list[dict]) -> int:
    return sum(row["status"] == STATUS_ERROR for row in rows)


def run_scoring_job(job: ScoringJob, on_arch: Callable[[], None],
                    positions: Iterable[int] | None = None,
                    arch_scorer: ArchScorer | None = None) -> tuple[int, int]:
    """Score the pending (arch, seed)s of ``job`` at ``positions`` (default: all of them), with
    ``arch_scorer`` (default: one made from the job, as a worker process does).

    Returns (rows written, error rows).
    """
    arch_scorer = ArchScorer(job) if arch_scorer is None else arch_scorer
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
