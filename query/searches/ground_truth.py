"""What a budgeted search looks up: per-seed fitness and its cost, and the reported targets.

Every "training" of a simulated search is a table look-up: the fitness column
(``DATASET:SPLIT@EPOCHS``, e.g. NB201's 12-epoch ``cifar10-valid`` x-valid accuracy) of one
training seed of the arch, charged that seed's ``train_time_s`` plus ``eval_time_s`` (NATS-Bench's
``train-all-time + valid-per-time``; NB101 stores no evaluation time and charges training only).
The answer is reported on the study's targets (per arch, the mean over seeds by default), like
the ``naswot`` search.  The searched space is every arch with a fitness row and every target.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from naswot_db.names import ground_truth_space

from ..errors import QueryError
from ..selection import Source, fetch_columns
from ..targets import LABELS_VIEW, Target

# space -> (default fitness column, whether its ingest stores evaluation times)
_FITNESS_DEFAULTS: dict[str, tuple[str, bool]] = {
    "nb201": ("cifar10-valid:x-valid@12", True),
    "nats-sss": ("cifar10-valid:x-valid@12", True),
    "nb101": ("cifar10:valid@108", False),
}
_INGEST_SOURCES = {"nb201": "NATS-tss-v1_0-3ffb9-simple", "nats-sss": "NATS-sss-v1_0-50262-simple",
                   "nb101": "nasbench_only108.tfrecord"}


@dataclass(frozen=True)
class Fitness:
    """The ground-truth column a search optimises: one seed's accuracy, as trained."""

    dataset: str
    split: str
    epochs: int

    @property
    def spec(self) -> str:
        return f"{self.dataset}:{self.split}@{self.epochs}"


def parse_fitness(space: str, spec: str | None) -> Fitness:
    """``DATASET:SPLIT@EPOCHS``, or the space's default (NB201's 12-epoch C10 x-valid)."""
    if spec is None:
        spec = default_fitness(space)
    head, _, epochs = spec.partition("@")
    dataset, sep, split = head.partition(":")
    if not sep or not dataset or not split or not epochs.isdigit():
        raise QueryError(f"bad fitness {spec!r}; write DATASET:SPLIT@EPOCHS, "
                         f"e.g. cifar10-valid:x-valid@12")
    return Fitness(dataset, split, int(epochs))


def default_fitness(space: str) -> str:
    truth = ground_truth_space(space)
    if truth not in _FITNESS_DEFAULTS:
        raise QueryError(f"space {space!r} has no mutation, so REA, AREA and the budgeted "
                         f"random search cannot run on it; spaces: {', '.join(_FITNESS_DEFAULTS)}")
    return _FITNESS_DEFAULTS[truth][0]


@dataclass(frozen=True)
class EvaluationTables:
    """The searched space as arrays (row = arch, sorted by id).

    ``fitness``/``cost`` are (archs, seeds), seeds ascending and left-aligned, NaN past
    ``seed_counts``; ``accuracies`` is (archs, targets).
    """

    space: str
    fitness_column: Fitness
    arch_ids: np.ndarray
    arch_strs: list[str]
    encodings: list[str | None]
    seed_counts: np.ndarray
    fitness: np.ndarray
    cost: np.ndarray
    targets: list[Target]
    accuracies: np.ndarray

    @property
    def size(self) -> int:
        return len(self.arch_ids)


def _missing(space: str, fitness: Fitness, what: str) -> QueryError:
    truth = ground_truth_space(space)
    source = _INGEST_SOURCES.get(truth, "PATH")
    return QueryError(f"space {space!r} has no {what} for the fitness {fitness.spec}; ingest the "
                      f"benchmark's files with `naswot-db ingest --space {truth} --source "
                      f"{source}` (the shipped table holds 200-epoch means only)")


def align_ids(arch_ids: np.ndarray, ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Row in sorted ``arch_ids`` of each of ``ids``, and whether it is there at all."""
    if arch_ids.size == 0:
        return np.zeros(ids.size, dtype=np.int64), np.zeros(ids.size, dtype=bool)
    where = np.minimum(np.searchsorted(arch_ids, ids), arch_ids.size - 1)
    return where, arch_ids[where] == ids


def load_evaluation_tables(source: Source, space: str, fitness: Fitness,
                           targets: list[Target]) -> EvaluationTables:
    """Read the fitness rows (every seed, with times), the arch strings and the targets."""
    truth = ground_truth_space(space)
    needs_eval_time = _FITNESS_DEFAULTS.get(truth, ("", True))[1]
    rows = fetch_columns(source, (
        "SELECT arch_id, seed, accuracy, train_time_s, eval_time_s FROM accuracies "
        "WHERE space = ? AND dataset = ? AND split = ? AND epochs = ? AND seed IS NOT NULL "
        "ORDER BY arch_id, seed"), [truth, fitness.dataset, fitness.split, fitness.epochs])
    if rows["arch_id"].size == 0:
        raise _missing(space, fitness, "per-seed accuracies")
    train_time = rows["train_time_s"].astype(np.float64)
    eval_time = rows["eval_time_s"].astype(np.float64)
    if not np.isfinite(train_time).all():
        raise _missing(space, fitness, "training times")
    if needs_eval_time and not np.isfinite(eval_time).all():
        raise _missing(space, fitness, "evaluation times")
    cost = train_time + np.nan_to_num(eval_time, nan=0.0)

    arch_ids, first, counts = np.unique(rows["arch_id"], return_index=True, return_counts=True)
    slot = np.arange(rows["arch_id"].size) - np.repeat(first, counts)
    shape = (arch_ids.size, int(counts.max()))
    fitness_values, costs = np.full(shape, np.nan), np.full(shape, np.nan)
    arch_rows = np.repeat(np.arange(arch_ids.size), counts)
    fitness_values[arch_rows, slot] = rows["accuracy"]
    costs[arch_rows, slot] = cost

    accuracies = np.full((arch_ids.size, len(targets)), np.nan)
    for column, target in enumerate(targets):
        labels = fetch_columns(source, (
            f"SELECT arch_id, accuracy FROM {LABELS_VIEW} WHERE space = ? AND dataset = ? "
            "AND split = ? AND epochs = ?"), [truth, target.dataset, target.split, target.epochs])
        where, known = align_ids(arch_ids, labels["arch_id"])
        accuracies[where[known], column] = labels["accuracy"][known]
    archs = fetch_columns(source, "SELECT arch_id, arch_str, encoding FROM archs WHERE space = ?",
                          [truth])
    where, known = align_ids(arch_ids, archs["arch_id"])
    strings = np.full(arch_ids.size, None, dtype=object)
    encodings = np.full(arch_ids.size, None, dtype=object)
    strings[where[known]] = archs["arch_str"][known]
    encodings[where[known]] = archs["encoding"][known]
    keep = np.isfinite(accuracies).all(axis=1) & np.not_equal(strings, None)
    if not keep.any():
        raise QueryError(f"no arch of space {space!r} with {fitness.spec} ground truth has every "
                         f"target accuracy ({', '.join(t.label for t in targets)})")
    return EvaluationTables(space, fitness, arch_ids[keep], list(strings[keep]),
                            list(encodings[keep]), counts[keep], fitness_values[keep],
                            costs[keep], targets, accuracies[keep])
