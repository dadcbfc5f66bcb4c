"""What a budgeted search looks up: per-seed fitness and its cost, and the reported targets.

Every "training" of a simulated search is a table look-up: the fitness column
(``DATASET:SPLIT@EPOCHS``, e.g. NB201's 12-epoch ``cifar10-valid`` x-valid accuracy) of one
training seed of the arch, charged that seed's ``train_time_s`` plus ``eval_time_s`` (NATS-Bench's
``train-all-time + valid-per-time``; NB101 stores no evaluation time and charges training only).
The answer is reported on the study's targets (per arch, the mean over seeds by default), like
the ``naswot`` search.  The searched space is every arch with a fitness row and every target.

Ground truth without per-seed rows (NB201's shipped 12-epoch table holds seed means only) is
searched on the seed means, one "seed" per arch; ground truth without times (the shipped
table again) is charged NB201's modelled cost (:mod:`.cost_model`) where the model describes the
fitness.  Measured per-seed values and times, when a root has them, always win; the tables say
which of each they hold, and every caption repeats it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from naswot_db.core.spaces import ground_truth_space, space_info, space_names

from ..errors import QueryError
from ..selection import Source, fetch_columns
from ..targets import LABELS_VIEW, Target
from .cost_model import MODELLED_COST, MODELLED_FITNESS, MODELLED_SPACE, nb201_cost_12ep

ONE_SEED = "one random seed"
SEED_MEAN = "seed mean; no per-seed values stored"
MEASURED_COST = "measured: the ground truth's training + evaluation times"


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
    """The fitness its descriptor names (:mod:`naswot_db.core.spaces`; nb101-original: NB101's)."""
    fitness = space_info(ground_truth_space(space)).default_fitness
    if fitness is None:
        searched = [name for name in space_names() if space_info(name).default_fitness]
        raise QueryError(f"space {space!r} has no mutation, so REA, AREA and the budgeted "
                         f"random search cannot run on it; spaces: {', '.join(searched)}")
    return fitness


@dataclass(frozen=True)
class EvaluationTables:
    """The searched space as arrays (row = arch, sorted by id).

    ``fitness``/``cost`` are (archs, seeds), seeds ascending and left-aligned, NaN past
    ``seed_counts``; ``accuracies`` is (archs, targets).  ``fitness_source`` says whether a
    training draws one seed's value (:data:`ONE_SEED`) or reads the seed mean
    (:data:`SEED_MEAN`), ``cost_source`` whether the cost is measured or modelled.
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
    fitness_source: str = ONE_SEED
    cost_source: str = MEASURED_COST

    @property
    def size(self) -> int:
        return len(self.arch_ids)


def _missing(space: str, fitness: Fitness, what: str) -> QueryError:
    truth = ground_truth_space(space)
    source = space_info(truth).ingest_source
    shipped = (" (a root without NB201 ground truth of its own reads the shipped 12-epoch seed "
               "means)" if truth == MODELLED_SPACE else "")
    return QueryError(f"space {space!r} has no {what} for the fitness {fitness.spec}; ingest the "
                      f"benchmark's files with `naswot-db ingest --space {truth} --source "
                      f"{source}`{shipped}")


def _fitness_rows(source: Source, truth: str, fitness: Fitness) -> tuple[dict, str]:
    """The fitness rows, every seed ascending; the seed means where no seed has its own."""
    query = ("SELECT arch_id, seed, accuracy, train_time_s, eval_time_s FROM accuracies "
             "WHERE space = ? AND dataset = ? AND split = ? AND epochs = ? AND seed IS {} NULL "
             "ORDER BY arch_id, seed")
    params = [truth, fitness.dataset, fitness.split, fitness.epochs]
    rows = fetch_columns(source, query.format("NOT"), params)
    if rows["arch_id"].size:
        return rows, ONE_SEED
    return fetch_columns(source, query.format(""), params), SEED_MEAN


def _measured_cost(rows: dict, space: str, fitness: Fitness) -> np.ndarray | None:
    """train + eval time per row; None when no row has a time and the cost model describes
    the fitness (then it is charged instead)."""
    truth = ground_truth_space(space)
    train_time = rows["train_time_s"].astype(np.float64)
    eval_time = rows["eval_time_s"].astype(np.float64)
    if (np.isnan(train_time).all() and np.isnan(eval_time).all()
            and (truth, fitness.spec) == (MODELLED_SPACE, MODELLED_FITNESS)):
        return None
    if not np.isfinite(train_time).all():
        raise _missing(space, fitness, "training times")
    if space_info(truth).eval_times and not np.isfinite(eval_time).all():
        raise _missing(space, fitness, "evaluation times")
    return train_time + np.nan_to_num(eval_time, nan=0.0)


def align_ids(arch_ids: np.ndarray, ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Row in sorted ``arch_ids`` of each of ``ids``, and whether it is there at all."""
    if arch_ids.size == 0:
        return np.zeros(ids.size, dtype=np.int64), np.zeros(ids.size, dtype=bool)
    where = np.minimum(np.searchsorted(arch_ids, ids), arch_ids.size - 1)
    return where, arch_ids[where] == ids


def load_evaluation_tables(source: Source, space: str, fitness: Fitness,
                           targets: list[Target]) -> EvaluationTables:
    """Read the fitness rows (every seed, with times; else the seed means), the arch strings
    and the targets; charge the modelled cost where no time is stored."""
    truth = ground_truth_space(space)
    rows, fitness_source = _fitness_rows(source, truth, fitness)
    if rows["arch_id"].size == 0:
        raise _missing(space, fitness, "accuracies")
    cost = _measured_cost(rows, space, fitness)
    modelled = cost is None
    if modelled:
        cost = np.zeros(rows["arch_id"].size)  # charged per arch string below

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
    costs = costs[keep]
    if modelled:  # the same cost for every seed, as NATS-Bench's pseudo-times
        costs = np.where(np.isnan(costs), np.nan, nb201_cost_12ep(list(strings[keep]))[:, None])
    return EvaluationTables(space, fitness, arch_ids[keep], list(strings[keep]),
                            list(encodings[keep]), counts[keep], fitness_values[keep],
                            costs, targets, accuracies[keep], fitness_source,
                            MODELLED_COST if modelled else MEASURED_COST)
