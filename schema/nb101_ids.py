"""NB101 arch ids: a cell's id is the position of its module hash in the ascending-hash list of
the whole space, the shipped arch table (``data/shipped/archs/space=nb101``).

Ingest, the schema migration and the space look ids up here; the list is read once per process
(one column, a fraction of a second) instead of a whole table per lookup.
"""

from __future__ import annotations

from functools import lru_cache
from importlib import resources
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from naswot_db.core.errors import NaswotDbError


@lru_cache(maxsize=1)
def space_ids() -> dict[str, int]:
    """Module hash -> arch id for all 423,624 cells."""
    # the shipped folder is written once by tools/make_shipped_nb101.py: plain parts only
    # (read directly, below the storage layer that migrates roots with these ids)
    folder = Path(str(resources.files("naswot_db.data"))) / "shipped" / "archs" / "space=nb101"
    parts = sorted(folder.glob("*.parquet"))
    if not parts:
        raise NaswotDbError("this naswot-db has no shipped NB101 arch list "
                            "(data/shipped/archs/space=nb101); reinstall it")
    table = pa.concat_tables(pq.read_table(p, columns=["arch_id", "arch_str"]) for p in parts)
    return dict(zip(table.column("arch_str").to_pylist(), table.column("arch_id").to_pylist()))
