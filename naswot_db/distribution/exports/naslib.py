"""NASLib's zero-cost benchmark file (NAS-Bench-Suite-Zero layout) from a root's scores.

NASLib's ``get_zc_benchmark_api(space, dataset)`` is ``json.load(open("zc_<space>.json"))
[dataset]``; each entry is keyed by ``str(arch.get_hash())`` and reads
``{proxy: {"score": s, "time": t}, ..., "val_accuracy": a}``.  The hashes are NASLib's own:

- NB201: the tuple of 6 op indices over NASLib's op list (``skip_connect, none, nor_conv_3x3,
  nor_conv_1x1, avg_pool_3x3``) in NASLib's edge order (1,2),(1,3),(1,4),(2,3),(2,4),(3,4),
  where node 1 is the cell input (NATS's string lists the same edges by target node);
- NB101: NASLib's spec tuple of the cell as NASLib builds it from the benchmark's hash
  (``set_spec(hash)`` -> ``convert_to_cell``): the pruned cell padded to 7 vertices (the output
  column moved to the last column, unused vertices ``conv3x3-bn-relu`` with no edges), the
  matrix flattened row by row, then one index per vertex over ``input, output, maxpool3x3,
  conv1x1-bn-relu, conv3x3-bn-relu``: 56 numbers.

One score is the proxy (``nwot`` for naswot, as NAS-Bench-Suite-Zero names it), averaged over
the stored replicates; singular networks' -inf (and any +inf) are written as -1e9 (+1e9), the
value NASLib's consumers clamp infinities to, so the file is strict JSON.  ``val_accuracy`` is
the task's validation column at its largest budget.  A sidecar ``zc_<space>.naswot-db.json``
says which procedure, configuration and replicates the numbers are: NASLib's own ``nwot`` is
not the reference procedure (forward only, no liveness handling, batch 64).
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np

from naswot_db import __version__
from naswot_db.citations import citations
from naswot_db.names import ground_truth_space
from naswot_db.query.errors import QueryError
from naswot_db.query.selection import Source, fetch_columns
from naswot_db.scores import score_info

from naswot_db.schema.atomic import atomic_file
from .score_matrix import accuracies, require_targets, scored_datasets, task_scores

NASLIB_FILES = {"nb201": "zc_nasbench201.json", "nb101": "zc_nasbench101.json"}
NB201_OPS = ("skip_connect", "none", "nor_conv_3x3", "nor_conv_1x1", "avg_pool_3x3")
NB201_EDGES = ((1, 2), (1, 3), (1, 4), (2, 3), (2, 4), (3, 4))
NB101_OPS = ("input", "output", "maxpool3x3", "conv1x1-bn-relu", "conv3x3-bn-relu")
NB101_VERTICES = 7
CLAMP = 1e9


def naslib_proxy(score: str) -> str:
    """The key NASLib's zc_*.json files give ``score`` (a plug-in keeps its own name)."""
    info = score_info(score)
    return score if info is None or info.naslib_name is None else info.naslib_name


def nb201_hash(arch_str: str) -> str:
    """NASLib's NB201 hash, as ``str(tuple)``, of a NATS arch string."""
    nodes = [[edge.split("~")[0] for edge in node.strip("|").split("|")]
             for node in arch_str.split("+")]
    return str(tuple(NB201_OPS.index(nodes[target - 2][source - 1])
                     for source, target in NB201_EDGES))


def nb101_hash(encoding: str) -> str:
    """NASLib's NB101 spec tuple, as ``str(tuple)``, of an archs ``encoding`` (pruned cell)."""
    cell = json.loads(encoding)
    adjacency, ops = cell["adjacency"], cell["ops"]
    size = len(ops)
    padded = [[0] * NB101_VERTICES for _ in range(NB101_VERTICES)]
    for source in range(size):
        for target in range(size):
            column = target if target < size - 1 else NB101_VERTICES - 1
            padded[source][column] = int(adjacency[source][target])
    padded_ops = [*ops[:-1], *["conv3x3-bn-relu"] * (NB101_VERTICES - size), ops[-1]]
    return str(tuple([v for row in padded for v in row] + [NB101_OPS.index(op)
                                                            for op in padded_ops]))


