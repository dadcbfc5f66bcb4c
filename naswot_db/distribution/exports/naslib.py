"""NASLib's zero-cost benchmark file (NAS-Bench-Suite-Zero layout) from a root's scores.

NASLib's ``get_zc_benchmark_api(space, dataset)`` is ``json.load(open("zc_<space>.json"))
[dataset]``; each entry is keyed by ``str(arch.get_hash())`` (:mod:`naswot_db.core.naslib_keys`) and
reads ``{proxy: {"score": s, "time": t}, ..., "val_accuracy": a}``.

Every stored score of the space is written (or the one ``--score`` names), each under its NASLib
name (the descriptor's ``naslib_name``; a plug-in keeps its own name).  Two scores that share a
NASLib name are told apart: the score named like the proxy keeps it and the other is written
under its own name.  So ``nwot`` is NASLib's NASWOT procedure when the root holds ``nwot``
scores, and the reference procedure ``naswot`` is then written as ``naswot``; a root with
``naswot`` only writes it as ``nwot`` (what NASLib's consumers read), and the sidecar says which
procedure every key holds.  Published values ingested with ``ingest --format naslib-zc`` are
other people's and are left out unless ``--config-id`` names them.

Each value is the mean over the stored replicates of one configuration per score and task (a
score with several asks the user to pick, as every query does); singular networks' -inf (and
any +inf) are written as -1e9 (+1e9), the value NASLib's consumers clamp infinities to, so the
file is strict JSON.  ``val_accuracy`` is the task's validation column at its largest budget.
An arch without accuracy, or without a value of any exported score, is left out; an arch lacks
only the proxies it has no value of.
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np

from naswot_db import __version__
from naswot_db.core.citations import citations
from naswot_db.core.names import is_peer_config, peer_config_sql
from naswot_db.core.spaces import ground_truth_space, space_encoding, space_info, space_names
from naswot_db.query.errors import QueryError
from naswot_db.query.selection import Source, fetch_columns
from naswot_db.schema.atomic import atomic_file
from naswot_db.core.scores import score_info

from .score_matrix import TaskScores, accuracies, require_targets, scored_datasets, task_scores

CLAMP = 1e9


def naslib_proxy(score: str) -> str:
    """The key NASLib's zc_*.json files give ``score`` (a plug-in keeps its own name)."""
    info = score_info(score)
    return score if info is None or info.naslib_name is None else info.naslib_name


def proxy_keys(scores: list[str]) -> dict[str, str]:
    """score -> its key in the file: the NASLib name, unless a score named like that proxy is
    exported too (then the other one keeps its own name)."""
    keys = {}
    for score in scores:
        proxy = naslib_proxy(score)
        keys[score] = score if proxy != score and proxy in scores else proxy
    return keys


def naslib_file(space: str) -> str:
    """NASLib's file name for ``space`` (its descriptor's, or its ground truth's); a space
    without one, or whose encoding has no NASLib key, is a clear error."""
    owner = space_info(ground_truth_space(space))
    encoding = space_encoding(space)
    if owner.naslib_file is None or encoding is None or encoding.naslib_key is None:
        exported = [name for name in space_names() if space_info(name).naslib_file]
        raise QueryError(f"NASLib has no zero-cost benchmark for space {space!r}; it has "
                         f"{', '.join(exported)}")
    return owner.naslib_file


def _hashes(source: Source, space: str, arch_ids: np.ndarray) -> dict[int, str]:
    """arch id -> NASLib key (the encoding's, from the arch string and stored encoding)."""
    key = space_encoding(space).naslib_key
    rows = fetch_columns(source, "SELECT arch_id, arch_str, encoding FROM archs WHERE space = ? "
                                 "AND list_contains(?, arch_id)",
                         [ground_truth_space(space), arch_ids.tolist()])
    keys = {int(a): key(text, encoding) for a, text, encoding
            in zip(rows["arch_id"], rows["arch_str"], rows["encoding"]) if text is not None}
    return {arch_id: found for arch_id, found in keys.items() if found is not None}


def _clamped(value: float) -> float:
    return float(np.clip(value, -CLAMP, CLAMP))


def _procedure(score: str, config_id: str) -> str:
    """What the numbers under one key are, for the sidecar."""
    if is_peer_config(config_id):
        return f"{score}: published values ingested from a NASLib zero-cost file ({config_id})"
    if score == "naswot":
        return ("naswot: naswot-db's naswot as the reference code computes it, not NASLib's own "
                "nwot implementation")
    return f"{score}: naswot-db's {score}"


def _export_config(source: Source, space: str, task: str, score: str, config_id: str | None,
                   batch_size: int | None, explicit: bool) -> TaskScores | None:
    """One score's replicates on one task; None where a score of a whole-root export has no
    configuration of its own matching the filters (published values are not re-exported)."""
    if explicit:
        return task_scores(source, space, task, score, config_id, batch_size)
    rows = source.connection.execute(
        f"SELECT DISTINCT config_id, batch_size FROM scores WHERE space = ? AND dataset = ? AND "
        f"score = ? AND (? IS NOT NULL OR NOT {peer_config_sql('config_id')}) "
        "AND (? IS NULL OR config_id = ?) AND (? IS NULL OR batch_size = ?)",
        [space, task, score, config_id, config_id, config_id, batch_size, batch_size]).fetchall()
    if not rows:
        return None
    if len(rows) > 1:
        listing = "; ".join(f"--config-id {c} --batch-size {b}" for c, b in sorted(rows))
        raise QueryError(f"{score} on {space}/{task} has several score configurations; export "
                         f"it alone with --score {score} and one of: {listing}")
    return task_scores(source, space, task, score, *rows[0])


