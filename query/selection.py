"""Which stored scores a study reads, and the one-line errors when there are none.

Shared by the search, the correlation study and the plots: check the space and dataset,
pick the score configuration, and fetch columns as NumPy arrays in one DuckDB round trip.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import duckdb
import numpy as np

from naswot_db.core.errors import NaswotDbError
from naswot_db.core.names import score_datasets
from naswot_db.core.scores import DEFAULT_SCORE

from .arrow_numpy import column_to_numpy
from .az_nas import AZ_NAS, az_nas_missing_error, score_relation
from .connection import connect, resolve_root
from .errors import QueryError

@dataclass(frozen=True)
class Source:
    """An open connection and the root it reads (for messages that name a build command)."""

    connection: duckdb.DuckDBPyConnection
    root: Path


@contextmanager
def open_source(root: Path | str | None = None,
                connection: duckdb.DuckDBPyConnection | None = None) -> Iterator[Source]:
    """Reuse ``connection`` when given (it must read ``root``), else connect to ``root`` and
    close that connection afterwards."""
    resolved = resolve_root(root)
    if connection is not None:
        yield Source(connection, resolved)
        return
    owned = connect(resolved)
    try:
        yield Source(owned, resolved)
    finally:
        owned.close()


def fetch_columns(source: Source, sql: str, params: list | None = None) -> dict[str, np.ndarray]:
    """Result columns as NumPy arrays (NULL doubles become NaN).

    Each Arrow column is dropped once converted, so a result of millions of rows is held
    about once, not twice (NB101-scale score loads stay well under 1 GB)."""
    table = source.connection.sql(sql, params=params or []).to_arrow_table()
    columns = {}
    for name in table.column_names:
        columns[name] = column_to_numpy(table.column(name))
        table = table.drop_columns([name])
    return columns


def build_hint(source: Source, space: str, dataset: str, score: str = DEFAULT_SCORE) -> str:
    """The build command that makes the missing scores, exactly as it can be run."""
    score_flag = "" if score == DEFAULT_SCORE else f" --score {score}"
    return (f"`naswot-db build --space {space} --dataset {dataset}{score_flag} "
            f"--root {source.root}`")


def _known_space_datasets(space: str) -> tuple[str, ...] | None:
    """The space's scoring datasets, or None for a space naswot-db does not know."""
    try:
        return score_datasets(space)
    except NaswotDbError:  # an unknown space name
        return None


def require_scores(source: Source, space: str, dataset: str | None,
                   score: str = DEFAULT_SCORE) -> None:
    """Raise a :class:`QueryError` naming the fix unless ``space`` (and ``dataset``) has
    ``score`` scores."""
    stored = {row[0] for row in source.connection.execute(
        f"SELECT DISTINCT dataset FROM {score_relation(score)} WHERE space = ? AND score = ?",
        [space, score]).fetchall()}
    if stored and (dataset is None or dataset in stored):
        return
    if score == AZ_NAS:
        raise az_nas_missing_error(source.connection, space, dataset)
    spaces_with_data = {row[0] for row in source.connection.execute(
        "SELECT space FROM scores UNION SELECT space FROM accuracies UNION "
        "SELECT space FROM archs").fetchall()}
    registered = _known_space_datasets(space)
    if registered is None and space not in spaces_with_data:
        known = ", ".join(sorted(spaces_with_data)) or "none"
        raise QueryError(f"unknown space {space!r} (spaces with data under {source.root}: {known})")
    if dataset is not None and registered is not None and dataset not in registered \
            and dataset not in stored:
        raise QueryError(f"unknown dataset {dataset!r} for space {space!r}; "
                         f"datasets: {', '.join(registered)}")
    shown = dataset or (registered[0] if registered else "DATASET")
    which = f"space {space!r} and dataset {dataset!r}" if dataset else f"space {space!r}"
    raise QueryError(f"no {score} scores for {which} under {source.root} yet; build them with "
                     f"{build_hint(source, space, shown, score)}")


def require_any_scores(source: Source) -> None:
    """Raise unless the root holds at least one score row."""
    if source.connection.execute("SELECT count(*) FROM scores").fetchall()[0][0] == 0:
        raise QueryError(f"no scores under {source.root} yet; build them with "
                         f"`naswot-db build --space SPACE --dataset DATASET --root {source.root}`")


@dataclass(frozen=True)
class ScoreConfig:
    """One score configuration: rows with these settings are comparable replicates."""

    config_id: str
    batch_size: int
    score: str = DEFAULT_SCORE


def _config_rows(source: Source, space: str, dataset: str, score: str, config_id: str | None,
                 batch_size: int | None) -> list[tuple[str, int, int]]:
    where, params = config_filter_sql("scores", space, dataset, score, config_id, batch_size)
    return source.connection.execute(
        f"SELECT config_id, batch_size, count(*) {where} GROUP BY ALL ORDER BY ALL",
        params).fetchall()


def _one_config(source: Source, space: str, dataset: str, score: str, config_id: str | None,
                batch_size: int | None, rows: list[tuple[str, int, int]]) -> ScoreConfig:
    """The configuration of ``rows`` when there is exactly one, else the error naming the fix."""
    if len(rows) == 1:
        return ScoreConfig(rows[0][0], rows[0][1], score)
    if not rows:
        require_scores(source, space, dataset, score)  # no scores at all: say which build
        raise QueryError(f"no scores for space {space!r}, dataset {dataset!r} with config_id "
                         f"{config_id!r} and batch size {batch_size!r}")
    listing = "; ".join(f"--config-id {c} --batch-size {b} ({n} rows)" for c, b, n in rows)
    raise QueryError(f"space {space!r} dataset {dataset!r} has several score configurations; "
                     f"choose one: {listing}")


def choose_config(source: Source, space: str, dataset: str, config_id: str | None = None,
                  batch_size: int | None = None, score: str = DEFAULT_SCORE) -> ScoreConfig:
    """The single (config_id, batch_size) of ``score`` matching the filters; several: ask the
    user to pick."""
    rows = _config_rows(source, space, dataset, score, config_id, batch_size)
    return _one_config(source, space, dataset, score, config_id, batch_size, rows)


def config_filter_sql(view: str, space: str, dataset: str, score: str, config_id: str | None,
                      batch_size: int | None) -> tuple[str, list]:
    """``FROM view WHERE ...`` selecting the rows of the configurations matching the filters
    (``config_id``/``batch_size`` None: any), and its parameters; ``az_nas`` reads its macro."""
    return (f"FROM {score_relation(score, view)} WHERE space = ? AND dataset = ? AND score = ? "
            "AND (? IS NULL OR config_id = ?) AND (? IS NULL OR batch_size = ?)",
            [space, dataset, score, config_id, config_id, batch_size, batch_size])


def single_config(source: Source, where: str, params: list, score: str) -> ScoreConfig:
    """The configuration of the first row of ``where`` (known to hold one configuration): a
    query that stops at the first part instead of reading them all."""
    config_id, batch_size = source.connection.execute(
        f"SELECT config_id, batch_size {where} LIMIT 1", params).fetchall()[0]
    return ScoreConfig(config_id, batch_size, score)
