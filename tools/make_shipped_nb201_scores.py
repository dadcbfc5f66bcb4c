"""Copy the full NB201 CIFAR-10 NASWOT build into data/shipped/ as the default NB201 scores
(the other scores' files: tools/make_shipped_nb201_zc.py).

Usage: python tools/make_shipped_nb201_scores.py PATH/TO/nb201-naswot-cifar10

The source folder is the one described in data/shipped/PROVENANCE.md (``scores.parquet``: the
build's parts concatenated).  Values are copied as they are; only the schema version stamp is
set to this release's, and the file is written as one zstd-compressed Parquet part.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pyarrow.compute as pc
import pyarrow.parquet as pq

from naswot_db.schema.layout import partition_dir
from naswot_db.schema.storage import conform
from naswot_db.schema.tables import SCORES

SPACE = "nb201"
ARCHS = 15_625


def main(source: Path, shipped: Path) -> Path:
    rows = pq.read_table(source / "scores.parquet")
    rows = rows.drop_columns([c for c in ("schema_version", "space") if c in rows.column_names])
    rows = rows.sort_by("arch_id")
    if not np.array_equal(rows.column("arch_id").to_numpy(), np.arange(ARCHS)):
        raise SystemExit(f"expected one row per arch 0..{ARCHS - 1}")
    config_ids = pc.unique(rows.column("config_id")).to_pylist()
    if len(config_ids) != 1:
        raise SystemExit(f"expected one configuration, found {config_ids}")
    directory = partition_dir(shipped, SCORES, SPACE)
    directory.mkdir(parents=True, exist_ok=True)
    for old in directory.glob("*.parquet"):  # the previous NASWOT file; other scores' stay
        if pc.unique(pq.read_table(old, columns=["score"]).column("score")).to_pylist() == [
                "naswot"]:
            old.unlink()
    target = directory / f"{SPACE}-cifar10-{config_ids[0]}.parquet"
    pq.write_table(conform(SCORES, rows), target, compression="zstd", compression_level=19)
    return target


if __name__ == "__main__":
    print(main(Path(sys.argv[1]), Path(__file__).resolve().parents[1] / "data" / "shipped"))
