"""Fill the shipped NB201 archs' ``params`` and ``flops`` (millions, the 10-class CIFAR-10
network) from the shipped whole-space ``params`` and ``flops`` scores.

Those scores are the space's own complexity count (``Space.complexity`` of the network a
Suite-Zero build scores), equal to NAS-Bench-Suite-Zero's published values on every arch of
its sample (tests/test_suite_zero_validation.py), in the units the NATS-Bench API's
``get_cost_info`` gives for CIFAR-10, which an NB201 ingest stores in these columns.  The arch
part is rewritten atomically; every arch must have exactly one value of each.

Usage: python tools/fill_shipped_nb201_complexity.py [data/shipped]
"""

from __future__ import annotations

import sys
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from naswot_db.schema import write_part
from naswot_db.schema.layout import partition_dir
from naswot_db.schema.tables import ARCHS, SCORES

PART = "nb201-200ep"


def _values(shipped: Path, score: str, arch_ids: pa.Array) -> pa.Array:
    """The score's value per arch of ``arch_ids``, from its one shipped file."""
    [path] = partition_dir(shipped, SCORES, "nb201").glob(f"nb201-cifar10-{score}-*.parquet")
    rows = pq.read_table(path, columns=["arch_id", "value", "status"])
    if rows.num_rows != len(arch_ids) or pc.any(pc.not_equal(rows["status"], "ok")).as_py():
        raise SystemExit(f"{path.name}: not one ok row per arch")
    order = pc.index_in(arch_ids, value_set=rows["arch_id"])
    if order.null_count:
        raise SystemExit(f"{path.name}: archs without a value")
    return pc.take(rows["value"], order)


def main(shipped: Path) -> None:
    path = partition_dir(shipped, ARCHS, "nb201") / f"{PART}.parquet"
    archs = pq.read_table(path)
    for column in ("params", "flops"):
        values = _values(shipped, column, archs["arch_id"])
        archs = archs.set_column(archs.schema.get_field_index(column), column, values)
    write_part(shipped, ARCHS.name, archs, space="nb201", part_name=f"{PART}.new")
    partition_dir(shipped, ARCHS, "nb201").joinpath(f"{PART}.new.parquet").replace(path)
    print(f"{path}: params and flops of {archs.num_rows} archs filled")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).parent.parent / "data" /
         "shipped")
