"""Table definitions, storage layout and schema version of a naswot-db root."""

from .layout import part_files
from .storage import (
    SchemaVersionError,
    check_root,
    default_root,
    prepare_root,
    read_table,
    replace_partition,
    replace_partitions,
    shipped_root,
    write_part,
)
from .tables import ACCURACIES, ARCHS, RUNS, SCHEMA_VERSION, SCORES, TABLES, Column, Table

__all__ = [
    "ACCURACIES", "ARCHS", "RUNS", "SCHEMA_VERSION", "SCORES", "TABLES", "Column", "Table",
    "SchemaVersionError", "check_root", "default_root", "part_files", "prepare_root",
    "read_table", "replace_partition", "replace_partitions", "shipped_root", "write_part",
]