def naslib_file(space: str) -> str:
    """NASLib's file name for ``space``; other spaces are a clear error."""
    owner = ground_truth_space(space)
    if owner not in NASLIB_FILES:
        raise QueryError(f"NASLib has no zero-cost benchmark for space {space!r}; it has "
                         f"nb201 and nb101 (nb101-original shares nb101's hashes)")
    return NASLIB_FILES[owner]


def _hashes(source: Source, space: str, arch_ids: np.ndarray) -> dict[int, str]:
    owner = ground_truth_space(space)
    column = "arch_str" if owner == "nb201" else "encoding"
    rows = fetch_columns(source, f"SELECT arch_id, {column} AS text FROM archs WHERE space = ? "
                                 "AND list_contains(?, arch_id)", [owner, arch_ids.tolist()])
    convert = nb201_hash if owner == "nb201" else nb101_hash
    return {int(a): convert(t) for a, t in zip(rows["arch_id"], rows["text"]) if t is not None}


def _clamped(value: float) -> float:
    return float(np.clip(value, -CLAMP, CLAMP))


def _task_entries(source: Source, space: str, task: str, score: str, config_id: str | None,
                  batch_size: int | None) -> tuple[dict[str, dict], dict]:
    """One dataset's ``{hash: {proxy: {...}, "val_accuracy": a}}`` and what the sidecar says."""
    validation, _ = require_targets(space, task)
    scores = task_scores(source, space, task, score, config_id, batch_size)
    budgets, table = accuracies(source, space, validation, scores.arch_ids)
    if not budgets:
        raise QueryError(f"no {validation[0]}/{validation[1]} accuracies for space {space!r}: "
                         "ingest the benchmark's ground truth first")
    hashes = _hashes(source, space, scores.arch_ids)
    with warnings.catch_warnings():  # archs whose every replicate errored: NaN, left out
        warnings.simplefilter("ignore", RuntimeWarning)
        values, times = np.nanmean(scores.values, axis=1), np.nanmean(scores.times, axis=1)
    entries = {}
    for i, arch_id in enumerate(scores.arch_ids.tolist()):
        accuracy = table[i, -1]
        if np.isnan(values[i]) or np.isnan(accuracy) or arch_id not in hashes:
            continue
        entries[hashes[arch_id]] = {naslib_proxy(score): {"score": _clamped(values[i]),
                                                            "time": float(times[i])},
                                    "val_accuracy": float(accuracy)}
    about = {"config_id": scores.config_id, "batch_size": scores.batch_size,
             "replicates_averaged": scores.replicates, "archs": len(entries),
             "archs_left_out": int(scores.arch_ids.size - len(entries)),
             "val_accuracy": f"{validation[0]}/{validation[1]} after {budgets[-1]} epochs, "
                             "mean over training seeds"}
    return entries, about


def export_naslib(source: Source, output: Path, space: str, score: str,
                  dataset: str | None = None, config_id: str | None = None,
                  batch_size: int | None = None) -> list[Path]:
    """Write ``OUTPUT/zc_<space>.json`` and its ``.naswot-db.json`` sidecar."""
    name = naslib_file(space)
    data: dict[str, dict] = {}
    tasks: dict[str, dict] = {}
    for task in scored_datasets(source, space, score, dataset):
        data[task], tasks[task] = _task_entries(source, space, task, score, config_id,
                                                batch_size)
    output.mkdir(parents=True, exist_ok=True)
    written = [output / name, output / name.replace(".json", ".naswot-db.json")]
    sidecar = {"space": space, "score": score, "naslib_proxy": naslib_proxy(score),
               "tasks": tasks,
               "procedure": f"naswot-db's {score} as the reference code computes it, not "
                            "NASLib's own implementation",
               "non_finite": f"-inf/+inf written as -{CLAMP:g}/+{CLAMP:g}; archs without a "
                             "score or accuracy left out",
               "naswot_db_version": __version__, "citations": citations([space], [score])}
    for path, payload in zip(written, (data, sidecar)):
        with atomic_file(path) as tmp:
            tmp.write_text(json.dumps(payload, allow_nan=False))
    return written
