"""Which rows of a root's views come from the tables shipped with naswot-db, and the notes
that say so.

A root's own rows add to the shipped ones (NB201's archs, 200-epoch accuracies and CIFAR-10
NASWOT scores; NB101's archs and 108-epoch labels): the root's row wins where both have a key
(:data:`naswot_db.schema.dedup.ROW_KEYS`), the shipped rows of every other key stay, so a
40-arch build or a 3-arch ingest changes 40 or 3 keys, not the whole space.  The shipped rows a
view shows are the views ``shipped_archs``, ``shipped_accuracies`` and ``shipped_scores``;
every answer that uses shipped rows says how many, because they are one configuration and one
replicate, not the user's own build.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import duckdb

from naswot_db.schema import SCORES, TABLES, part_files, shipped_root
from naswot_db.schema.layout import spaces_in
from naswot_db.schema.sql import shipped_view_name
from naswot_db.schema.tables import Table

# origin of the rows a study used: shipped with naswot-db, the root's own, or both
SHIPPED = "shipped"
BUILT = "built"         # scores
INGESTED = "ingested"   # archs and ground truth
PEER = "peer"           # scores: published values (ingest --format naslib-zc)
MIXED = "shipped+own"   # some rows shipped, the others the root's own


@dataclass(frozen=True)
class RowOrigin:
    """How many of a selection's rows are shipped and how many are the root's own."""

    shipped: int
    own: int

    def kind(self, own: str = BUILT) -> str:
        """``shipped``, ``own`` (e.g. ``built``) or ``shipped+own``."""
        if self.own == 0 and self.shipped > 0:
            return SHIPPED
        return own if self.shipped == 0 else MIXED

    def phrase(self, what: str = "rows") -> str:
        """``15,585 score rows shipped with naswot-db, 40 the root's own``."""
        return (f"{self.shipped:,} {what} shipped with naswot-db, {self.own:,} the root's own")


def row_origin(connection: duckdb.DuckDBPyConnection, table: Table, where: str = "",
               params: list | None = None) -> RowOrigin:
    """Shipped and own rows of ``table``'s view matching ``where`` (``WHERE ...`` or empty)."""
    total, shipped = (connection.execute(f"SELECT count(*) FROM {view} {where}",
                                         params or []).fetchall()[0][0]
                      for view in (table.name, shipped_view_name(table)))
    return RowOrigin(shipped, total - shipped)


def _counts_by(connection: duckdb.DuckDBPyConnection, view: str, columns: tuple[str, ...],
               where: str, params: list | None) -> dict[tuple, int]:
    group = ", ".join(f'"{c}"' for c in columns)
    return {row[:-1]: row[-1] for row in connection.execute(
        f"SELECT {group}, count(*) FROM {view} {where} GROUP BY ALL", params or []).fetchall()}


def shipped_counts(connection: duckdb.DuckDBPyConnection, table: Table,
                   columns: tuple[str, ...]) -> dict[tuple, int]:
    """Shipped rows of ``table``'s view per value of ``columns`` (reads the shipped parts only)."""
    return _counts_by(connection, shipped_view_name(table), columns, "", None)


def origins_by(connection: duckdb.DuckDBPyConnection, table: Table, columns: tuple[str, ...],
               where: str = "", params: list | None = None) -> dict[tuple, RowOrigin]:
    """Shipped and own rows of ``table``'s view matching ``where`` per value of ``columns``."""
    total, shipped = (_counts_by(connection, view, columns, where, params)
                      for view in (table.name, shipped_view_name(table)))
    return {key: RowOrigin(shipped.get(key, 0), count - shipped.get(key, 0))
            for key, count in total.items()}


def scores_origin(connection: duckdb.DuckDBPyConnection, space: str, dataset: str,
                  config_id: str, batch_size: int, score: str) -> RowOrigin:
    """Shipped and own rows of one score configuration."""
    return row_origin(connection, SCORES, "WHERE space = ? AND dataset = ? AND config_id = ? "
                      "AND batch_size = ? AND score = ?",
                      [space, dataset, config_id, batch_size, score])


def shipped_phrase(replicates: int, config_id: str) -> str:
    """How an output names the shipped scores it used."""
    return (f"{replicates} replicate{'s' if replicates > 1 else ''} shipped with naswot-db, "
            f"config {config_id}")


def origin_phrase(origin: RowOrigin, replicates: int, config_id: str) -> str:
    """How an output names a configuration's scores: shipped, the root's, or how many of each."""
    if origin.kind() == SHIPPED:
        return shipped_phrase(replicates, config_id)
    if origin.kind() == MIXED:
        return f"config {config_id}: {origin.phrase('score rows')}"
    return f"config {config_id}"


def shipped_spaces(root: Path, table: Table) -> list[str]:
    """Spaces whose ``table`` rows a view over ``root`` takes (at least in part) from the
    shipped tables."""
    if not table.partitioned or root.resolve() == shipped_root().resolve():
        return []
    return spaces_in(shipped_root(), table)


def shipped_parts(root: Path, table: Table) -> list[Path]:
    """The shipped parts a view over ``root`` reads."""
    spaces = set(shipped_spaces(root, table))
    return [p for p in part_files(shipped_root().resolve(), table)
            if p.parent.name.split("=", 1)[1] in spaces]


def missing_root_note(root: Path) -> str | None:
    """When ``root`` does not exist: a sentence saying so and what the shipped tables hold."""
    if root.exists():
        return None
    held = [f"{table.name} of {', '.join(spaces)}" for table in TABLES.values()
            if (spaces := spaces_in(shipped_root(), table))]
    return (f"database root {root} does not exist; answering from the tables shipped with "
            f"naswot-db only ({'; '.join(held)})")
