"""SQL forms of the tables: DuckDB view definitions and SQLAlchemy ``Table`` objects."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from naswot_db.core.names import ground_truth_space_sql, peer_config_sql

from .dedup import KEYS, ROW_GROUPS, ROW_KEYS, first_per_key_sql, split_by_uniqueness
from .tables import PARTITION_COLUMN, RUNS, TABLES, Table

if TYPE_CHECKING:
    import sqlalchemy as sa

# scores joined with each architecture's description and every ground-truth value it has
# (nb101-original scores join NB101's archs and accuracies).
SCORED_VIEW = """
CREATE OR REPLACE VIEW scored AS
SELECT s.*,
       a.arch_str, a.params, a.flops,
       g.dataset AS acc_dataset, g.split AS acc_split, g.epochs AS acc_epochs,
       g.seed AS acc_seed, g.accuracy, g.train_time_s, g.eval_time_s
FROM scores AS s
LEFT JOIN archs AS a ON a.space = {truth} AND a.arch_id = s.arch_id
LEFT JOIN accuracies AS g ON g.space = {truth} AND g.arch_id = s.arch_id
""".format(truth=ground_truth_space_sql("s.space"))


SCORES_WIDE_VIEW = "scores_wide"
# what identifies one scoring besides the score and its configuration: a row of scores_wide
WIDE_KEY = ("space", "arch_id", "dataset", "batch_size", "init_seed", "batch_seed")


def wide_scores_sql(scores: list[str], published: bool = False) -> str:
    """A SELECT of one row per (space, arch, dataset, batch size, init seed, batch seed), one
    DOUBLE column per score in ``scores``: the root's own scores, or (``published``) the values
    ingested with ``ingest --format naslib-zc``, never a mix.

    Per (space, dataset, batch size, score) one configuration is used: the one with the most
    rows, then the smallest config_id (a score built twice with different settings, e.g.
    ``--split``, would otherwise give two values in one cell).  A score without rows in a group
    is NULL there.
    """
    key = ", ".join(WIDE_KEY)
    columns = "".join(f", any_value(value) FILTER (WHERE score = {_quote(name)}) AS \"{name}\""
                      for name in scores)
    origin = peer_config_sql("config_id") if published else f"NOT {peer_config_sql('config_id')}"
    return f"""
WITH chosen_rows AS (SELECT * FROM scores WHERE {origin}),
chosen AS (
    SELECT space, dataset, batch_size, score, config_id FROM chosen_rows
    GROUP BY space, dataset, batch_size, score, config_id
    QUALIFY row_number() OVER (PARTITION BY space, dataset, batch_size, score
                               ORDER BY count(*) DESC, config_id) = 1)
SELECT {key}{columns}
FROM chosen_rows JOIN chosen USING (space, dataset, batch_size, score, config_id)
GROUP BY {key}
"""


def scores_wide_view_sql(scores: list[str]) -> str:
    """``CREATE VIEW scores_wide`` over the root's own scores (:func:`wide_scores_sql`):
    published values are other people's measurements, compared in ``scores`` by config_id."""
    return f"CREATE OR REPLACE VIEW {SCORES_WIDE_VIEW} AS {wide_scores_sql(scores)}"


def _quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _typed_nulls(table: Table) -> str:
    """A SELECT list of one typed NULL per column of ``table``."""
    return ", ".join(f'CAST(NULL AS {c.sql_type}) AS "{c.name}"' for c in table.columns)


def _by_space(files: list[Path]) -> dict[str, list[Path]]:
    grouped: dict[str, list[Path]] = {}
    for path in files:
        grouped.setdefault(path.parent.name.split("=", 1)[1], []).append(path)
    return grouped


