"""Published proxy values as score rows of their own origin, so SQL compares ours with theirs.

``naswot-db ingest --format naslib-zc --source zc_nasbench201.json`` stores every value of a
NASLib zero-cost file (:mod:`.naslib_zc`) in the ``scores`` table under the score naswot-db gives
that proxy (NASLib's ``nwot`` is our ``nwot``, ``synflow`` our ``synflow``), with

- ``config_id`` = ``naslib-zc-`` + the first 16 hex digits of the file's sha256: one
  configuration per file, never equal to a build's (``WHERE config_id LIKE 'naslib-zc-%'``);
- ``run_id`` = the same string, and one ``runs`` row holding the file's name, size, digest and
  what is known of how the values were computed;
- ``batch_size`` = ``--batch-size`` (64 by default: NAS-Bench-Suite-Zero's datasheet says the
  proxies were computed with batch 64; the file itself does not say);
- ``init_seed`` = the entry's ordinal among the file's entries for the same arch and dataset
  (0, except where several NASLib raw NB101 specs prune to one cell: each is its own
  computation, kept as a replicate), ``batch_seed`` = 0 (the file stores no seeds);
- ``status`` ``ok``, or ``error`` with value NaN where the file holds Suite-Zero's failure
  sentinel (the message says so); ``time_s`` the file's ``time`` (NaN without one).

Archs are matched by ``arch_str`` in the root's ``archs`` view: NB201's arch string (the shipped
table has all 15,625), NB101's module hash (the shipped table has all 423,624).  Everything is
read and checked before anything is written; the runs row and the scores part are each written
atomically (runs first, as a fetch merges), so a killed ingest leaves a run without rows at
worst, and rerunning the command completes it.  A file already stored adds nothing.
"""

from __future__ import annotations

import json
import platform
import socket
from collections import Counter
from dataclasses import dataclass, replace
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path

import numpy as np
import pyarrow as pa

from naswot_db.core.errors import NaswotDbError
from naswot_db.core.names import PEER_CONFIG_PREFIX
from naswot_db.schema import SCORES, part_files, prepare_root, write_part
from naswot_db.schema.locks import exclusive
from naswot_db.schema.layout import partition_dir, remove_stale_temps

from .naslib_zc import SENTINEL, ZcFile, read_zc_file

# NAS-Bench-Suite-Zero's DATASHEET: "All ZC proxies ... were run ... using a batch size of 64"
SUITE_ZERO_BATCH_SIZE = 64
SUITE_ZERO_CITATION = ("Krishnakumar et al., NAS-Bench-Suite-Zero: Accelerating Research on Zero "
                       "Cost Proxies, NeurIPS 2022 Datasets and Benchmarks")
SENTINEL_MESSAGE = (f"the published file holds Suite-Zero's failure sentinel ({SENTINEL:g}: the "
                    "proxy gave NaN or an infinity there)")


@dataclass(frozen=True)
class PeerIngest:
    """What an ingest of one file stored (or found stored)."""

    space: str
    config_id: str
    rows: int
    sentinels: int
    datasets: list[str]
    scores: list[str]
    already_stored: bool


def peer_config_id(sha256: str) -> str:
    """The configuration (and run) id of the values of the file with digest ``sha256``."""
    return f"{PEER_CONFIG_PREFIX}{sha256[:16]}"


def _arch_ids(root: Path, space: str, arches: list[str]) -> dict[str, int]:
    """arch_str -> arch_id for every arch of the file; an arch the root lacks is an error."""
    from naswot_db.query.connection import connect  # DuckDB only where an ingest runs

    connection = connect(root)
    try:
        connection.register("wanted", pa.table({"arch_str": pa.array(sorted(set(arches)))}))
        found = dict(connection.execute(
            "SELECT a.arch_str, a.arch_id FROM archs AS a JOIN wanted USING (arch_str) "
            "WHERE a.space = ?", [space]).fetchall())
    finally:
        connection.close()
    missing = sorted(set(arches) - set(found))
    if missing:
        hint = ("ingest NB101's ground truth (`naswot-db ingest --space nb101 --source "
                "nasbench_only108.tfrecord`) first" if space == "nb101"
                else f"the file names archs that are not {space}'s")
        raise NaswotDbError(f"{len(missing):,} of the file's {len(set(arches)):,} {space} archs "
                            f"are not in {root}'s {space} archs (e.g. {missing[0]}); {hint}")
    return found


