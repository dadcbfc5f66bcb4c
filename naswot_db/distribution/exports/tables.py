"""The ``scored`` view (scores joined with archs and accuracies) as CSV or Parquet files.

One file per space, ``OUTPUT/<space>.csv`` or ``.parquet``: plain files for anyone without
naswot-db.  Rows stream from DuckDB to Arrow's writers in batches, so a large space never sits
in memory whole.  Singular networks' -inf stays -inf (``-inf`` in CSV).
"""

from __future__ import annotations

from pathlib import Path

import pyarrow.csv as csv
import pyarrow.parquet as pq

from naswot_db.query.errors import QueryError
from naswot_db.query.selection import Source

from naswot_db.schema.atomic import atomic_file

_BATCH_ROWS = 100_000


def _writer(fmt: str, path: Path, schema):
    return (csv.CSVWriter(path, schema) if fmt == "csv"
            else pq.ParquetWriter(path, schema, compression="zstd"))


# the export's filters; NULL (not given) keeps every value
_FILTER = ("(? IS NULL OR score = ?) AND (? IS NULL OR dataset = ?) "
           "AND (? IS NULL OR config_id = ?) AND (? IS NULL OR batch_size = ?)")


def export_tables(source: Source, output: Path, fmt: str, space: str | None,
                  score: str | None = None, dataset: str | None = None,
                  config_id: str | None = None, batch_size: int | None = None) -> list[Path]:
    """Write one ``fmt`` file of the scored view per space (every scored space by default),
    keeping only the rows of the given score, dataset, configuration and batch size."""
    filters = [v for value in (score, dataset, config_id, batch_size) for v in (value, value)]
    spaces = [space] if space else [row[0] for row in source.connection.execute(
        f"SELECT DISTINCT space FROM scores WHERE {_FILTER} ORDER BY space", filters).fetchall()]
    if not spaces:
        raise QueryError(f"no scores under {source.root} match the export's filters")
    output.mkdir(parents=True, exist_ok=True)
    written = []
    for name in spaces:
        reader = source.connection.sql(
            f"SELECT * FROM scored WHERE space = ? AND {_FILTER} ORDER BY ALL",
            params=[name, *filters]
        ).to_arrow_reader(_BATCH_ROWS)
        path = output / f"{name}.{fmt}"
        rows = 0
        with atomic_file(path) as tmp:
            writer = _writer(fmt, tmp, reader.schema)
            with writer:
                for batch in reader:
                    writer.write_batch(batch)
                    rows += batch.num_rows
            if not rows:
                raise QueryError(f"no scores for space {name!r} under {source.root} match the "
                                 "export's filters")
        written.append(path)
    return written