def parquet_source_sql(table: Table, files: list[Path], by_name: bool = True) -> str:
    """A SELECT of every row of ``files`` as parts of ``table`` (partition column included);
    ``by_name``: union the parts' columns (a column a part lacks reads as NULL), else take the
    first part's columns (a part lacking one that a query reads is an error).

    The partition column is a constant per partition folder rather than DuckDB's hive
    partitioning, which parses every path each time a query binds (0.04 s at 6,620 parts); a
    filter on it still skips the other folders' files.
    """
    union = ", union_by_name = true" if by_name else ""
    if not table.partitioned:
        return f"SELECT * FROM read_parquet({_file_list(files)}, hive_partitioning = false{union})"
    return " UNION ALL BY NAME ".join(
        f"(SELECT *, {_quote(space)} AS {PARTITION_COLUMN} FROM "
        f"read_parquet({_file_list(parts)}, hive_partitioning = false{union}))"
        for space, parts in _by_space(files).items())


def _file_list(files: list[Path]) -> str:
    return "[" + ", ".join(_quote(str(f)) for f in files) + "]"


# Every score row on disk, duplicate keys included, for loaders that resolve duplicates
# themselves (the search: one O(n) check, then the deduplicated ``scores`` view only if a key
# repeats), because the deduplication is a hash pass over every row: seconds at NB101 scale.
SCORE_ROWS_VIEW = "score_rows"


def score_rows_view_sql(files: list[Path], by_name: bool = True,
                        with_shipped: bool = False) -> str:
    """``CREATE VIEW score_rows`` over the scores parts ``files`` (no deduplication), plus
    (``with_shipped``) the shipped scores the ``scores`` view shows."""
    scores = TABLES["scores"]
    columns = ", ".join(f'"{c.name}"' for c in scores.columns)
    sources = [parquet_source_sql(scores, files, by_name)] if files else []
    if with_shipped:
        sources.append(f"SELECT * FROM {shipped_view_name(scores)}")
    if not sources:
        return (f"CREATE OR REPLACE VIEW {SCORE_ROWS_VIEW} AS SELECT {_typed_nulls(scores)} "
                "WHERE false")
    union = " UNION ALL BY NAME ".join(f"({source})" for source in sources)
    return f"CREATE OR REPLACE VIEW {SCORE_ROWS_VIEW} AS SELECT {columns} FROM ({union})"


def _row_sources(table: Table, files: list[Path], by_name: bool) -> list[str]:
    """SELECTs whose union is the table: parts of a keyed table are deduplicated by key."""
    key = KEYS.get(table.name)
    if key is None:
        return [parquet_source_sql(table, files, by_name)]
    unique, unsure = split_by_uniqueness(files)
    return ([parquet_source_sql(table, unique, by_name)] if unique else []) + (
        [first_per_key_sql(key, parquet_source_sql(table, unsure, by_name))] if unsure else [])


# A run's rows_written as the rows of that run present now: right for a killed run too, whose
# own row was last written before its rows landed.
_RUNS_ROWS_PRESENT = ("SELECT r.* REPLACE (coalesce(n.rows_present, 0) AS rows_written) "
                      "FROM ({runs}) AS r LEFT JOIN (SELECT run_id, count(*) AS rows_present "
                      "FROM scores GROUP BY run_id) AS n USING (run_id)")


def shipped_view_name(table: Table) -> str:
    """The view of the shipped rows that a root's ``table`` view shows (``shipped_scores``)."""
    return f"shipped_{table.name}"