def _score_rows(zc: ZcFile, arch_ids: dict[str, int], config_id: str,
                batch_size: int) -> pa.Table:
    ordinal: Counter = Counter()
    seeds = []
    for value in zc.values:
        slot = (value.dataset, value.score, value.arch)
        seeds.append(ordinal[slot])
        ordinal[slot] += 1
    count = len(zc.values)
    sentinel = np.array([v.sentinel for v in zc.values])
    return pa.table({
        "space": pa.array([zc.space] * count, pa.string()),
        "arch_id": pa.array([arch_ids[v.arch] for v in zc.values], pa.int64()),
        "score": pa.array([v.score for v in zc.values], pa.string()),
        "dataset": pa.array([v.dataset for v in zc.values], pa.string()),
        "batch_size": pa.array(np.full(count, batch_size), pa.int32()),
        "init_seed": pa.array(seeds, pa.int64()),
        "batch_seed": pa.array(np.zeros(count, np.int64)),
        "config_id": pa.array([config_id] * count, pa.string()),
        "value": pa.array(np.where(sentinel, np.nan, [v.value for v in zc.values])),
        "status": pa.array(np.where(sentinel, "error", "ok").tolist(), pa.string()),
        "error": pa.array([SENTINEL_MESSAGE if s else None for s in sentinel], pa.string()),
        "reference_raises": pa.array(np.zeros(count, bool)),
        "time_s": pa.array([v.time_s for v in zc.values], pa.float64()),
        "run_id": pa.array([config_id] * count, pa.string()),
    })


def _stored_rows(root: Path, space: str, run_id: str) -> int:
    """Score rows of run ``run_id`` in ``space``'s current parts (a compaction may have moved
    them out of the part this ingest wrote)."""
    import pyarrow.dataset as ds

    files = part_files(root, SCORES, space)
    if not files:
        return 0
    return ds.dataset([str(f) for f in files], format="parquet").count_rows(
        filter=ds.field("run_id") == run_id)


def _versions() -> str:
    versions = {"python": platform.python_version()}
    for name in ("naswot-db", "pyarrow", "duckdb"):
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = None
    return json.dumps(versions, sort_keys=True)


def _run_row(zc: ZcFile, config_id: str, batch_size: int, rows: int) -> pa.Table:
    now = datetime.now(timezone.utc)
    config = {"format": "naslib-zc", "origin": "published values (NASLib zero-cost file)",
              "source": str(zc.path.resolve()), "file_name": zc.path.name, "sha256": zc.sha256,
              "bytes": zc.size, "space": zc.space, "datasets": zc.datasets,
              "scores": zc.scores, "batch_size": batch_size,
              "batch_size_note": "assumed (NAS-Bench-Suite-Zero's datasheet: batch 64); "
                                 "the file stores no batch size or seeds"}
    return pa.Table.from_pylist([{
        "run_id": config_id, "started_at": now, "finished_at": now,
        "host": socket.gethostname(), "device": "none: values read from a published file",
        "torch_version": "none", "package_versions": _versions(), "precision": "unknown",
        "config": json.dumps(config, sort_keys=True), "config_id": config_id,
        "data_fingerprint": json.dumps({"file_sha256": zc.sha256}), "rows_written": rows,
    }])


def ingest_peer_values(source: Path, root: Path, space: str | None = None,
                       batch_size: int = SUITE_ZERO_BATCH_SIZE) -> PeerIngest:
    """Store the values of NASLib zero-cost file ``source`` in ``root`` (see module doc)."""
    zc = read_zc_file(source)
    if space is not None and space != zc.space:
        raise NaswotDbError(f"{source} holds {zc.space} archs, not {space} ones")
    if batch_size < 1:
        raise NaswotDbError(f"--batch-size must be at least 1, not {batch_size}")
    config_id = peer_config_id(zc.sha256)
    arch_ids = _arch_ids(root, zc.space, [v.arch for v in zc.values])
    rows = _score_rows(zc, arch_ids, config_id, batch_size)
    sentinels = int(sum(v.sentinel for v in zc.values))
    result = PeerIngest(zc.space, config_id, rows.num_rows, sentinels, zc.datasets, zc.scores,
                        already_stored=False)
    prepare_root(root)
    with exclusive(root, f"peer-{config_id}", f"an ingest of {source.name}"):
        stored = _stored_rows(root, zc.space, config_id)
        if stored == rows.num_rows:
            return replace(result, already_stored=True)
        if stored:
            raise NaswotDbError(f"{root} holds part of {config_id}'s rows (a part copied by "
                                "hand?); run `naswot-db check` and remove them first")
        remove_stale_temps(partition_dir(root, SCORES, zc.space))
        write_part(root, "runs", _run_row(zc, config_id, batch_size, rows.num_rows),
                   part_name=config_id)
        write_part(root, "scores", rows, space=zc.space, part_name=config_id)
    return result
