"""The scores of one space as arrays: per task (scoring dataset), archs x replicates.

Both the NASLib and the Syne Tune export start here: one score configuration per task (the
query layer's :func:`choose_config`, so several configurations ask the user to pick), every
stored (init_seed, batch_seed) replicate as a column, and the ground-truth accuracies the task
is judged by (:mod:`.tasks`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from naswot_db.core.names import ground_truth_space
from naswot_db.query.errors import QueryError
from naswot_db.query.selection import Source, choose_config, fetch_columns

from .tasks import task_targets


@dataclass(frozen=True)
class TaskScores:
    """One task's scores: ``values[i, r]`` and ``times[i, r]`` for ``arch_ids[i]`` and
    replicate ``replicates[r]`` (NaN where that replicate was not stored or errored)."""

    dataset: str
    config_id: str
    batch_size: int
    arch_ids: np.ndarray
    replicates: list[tuple[int, int]]
    values: np.ndarray
    times: np.ndarray


def scored_datasets(source: Source, space: str, score: str,
                    dataset: str | None = None) -> list[str]:
    """The datasets ``space`` has ``score`` scores on (each one task of an export), or just
    ``dataset``."""
    rows = source.connection.execute(
        "SELECT DISTINCT dataset FROM scores WHERE space = ? AND score = ? AND "
        "(? IS NULL OR dataset = ?) ORDER BY dataset", [space, score, dataset, dataset]).fetchall()
    if not rows:
        which = f" on {dataset!r}" if dataset else ""
        raise QueryError(f"no {score} scores for space {space!r}{which} under {source.root}")
    return [row[0] for row in rows]


def task_scores(source: Source, space: str, dataset: str, score: str,
                config_id: str | None = None, batch_size: int | None = None) -> TaskScores:
    """The scores of one task as an archs x replicates matrix."""
    config = choose_config(source, space, dataset, config_id, batch_size, score)
    columns = fetch_columns(source, (
        "SELECT arch_id, init_seed, batch_seed, any_value(value) AS value, "
        "any_value(time_s) AS time_s FROM scores WHERE space = ? AND dataset = ? AND score = ? "
        "AND config_id = ? AND batch_size = ? GROUP BY ALL ORDER BY ALL"),
        [space, dataset, score, config.config_id, config.batch_size])
    arch_ids, arch_index = np.unique(columns["arch_id"], return_inverse=True)
    pairs = np.stack([columns["init_seed"], columns["batch_seed"]], axis=1)
    replicates, replicate_index = np.unique(pairs, axis=0, return_inverse=True)
    values = np.full((arch_ids.size, len(replicates)), np.nan)
    times = np.full_like(values, np.nan)
    values[arch_index, replicate_index.ravel()] = columns["value"]
    times[arch_index, replicate_index.ravel()] = columns["time_s"]
    return TaskScores(dataset, config.config_id, config.batch_size, arch_ids,
                      [(int(i), int(b)) for i, b in replicates], values, times)


def accuracies(source: Source, space: str, target: tuple[str, str] | None,
               arch_ids: np.ndarray) -> tuple[list[int], np.ndarray]:
    """Epoch budgets and ``acc[i, e]`` (mean over training seeds, NaN where absent) of one
    ground-truth column for ``arch_ids``; no budgets when ``target`` is None."""
    if target is None:
        return [], np.empty((arch_ids.size, 0))
    columns = fetch_columns(source, (
        "SELECT arch_id, epochs, accuracy FROM accuracies WHERE space = ? AND dataset = ? "
        "AND split = ? AND seed IS NULL AND list_contains(?, arch_id)"),
        [ground_truth_space(space), *target, arch_ids.tolist()])
    budgets, budget_index = np.unique(columns["epochs"], return_inverse=True)
    table = np.full((arch_ids.size, budgets.size), np.nan)
    table[np.searchsorted(arch_ids, columns["arch_id"]), budget_index] = columns["accuracy"]
    return [int(b) for b in budgets], table


def require_targets(space: str, dataset: str) -> tuple[tuple[str, str] | None, ...]:
    """(validation, test) ground-truth columns of one task, or a clear error."""
    targets = task_targets(space, dataset)
    if targets is None:
        raise QueryError(f"no ground-truth mapping for space {space!r} scored on {dataset!r}")
    return targets
