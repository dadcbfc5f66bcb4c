"""Result tables as text: an aligned table, CSV, JSON records or a Markdown table.

A table is a pandas DataFrame or a list of rows (dicts with the same keys, in column order):
``naswot-db search`` renders its rows as an aligned or Markdown table without loading pandas,
which costs a fresh process more than the whole search does.  How a search's results become
such rows is the searches' own business (:mod:`.searches.report`).
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Union

if TYPE_CHECKING:  # type hints only: the plain search does not load pandas
    import pandas as pd

Rows = list[dict]
Table = Union["pd.DataFrame", Rows]

FORMATS = ("table", "csv", "json", "markdown")


def missing(value) -> bool:
    """None, NaN or pandas' NA (recognised by its type, so this needs no pandas)."""
    return (value is None or (isinstance(value, float) and math.isnan(value))
            or type(value).__name__ == "NAType")


def _cell(value) -> str:
    if missing(value):
        return ""
    if isinstance(value, float):
        return f"{value:.6g}"
    return str(value)


def _grid(frame: Table) -> list[list[str]]:
    if isinstance(frame, list):
        columns = list(frame[0]) if frame else []
        rows = [[row[column] for column in columns] for row in frame]
    else:
        columns, rows = list(frame.columns), frame.itertuples(index=False)
    return [[str(c) for c in columns]] + [[_cell(v) for v in row] for row in rows]


def _aligned(frame: Table) -> str:
    grid = _grid(frame)
    widths = [max(len(row[i]) for row in grid) for i in range(len(grid[0]))]
    lines = ["  ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip()
             for row in grid]
    lines.insert(1, "  ".join("-" * width for width in widths))
    return "\n".join(lines)


def _markdown(frame: Table) -> str:
    grid = [[cell.replace("|", "\\|") for cell in row] for row in _grid(frame)]
    lines = ["| " + " | ".join(row) + " |" for row in grid]
    lines.insert(1, "|" + "|".join("---" for _ in grid[0]) + "|")
    return "\n".join(lines)


def render(frame: Table, fmt: str) -> str:
    """``frame`` in one of :data:`FORMATS` (CSV and JSON keep full precision, NaN as empty/null)."""
    if fmt == "table":
        return _aligned(frame)
    if fmt == "markdown":
        return _markdown(frame)
    if isinstance(frame, list):
        import pandas as pd

        frame = pd.DataFrame(frame)
    if fmt == "csv":
        return frame.to_csv(index=False).rstrip("\n")
    if fmt == "json":
        return frame.to_json(orient="records", indent=2)
    raise ValueError(f"unknown format {fmt!r}; choose one of {', '.join(FORMATS)}")
