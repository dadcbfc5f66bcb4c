"""Regenerate data/shipped/ NB101 tables: the enumerated space and, once its order is proven,
FreeREA's 108-epoch test accuracies joined by module hash (see data/shipped/PROVENANCE.md).

Usage: python tools/make_shipped_nb101.py PATH/TO/shared/data

1. Enumerates the space (:func:`enumerate_nb101`), stops unless it holds exactly 423,624 cells.
2. Counts every cell's parameters and FLOPs (NB101's own 128-channel, 10-class network).
3. Proves the order of ``nb101-freerea`` (arrays by position): the 52 real records of
   ``nb101-real-archs`` (hash recomputed from their cells) must sit at the positions of
   ``hypothesis_check_52.csv`` with their test accuracy, and the parameter count of every one of
   the 423,624 cells must equal the array's count at its position.  Anything else stops here
   and writes nothing.
4. Writes ``archs/space=nb101`` (ids = ascending-hash positions) and ``accuracies/space=nb101``.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from naswot_db.builder.spaces.nb101.complexity import network_complexity
from naswot_db.builder.spaces.nb101.graph import CellSpec
from naswot_db.core.nb101_cell import cell_hash
from naswot_db.core.nb101_enumeration import SPACE_SIZE, Enumeration, enumerate_nb101
from naswot_db.schema.layout import partition_dir
from naswot_db.schema.storage import conform
from naswot_db.schema.tables import ACCURACIES, ARCHS, Table

ARCHS_SOURCE = "naswot-db enumeration of the NAS-Bench-101 space (tools/make_shipped_nb101.py)"
LABELS_SOURCE = ("NAS-Bench-101 108-epoch final test accuracy, mean of 3 seeds, from FreeREA "
                 "(github NiccoloCavagnero/FreeREA@9c2a726, MIT; NAS-Bench-101 data CC BY 4.0), "
                 "joined by ascending module hash")
PART = "nb101-enumerated"
_REPEATED = ("source", "dataset", "split", "accuracy", "params", "flops")


def _fail(message: str) -> None:
    raise SystemExit(f"order not proven, nothing written: {message}")


def _complexity(space: Enumeration) -> tuple[np.ndarray, np.ndarray]:
    params = np.empty(len(space), dtype=np.int64)
    flops = np.empty(len(space), dtype=np.int64)
    for index in range(len(space)):
        adjacency, ops = space.cell(index)
        counted = network_complexity(CellSpec(tuple(map(tuple, adjacency)), tuple(ops)))
        params[index], flops[index] = counted.params, counted.flops
    return params, flops


def prove_order(space: Enumeration, params: np.ndarray, data: Path) -> np.ndarray:
    """FreeREA's test accuracies (fractions) in the enumeration's order, once proven."""
    arrays = pq.read_table(data / "nb101-freerea" / "nb101_freerea_cifar10.parquet")
    if not np.array_equal(arrays.column("position").to_numpy(), np.arange(SPACE_SIZE)):
        _fail("the FreeREA positions are not 0..423623")
    accuracy = arrays.column("test_accuracy_mean_108ep").to_numpy()
    their_params = np.rint(arrays.column("params_millions").to_numpy() * 1e6).astype(np.int64)
    mismatched = np.flatnonzero(their_params != params)
    if len(mismatched):
        _fail(f"{len(mismatched)} parameter counts differ, first at position {mismatched[0]}")
    print(f"parameter counts: {SPACE_SIZE} of {SPACE_SIZE} equal at their hash-order position")
    position_of = {h: i for i, h in enumerate(space.hashes.tolist())}
    expected = {row["hash"]: row["matched_position"] for row in pacsv.read_csv(
        data / "nb101-freerea" / "hypothesis_check_52.csv").to_pylist()}
    records = json.loads((data / "nb101-real-archs" / "nb101_real_archs.json").read_text())
    ulps = []
    for record in records:
        recomputed = cell_hash(record["adjacency"], record["ops"])
        if recomputed != record["hash"] or position_of.get(recomputed) != expected[recomputed]:
            _fail(f"record {record['hash']} is not at position {expected[record['hash']]}")
        tests = [run["final_test_accuracy"] for run in record["computed_stats"]["108"]]
        ulp = abs(float(np.mean(tests)) - accuracy[position_of[recomputed]]) / np.spacing(
            accuracy[position_of[recomputed]])
        if ulp > 1:
            _fail(f"record {recomputed}: test accuracy differs by {ulp:.0f} ulp")
        ulps.append(round(ulp))
    print(f"52 real records: {len(records)} at their CSV positions, test accuracy equal "
          f"(bit for bit: {ulps.count(0)}, 1 ulp: {ulps.count(1)})")
    return accuracy


def _write(shipped: Path, table: Table, rows: pa.Table, part: str) -> Path:
    """One zstd part; sorted hashes as DELTA_BYTE_ARRAY (shared prefixes), repeated values as
    dictionaries: the archs' 423,624 rows take 11.1 MB, 6.8 MB of it the hashes."""
    directory = partition_dir(shipped, table, "nb101")
    directory.mkdir(parents=True, exist_ok=True)
    for old in directory.glob("*.parquet"):
        old.unlink()
    path = directory / f"{part}.parquet"
    delta = {"arch_str": "DELTA_BYTE_ARRAY"} if "arch_str" in rows.column_names else {}
    pq.write_table(conform(table, rows), path, compression="zstd", compression_level=19,
                   use_dictionary=[name for name in rows.column_names if name in _REPEATED],
                   column_encoding=delta or None)
    return path


def main(data: Path, shipped: Path) -> None:
    started = time.perf_counter()
    space = enumerate_nb101()
    print(f"enumerated {len(space)} cells from {space.graphs} labelled graphs in "
          f"{time.perf_counter() - started:.1f} s")
    if len(space) != SPACE_SIZE:
        raise SystemExit(f"expected {SPACE_SIZE} cells, enumerated {len(space)}")
    started = time.perf_counter()
    params, flops = _complexity(space)
    print(f"parameters and FLOPs of {len(space)} networks in {time.perf_counter() - started:.1f} s")
    accuracy = prove_order(space, params, data)
    count = len(space)
    # the hash is arch_str: repeating it in the encoding would add its 6.7 MB again
    encodings = [json.dumps(dict(zip(("adjacency", "ops"), space.cell(index))),
                            separators=(",", ":")) for index in range(count)]
    ids = pa.array(np.arange(count), pa.int64())
    archs = pa.table({
        "arch_id": ids, "arch_str": pa.array(space.hashes.tolist(), pa.string()),
        "encoding": pa.array(encodings, pa.string()),
        "params": pa.array(params.astype(np.float64)),
        "flops": pa.array(flops.astype(np.float64)),
        "source": pa.repeat(ARCHS_SOURCE, count),
    })
    labels = pa.table({
        "arch_id": ids, "dataset": pa.repeat("cifar10", count), "split": pa.repeat("test", count),
        "epochs": pa.repeat(pa.scalar(108, pa.int32()), count),
        "seed": pa.nulls(count, pa.int64()), "accuracy": pa.array(100.0 * accuracy),
        "train_time_s": pa.nulls(count, pa.float64()),
        "source": pa.repeat(LABELS_SOURCE, count),
    })
    for path in (_write(shipped, ARCHS, archs, PART), _write(shipped, ACCURACIES, labels,
                                                             "nb101-freerea-108ep")):
        print(f"wrote {path.relative_to(shipped.parent.parent)}: {path.stat().st_size:,} bytes")


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(__file__).resolve().parents[1] / "data" / "shipped")
