"""DuckDB connections and SQLAlchemy engines over a root's tables as views.

Every connection sees the views ``archs``, ``accuracies``, ``scores``, ``runs``, ``scored`` and
``scores_wide`` (one column per score: ensembles as a query) plus the statistics macros (and ``score_rows``, the scores parts without deduplication, for
loaders that check for duplicate keys themselves).  A root's own rows add to the shipped tables
(NB201's archs, 200-epoch accuracies and CIFAR-10 scores; NB101's archs and labels) and win
where both have a key; ``shipped_archs``, ``shipped_accuracies`` and ``shipped_scores`` are the
shipped rows each view shows (:mod:`.shipped`).
The views list the part files present when the connection opens: reconnect after a build.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb

from naswot_db.schema import SCORES, TABLES, check_root, default_root, part_files
from naswot_db.schema.duckdb_limits import bounded_connection
from naswot_db.schema.parts import refuse_foreign_parts
from naswot_db.schema.sql import (
    SCORED_VIEW, score_rows_view_sql, scores_wide_view_sql, shipped_view_sql, view_sql,
)
from naswot_db.core.scores import score_names

from .az_nas import register_az_nas
from .errors import QueryError, one_line
from .macros import register_macros
from .readonly import check_read_statement, restrict_to_files
from .shipped import shipped_parts

if TYPE_CHECKING:
    import pandas as pd
    import sqlalchemy as sa


def resolve_root(root: Path | str | None) -> Path:
    """``root`` (default: :func:`naswot_db.schema.default_root`) as an absolute, version-checked
    path."""
    path = Path(root) if root is not None else default_root()
    if path.exists() and not path.is_dir():
        raise QueryError(f"database root {path} is not a directory")
    check_root(path)
    return path.resolve()


def install_views(connection, root: Path) -> None:
    """Create the table views, the ``scored`` and ``scores_wide`` views and the macros on a
    DuckDB connection.

    Afterwards the connection can open the views' part files and no other file
    (:mod:`.readonly`); a foreign Parquet file under a table folder is refused, not read.
    """
    readable: list[Path] = []
    for table in TABLES.values():
        own, shipped = part_files(root, table), shipped_parts(root, table)
        complete = refuse_foreign_parts(table, own + shipped)
        if table.partitioned:
            connection.execute(shipped_view_sql(table, shipped, own))
        connection.execute(view_sql(table, own, by_name=not complete,
                                    with_shipped=table.partitioned))
        if table is SCORES:
            connection.execute(score_rows_view_sql(own, by_name=not complete, with_shipped=True))
        readable += own + shipped
    connection.execute(SCORED_VIEW)
    connection.execute(scores_wide_view_sql(score_names()))
    register_macros(connection)
    register_az_nas(connection)
    restrict_to_files(connection, readable)


def connect(root: Path | str | None = None) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB connection with the views over ``root`` (read-only use)."""
    resolved = resolve_root(root)
    connection = bounded_connection()
    install_views(connection, resolved)
    return connection


def engine(root: Path | str | None = None) -> sa.Engine:
    """A SQLAlchemy engine (duckdb-engine) whose every connection has the same views and macros.

    Usable with ``pandas.read_sql(sql, engine(root))`` and with ``sqlalchemy.select`` over
    :func:`naswot_db.schema.sql.sqlalchemy_metadata` tables.
    """
    import sqlalchemy as sa  # 0.2 s to import: only for engine users

    resolved = resolve_root(root)
    result = sa.create_engine("duckdb:///:memory:")

    @sa.event.listens_for(result, "connect")
    def _on_connect(dbapi_connection, _record) -> None:
        install_views(dbapi_connection, resolved)

    return result


def run_sql(query: str, root: Path | str | None = None,
            timeout_s: float | None = None) -> pd.DataFrame | None:
    """Run one reading SQL statement over the views; its rows, or None without any.

    The statement runs in a helper thread while this one waits, so Ctrl-C (which Python
    delivers to this thread only, and only between its own bytecodes) and ``timeout_s`` can
    interrupt DuckDB mid-query; either ends in one :class:`QueryError`.
    """
    check_read_statement(query)
    connection = connect(root)
    try:
        return _interruptible(connection, lambda: _rows(connection, query), timeout_s)
    finally:
        connection.close()


def _rows(connection: duckdb.DuckDBPyConnection, query: str) -> pd.DataFrame | None:
    try:
        relation = connection.sql(query)
        return None if relation is None else relation.df()
    except duckdb.InterruptException:
        raise
    except duckdb.Error as exc:
        raise QueryError(f"SQL error: {one_line(exc)}") from None


def _interruptible(connection: duckdb.DuckDBPyConnection, work, timeout_s: float | None):
    """``work()`` in a helper thread, interrupted at ``timeout_s`` or on Ctrl-C."""
    outcome: dict[str, object] = {}
    done = threading.Event()  # not Thread.join: a join cut by Ctrl-C can return too early

    def target() -> None:
        try:
            outcome["value"] = work()
        except BaseException as exc:  # noqa: BLE001 - handed to the waiting thread
            outcome["error"] = exc
        finally:
            done.set()

    thread = threading.Thread(target=target, name="naswot-db-query", daemon=True)
    thread.start()
    deadline = None if timeout_s is None else time.monotonic() + timeout_s
    why = None
    try:
        while not done.wait(0.05):
            if why is None and deadline is not None and time.monotonic() > deadline:
                why = f"the query ran longer than --timeout {timeout_s:g} s and was stopped"
                connection.interrupt()
    except KeyboardInterrupt:
        why = "interrupted (Ctrl-C); nothing was changed"
        connection.interrupt()
        done.wait()
    error = outcome.get("error")
    if why is not None and (error is None or isinstance(error, duckdb.InterruptException)):
        raise QueryError(why)
    if error is not None:
        raise error
    return outcome.get("value")
