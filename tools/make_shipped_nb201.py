"""Regenerate data/shipped/ NB201 tables from nb201_accuracies_200ep.csv (see PROVENANCE.md).

Usage: python tools/make_shipped_nb201.py PATH/TO/nb201_accuracies_200ep.csv
"""

from __future__ import annotations

import sys
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pacsv

from naswot_db.builder.spaces.nb201 import benchmark_arch_strs
from naswot_db.schema import write_part
from naswot_db.schema.layout import partition_dir
from naswot_db.schema.tables import ACCURACIES, ARCHS

# CSV column -> (dataset, split) as NAS-Bench-201 / NATS-Bench name them
COLUMNS = {
    "cifar10_valid__x_valid": ("cifar10-valid", "x-valid"),
    "cifar10__ori_test": ("cifar10", "ori-test"),
    "cifar100__x_valid": ("cifar100", "x-valid"),
    "cifar100__x_test": ("cifar100", "x-test"),
    "imagenet16_120__x_valid": ("ImageNet16-120", "x-valid"),
    "imagenet16_120__x_test": ("ImageNet16-120", "x-test"),
}
SOURCE = "nb201_accuracies_200ep.csv (NAS-Bench-201 v1_0 / NATS-Bench tss, hp 200, seed mean)"


def main(csv_path: Path, shipped: Path) -> None:
    table = pacsv.read_csv(csv_path)
    ids = table.column("arch_id").to_pylist()
    strs = table.column("arch_str").to_pylist()
    if ids != list(range(len(benchmark_arch_strs()))) or strs != list(benchmark_arch_strs()):
        raise SystemExit("CSV rows do not match the benchmark's arch order")
    count = len(ids)
    pieces = []
    for column, (dataset, split) in COLUMNS.items():
        pieces.append(pa.table({
            "arch_id": pa.array(ids, pa.int64()),
            "dataset": [dataset] * count,
            "split": [split] * count,
            "epochs": pa.array([200] * count, pa.int32()),
            "seed": pa.nulls(count, pa.int64()),
            "accuracy": table.column(column).cast(pa.float64()),
            "train_time_s": pa.nulls(count, pa.float64()),
            "source": [SOURCE] * count,
        }))
    archs = pa.table({
        "arch_id": pa.array(ids, pa.int64()), "arch_str": strs,
        "encoding": pa.nulls(count, pa.string()), "params": pa.nulls(count, pa.float64()),
        "flops": pa.nulls(count, pa.float64()), "source": [SOURCE] * count,
    })
    for table_def, rows in ((ACCURACIES, pa.concat_tables(pieces)), (ARCHS, archs)):
        partition_dir(shipped, table_def, "nb201").joinpath("nb201-200ep.parquet").unlink(
            missing_ok=True)  # the 12-epoch part beside it stays
        write_part(shipped, table_def.name, rows, space="nb201", part_name="nb201-200ep")


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(__file__).resolve().parents[1] / "data" / "shipped")