def _task_entries(source: Source, space: str, task: str, scores: list[str],
                  config_id: str | None, batch_size: int | None,
                  explicit: bool) -> tuple[dict[str, dict], dict, dict[str, dict]] | None:
    """One dataset's ``{hash: {proxy: {...}, "val_accuracy": a}}``, what the sidecar says of
    the task, and per exported score what it says of that score here (None: nothing to write)."""
    validation, _ = require_targets(space, task)
    stored = {score: found for score in scores
              if (found := _export_config(source, space, task, score, config_id, batch_size,
                                          explicit)) is not None}
    if not stored:
        return None
    keys = proxy_keys(list(stored))
    arch_ids = np.unique(np.concatenate([t.arch_ids for t in stored.values()]
                                        or [np.empty(0, np.int64)]))
    budgets, table = accuracies(source, space, validation, arch_ids)
    if not budgets:
        raise QueryError(f"no {validation[0]}/{validation[1]} accuracies for space {space!r}: "
                         "ingest the benchmark's ground truth first")
    hashes = _hashes(source, space, arch_ids)
    entries: dict[str, dict] = {}
    about_scores: dict[str, dict] = {}
    for score, found in stored.items():
        with warnings.catch_warnings():  # archs whose every replicate errored: NaN, left out
            warnings.simplefilter("ignore", RuntimeWarning)
            values, times = np.nanmean(found.values, axis=1), np.nanmean(found.times, axis=1)
        rows = np.searchsorted(arch_ids, found.arch_ids)
        written = 0
        for arch_id, row, value, time in zip(found.arch_ids.tolist(), rows, values, times):
            accuracy = table[row, -1]
            if np.isnan(value) or np.isnan(accuracy) or arch_id not in hashes:
                continue
            entry = entries.setdefault(hashes[arch_id], {})
            entry[keys[score]] = {"score": _clamped(value), "time": float(time)}
            entry["val_accuracy"] = float(accuracy)
            written += 1
        about_scores[score] = {"key": keys[score], "config_id": found.config_id,
                               "batch_size": found.batch_size,
                               "replicates_averaged": [list(r) for r in found.replicates],
                               "archs": written}
    replicates = sorted({tuple(r) for about in about_scores.values()
                         for r in about["replicates_averaged"]})
    about = {"archs": len(entries), "archs_left_out": int(arch_ids.size - len(entries)),
             "replicates_averaged": [list(r) for r in replicates],
             "val_accuracy": f"{validation[0]}/{validation[1]} after {budgets[-1]} epochs, "
                             "mean over training seeds",
             "scores": about_scores}
    return entries, about, {score: {"key": keys[score], "procedure": _procedure(
        score, found.config_id)} for score, found in stored.items()}


def export_naslib(source: Source, output: Path, space: str, scores: list[str] | None = None,
                  dataset: str | None = None, config_id: str | None = None,
                  batch_size: int | None = None) -> list[Path]:
    """Write ``OUTPUT/zc_<space>.json`` and its ``.naswot-db.json`` sidecar: ``scores`` (None:
    every score the space has) on every task, or on ``dataset`` only."""
    name = naslib_file(space)
    explicit = scores is not None
    if scores is None:
        scores = [row[0] for row in source.connection.execute(
            f"SELECT DISTINCT score FROM scores WHERE space = ? AND (? IS NOT NULL OR NOT "
            f"{peer_config_sql('config_id')}) ORDER BY score", [space, config_id]).fetchall()]
        if not scores:
            raise QueryError(f"no scores of space {space!r} under {source.root}")
    tasks = sorted({task for score in scores
                    for task in scored_datasets(source, space, score, dataset)})
    data: dict[str, dict] = {}
    about_tasks: dict[str, dict] = {}
    proxies: dict[str, dict] = {}
    for task in tasks:
        found = _task_entries(source, space, task, scores, config_id, batch_size, explicit)
        if found is None:
            continue
        data[task], about_tasks[task], described = found
        for score, about in described.items():
            proxies.setdefault(about["key"], {"score": score, "procedure": about["procedure"]})
    if not any(data.values()):
        raise QueryError(f"no scores of space {space!r} under {source.root} match the export's "
                         "filters")
    output.mkdir(parents=True, exist_ok=True)
    written = [output / name, output / name.replace(".json", ".naswot-db.json")]
    sidecar = {"space": space, "proxies": proxies, "tasks": about_tasks,
               "procedure": "; ".join(p["procedure"] for p in proxies.values()),
               "non_finite": f"-inf/+inf written as -{CLAMP:g}/+{CLAMP:g}; archs without a "
                             "score or accuracy left out",
               "naswot_db_version": __version__,
               "citations": citations([space], [p["score"] for p in proxies.values()])}
    for path, payload in zip(written, (data, sidecar)):
        with atomic_file(path) as tmp:
            tmp.write_text(json.dumps(payload, allow_nan=False))
    return written
