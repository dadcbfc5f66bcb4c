"""A Syne Tune tabular blackbox (the folder ``blackbox_tabular.deserialize`` loads) of one space.

Files, as Syne Tune's own ``serialize`` writes them: ``configspace.json``,
``fidelityspace.json``, ``hyperparameters.parquet`` (one row per arch), ``fidelities_values.npy``
(the training budgets in epochs), ``objectives_evaluations.npy`` (float32, tasks x configs x
seeds x fidelities x objectives) and ``metadata.json``.  Tasks are the datasets the space was
scored on; the seed axis is the stored score replicates (init_seed, batch_seed), in the order
``metadata.json`` lists them; the ground truth is the mean over training seeds, the same on
every seed.  Objectives: ``metric_valid_error`` and ``metric_test_error`` (1 - accuracy/100,
NaN where the benchmark has no such column), the score as ``metric_<score>`` (-inf for singular
networks, NaN where an arch errored) and its seconds as ``metric_<score>_time``, which is also
``metric_elapsed_time``: the cost of evaluating a training-free score is the time to score it.

NB201 configurations are Syne Tune's own NB201 encoding (``hp_x0..hp_x5``: the op of each edge
in the arch string's order), so the folder can stand in for Syne Tune's ``nasbench201``; other
spaces have one categorical ``arch_id``.  Load it with::

    from syne_tune.blackbox_repository.blackbox_tabular import deserialize
    blackboxes = deserialize("OUTPUT/nb201")   # {"cifar10": BlackboxTabular, ...}
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from naswot_db import __version__
from naswot_db.core.citations import citations
from naswot_db.core.names import ground_truth_space
from naswot_db.query.errors import QueryError
from naswot_db.query.selection import Source, fetch_columns

from naswot_db.schema.atomic import atomic_folder
from .score_matrix import TaskScores, accuracies, require_targets, scored_datasets, task_scores

NB201_KEYS = tuple(f"hp_x{i}" for i in range(6))
NB201_CHOICES = ["avg_pool_3x3", "nor_conv_3x3", "skip_connect", "nor_conv_1x1", "none"]
FIDELITY = "hp_epoch"


def _choice(categories: list) -> dict:
    """Syne Tune's JSON form of ``choice(categories)`` (``config_space.to_dict``)."""
    return {"domain_cls": "Categorical", "domain_kwargs": {"categories": categories},
            "sampler_cls": "Uniform", "sampler_kwargs": {}}


def _configurations(source: Source, space: str, arch_ids: np.ndarray) -> tuple[pa.Table, dict]:
    """The hyperparameters table (one row per arch, in ``arch_ids`` order) and its space."""
    if ground_truth_space(space) != "nb201":
        return (pa.table({"arch_id": pa.array(arch_ids, pa.int64())}),
                {"arch_id": _choice([int(a) for a in arch_ids])})
    rows = fetch_columns(source, "SELECT arch_id, arch_str FROM archs WHERE space = 'nb201' "
                                 "AND list_contains(?, arch_id) ORDER BY arch_id",
                         [arch_ids.tolist()])
    if not np.array_equal(rows["arch_id"], arch_ids):
        raise QueryError("some scored NB201 archs have no arch string in the archs table")
    ops = [[edge.split("~")[0] for node in text.split("+") for edge in node.strip("|").split("|")]
           for text in rows["arch_str"]]
    table = pa.table({key: [arch[i] for arch in ops] for i, key in enumerate(NB201_KEYS)})
    return table, {key: _choice(NB201_CHOICES) for key in NB201_KEYS}


def _objectives(source: Source, space: str, scores: TaskScores, arch_ids: np.ndarray,
                budgets: list[int]) -> np.ndarray:
    """(configs, seeds, fidelities, 4) float32 for one task."""
    rows = np.searchsorted(scores.arch_ids, arch_ids)
    values, times = scores.values[rows], scores.times[rows]
    result = np.full((arch_ids.size, values.shape[1], len(budgets), 4), np.nan, np.float32)
    for slot, target in enumerate(require_targets(space, scores.dataset)):
        found, table = accuracies(source, space, target, arch_ids)
        for column, epochs in enumerate(found):
            error = 1.0 - table[:, column] / 100.0
            result[:, :, budgets.index(epochs), slot] = error[:, None]
    result[..., 2] = values[:, :, None]
    result[..., 3] = times[:, :, None]
    return result


def _budgets(source: Source, space: str, tasks: list[TaskScores],
             arch_ids: np.ndarray) -> list[int]:
    found = {epochs for task in tasks for target in require_targets(space, task.dataset)
             for epochs in accuracies(source, space, target, arch_ids)[0]}
    if not found:
        raise QueryError(f"no accuracies for space {space!r}: ingest the benchmark's ground "
                         "truth first")
    return sorted(found)


def export_syne_tune(source: Source, output: Path, space: str, score: str,
                     dataset: str | None = None, config_id: str | None = None,
                     batch_size: int | None = None) -> list[Path]:
    """Write the blackbox folder ``OUTPUT/<space>``; return it."""
    tasks = [task_scores(source, space, name, score, config_id, batch_size)
             for name in scored_datasets(source, space, score, dataset)]
    replicates = tasks[0].replicates
    if any(task.replicates != replicates for task in tasks):
        raise QueryError(f"the datasets of space {space!r} hold different score replicates; "
                         "export one with --dataset")
    arch_ids = tasks[0].arch_ids
    for task in tasks[1:]:
        arch_ids = np.intersect1d(arch_ids, task.arch_ids)
    budgets = _budgets(source, space, tasks, arch_ids)
    hyperparameters, configspace = _configurations(source, space, arch_ids)
    objectives = np.stack([_objectives(source, space, task, arch_ids, budgets) for task in tasks])
    names = ["metric_valid_error", "metric_test_error", f"metric_{score}", f"metric_{score}_time"]
    metadata = {
        "objectives_names": names, "task_names": [task.dataset for task in tasks],
        "metric_elapsed_time": names[3], "metric_default": names[0], "time_attr": FIDELITY,
        "naswot_db": {"space": space, "score": score, "version": __version__,
                      "seeds": [{"init_seed": i, "batch_seed": b} for i, b in replicates],
                      "configs_arch_ids": arch_ids.tolist(),
                      "tasks": {task.dataset: {"config_id": task.config_id,
                                               "batch_size": task.batch_size} for task in tasks},
                      "citations": citations([space], [score])},
    }
    output.mkdir(parents=True, exist_ok=True)
    folder = output / space
    with atomic_folder(folder) as tmp:
        (tmp / "configspace.json").write_text(json.dumps(configspace))
        (tmp / "fidelityspace.json").write_text(json.dumps({FIDELITY: {
            "domain_cls": "Integer", "domain_kwargs": {"lower": 1, "upper": max(budgets)},
            "sampler_cls": "Uniform", "sampler_kwargs": {}}}))
        pq.write_table(hyperparameters, tmp / "hyperparameters.parquet")
        np.save(tmp / "fidelities_values.npy", np.asarray(budgets, np.int64), allow_pickle=False)
        np.save(tmp / "objectives_evaluations.npy", objectives, allow_pickle=False)
        (tmp / "metadata.json").write_text(json.dumps(metadata))
    return [folder]