def shipped_view_sql(table: Table, shipped: list[Path], own: list[Path]) -> str:
    """``CREATE VIEW shipped_<table>``: the rows of the shipped parts ``shipped`` that a view
    over a root whose own parts are ``own`` shows.

    A space the root holds no rows of shows every shipped row.  Otherwise own rows add to the
    shipped rows of their group (:data:`.dedup.ROW_GROUPS`: a score configuration or a
    ground-truth column), a shipped row staying unless an own row has its key
    (:data:`.dedup.ROW_KEYS`): a 40-arch build of the shipped configuration or a 3-arch ingest
    replaces those 40 or 3 keys, not the space.  Shipped groups the root has no rows of are
    left out there, as the root's own study of that space (another configuration, other
    columns) stands apart from them; a space's own arch list replaces the shipped one (ids
    are the benchmark's, so both name the same archs).  A separate view so that every output
    can count which rows are shipped.
    """
    name = shipped_view_name(table)
    typed_nulls = _typed_nulls(table)
    if not shipped:
        return f"CREATE OR REPLACE VIEW {name} AS SELECT {typed_nulls} WHERE false"
    own_by_space = _by_space(own)
    grouped = table.name in ROW_GROUPS
    sources = []
    for space, parts in _by_space(shipped).items():
        source = parquet_source_sql(table, parts)
        if space in own_by_space and not grouped:
            continue
        if space in own_by_space:
            mine = parquet_source_sql(table, own_by_space[space])
            source = (f"SELECT s.* FROM ({source}) AS s "
                      f"SEMI JOIN ({mine}) AS g ON {_equal_columns(ROW_GROUPS[table.name], 'g')} "
                      f"ANTI JOIN ({mine}) AS o ON {_equal_columns(ROW_KEYS[table.name], 'o')}")
        sources.append(f"({source})")
    if not sources:
        return f"CREATE OR REPLACE VIEW {name} AS SELECT {typed_nulls} WHERE false"
    columns = ", ".join(f'"{c.name}"' for c in table.columns)
    return (f"CREATE OR REPLACE VIEW {name} AS SELECT {columns} FROM (SELECT {typed_nulls} "
            f"WHERE false UNION ALL BY NAME {' UNION ALL BY NAME '.join(sources)})")


def _equal_columns(columns: tuple[str, ...], other: str) -> str:
    """``s.c IS NOT DISTINCT FROM other.c AND ...``: equal, NULL equal to NULL."""
    return " AND ".join(f's."{c}" IS NOT DISTINCT FROM {other}."{c}"' for c in columns)


def view_sql(table: Table, files: list[Path], by_name: bool = True,
             with_shipped: bool = False) -> str:
    """``CREATE VIEW`` over Parquet parts, or over no rows with the right column types.

    The parts are unioned by name with a typed empty row set, so a nullable column that older
    parts lack (e.g. ``eval_time_s`` in a root ingested before it existed) reads as NULL;
    ``by_name=False`` when every part is known to have every column (cheaper to bind).
    ``scores`` shows each key once (:mod:`.dedup`); ``runs`` counts each run's rows present
    (create it after ``scores``).  ``with_shipped``: the rows of the view
    :func:`shipped_view_sql` made (create it first) are added.
    """
    columns = ", ".join(f'"{c.name}"' for c in table.columns)
    typed_nulls = _typed_nulls(table)
    sources = _row_sources(table, files, by_name) if files else []
    if with_shipped:
        sources.append(f"SELECT * FROM {shipped_view_name(table)}")
    if not sources:
        return f"CREATE OR REPLACE VIEW {table.name} AS SELECT {typed_nulls} WHERE false"
    union = " UNION ALL BY NAME ".join(f"({source})" for source in sources)
    rows = (f"SELECT {columns} FROM (SELECT {typed_nulls} WHERE false UNION ALL BY NAME "
            f"{union})")
    if table is RUNS:
        rows = _RUNS_ROWS_PRESENT.format(runs=rows)
    return f"CREATE OR REPLACE VIEW {table.name} AS {rows}"


def sqlalchemy_metadata() -> sa.MetaData:
    """SQLAlchemy tables mirroring the views (for ``select()`` and ``pandas.read_sql``)."""
    import sqlalchemy as sa  # imported here: the DuckDB views do not need it

    types = {"VARCHAR": sa.String, "BIGINT": sa.BigInteger, "INTEGER": sa.Integer,
             "DOUBLE": sa.Float, "BOOLEAN": sa.Boolean,
             "TIMESTAMPTZ": lambda: sa.DateTime(timezone=True)}
    metadata = sa.MetaData()
    for table in TABLES.values():
        sa.Table(
            table.name,
            metadata,
            *(sa.Column(c.name, types[c.sql_type](), nullable=c.nullable,
                        comment=c.doc) for c in table.columns),
            comment=table.doc,
        )
    return metadata
