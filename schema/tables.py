"""The four tables of a naswot-db root, defined once.

Arrow schemas (for writing Parquet), SQL column lists (for DuckDB views) and SQLAlchemy tables
are all derived from :data:`TABLES`, so a column added here appears everywhere.
"""

from __future__ import annotations

from dataclasses import dataclass

import pyarrow as pa

SCHEMA_VERSION = 3  # 3: NB101 arch ids are positions in ascending module-hash order

# Tables are hive-partitioned by this column: it lives in the directory name, not the file.
PARTITION_COLUMN = "space"


@dataclass(frozen=True)
class Column:
    """One column: its Arrow type, SQL type, nullability and meaning."""

    name: str
    arrow_type: pa.DataType
    sql_type: str
    nullable: bool
    doc: str


@dataclass(frozen=True)
class Table:
    """One table: its columns and whether it is partitioned by space."""

    name: str
    columns: tuple[Column, ...]
    partitioned: bool
    doc: str

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]

    def file_schema(self) -> pa.Schema:
        """Arrow schema of one Parquet part (without the hive partition column)."""
        fields = [
            pa.field(c.name, c.arrow_type, nullable=c.nullable)
            for c in self.columns
            if not (self.partitioned and c.name == PARTITION_COLUMN)
        ]
        return pa.schema(fields, metadata={"naswot_db.schema_version": str(SCHEMA_VERSION),
                                           "naswot_db.table": self.name})

    def full_schema(self) -> pa.Schema:
        """Arrow schema of the table as the views show it (partition column included)."""
        return pa.schema([pa.field(c.name, c.arrow_type, nullable=c.nullable)
                          for c in self.columns])


def _col(name: str, arrow_type: pa.DataType, sql_type: str, doc: str,
         nullable: bool = False) -> Column:
    return Column(name, arrow_type, sql_type, nullable, doc)


_SPACE = _col("space", pa.string(), "VARCHAR", "search space name, e.g. nb201")
_ARCH_ID = _col("arch_id", pa.int64(), "BIGINT", "benchmark index of the architecture")
_VERSION = _col("schema_version", pa.int32(), "INTEGER", "schema version that wrote the row")

ARCHS = Table(
    "archs",
    (
        _SPACE,
        _ARCH_ID,
        _col("arch_str", pa.string(), "VARCHAR", "the benchmark's own encoding"),
        _col("encoding", pa.string(), "VARCHAR",
             "space-specific encoding as JSON (NB101 hash/adjacency/ops, NDS net config)",
             nullable=True),
        _col("params", pa.float64(), "DOUBLE",
             "parameters as the benchmark reports them: millions for NB201/NATS, a count for "
             "NB101 and NDS", nullable=True),
        _col("flops", pa.float64(), "DOUBLE",
             "FLOPs as the benchmark reports them: millions for NB201/NATS, a count for NDS, "
             "NULL for NB101", nullable=True),
        _col("source", pa.string(), "VARCHAR", "file and version the row came from"),
        _VERSION,
    ),
    partitioned=True,
    doc="one row per architecture",
)

ACCURACIES = Table(
    "accuracies",
    (
        _SPACE,
        _ARCH_ID,
        _col("dataset", pa.string(), "VARCHAR", "dataset the network was trained on"),
        _col("split", pa.string(), "VARCHAR", "evaluation split, e.g. x-valid, ori-test"),
        _col("epochs", pa.int32(), "INTEGER", "training budget in epochs"),
        _col("seed", pa.int64(), "BIGINT", "training seed; NULL = mean over seeds",
             nullable=True),
        _col("accuracy", pa.float64(), "DOUBLE", "top-1 accuracy in percent"),
        _col("train_time_s", pa.float64(), "DOUBLE", "training time in seconds", nullable=True),
        _col("eval_time_s", pa.float64(), "DOUBLE",
             "seconds of one evaluation pass over this split, averaged over the epochs "
             "(NATS-Bench's <split>-per-time); NULL where the benchmark has none",
             nullable=True),
        _col("source", pa.string(), "VARCHAR", "file and version the row came from"),
        _VERSION,
    ),
    partitioned=True,
    doc="one row per ground-truth value",
)

SCORES = Table(
    "scores",
    (
        _SPACE,
        _ARCH_ID,
        _col("score", pa.string(), "VARCHAR", "score name ('naswot')"),
        _col("dataset", pa.string(), "VARCHAR", "dataset of the scoring batch"),
        _col("batch_size", pa.int32(), "INTEGER", "images in the scoring batch"),
        _col("init_seed", pa.int64(), "BIGINT", "torch.manual_seed before building the net"),
        _col("batch_seed", pa.int64(), "BIGINT", "seed that chose the batch's images"),
        _col("config_id", pa.string(), "VARCHAR",
             "hash of every other setting that changes the value"),
        _col("value", pa.float64(), "DOUBLE", "score; -inf when K is singular, NaN on error",
             nullable=True),
        _col("status", pa.string(), "VARCHAR", "'ok', 'singular' or 'error'"),
        _col("error", pa.string(), "VARCHAR", "exception text when status = 'error'",
             nullable=True),
        _col("reference_raises", pa.bool_(), "BOOLEAN",
             "the reference procedure raises on this network (NaN / 0 in the paper)"),
        _col("time_s", pa.float64(), "DOUBLE", "seconds to build and score the network"),
        _col("run_id", pa.string(), "VARCHAR", "build invocation that wrote the row"),
        _VERSION,
    ),
    partitioned=True,
    doc="one row per scoring of one architecture",
)

RUNS = Table(
    "runs",
    (
        _col("run_id", pa.string(), "VARCHAR", "unique id of the build invocation"),
        _col("started_at", pa.timestamp("us", tz="UTC"), "TIMESTAMPTZ", "start time"),
        _col("finished_at", pa.timestamp("us", tz="UTC"), "TIMESTAMPTZ", "end time",
             nullable=True),
        _col("host", pa.string(), "VARCHAR", "machine name"),
        _col("device", pa.string(), "VARCHAR", "device name the scores were computed on"),
        _col("torch_version", pa.string(), "VARCHAR", "torch.__version__"),
        _col("package_versions", pa.string(), "VARCHAR", "JSON of relevant package versions"),
        _col("precision", pa.string(), "VARCHAR", "'fp32' or 'tf32'"),
        _col("config", pa.string(), "VARCHAR", "full build configuration as JSON"),
        _col("config_id", pa.string(), "VARCHAR", "hash of the score-affecting settings"),
        _col("data_fingerprint", pa.string(), "VARCHAR",
             "JSON {batch_seed: sha256 of the exact image batch}"),
        _col("rows_written", pa.int64(), "BIGINT", "score rows this run added"),
        _VERSION,
    ),
    partitioned=False,
    doc="one row per build invocation",
)

TABLES: dict[str, Table] = {t.name: t for t in (ARCHS, ACCURACIES, SCORES, RUNS)}
