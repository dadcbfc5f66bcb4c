"""Result tables as text: an aligned table, CSV, JSON records or a Markdown table."""

from __future__ import annotations

import math

import pandas as pd

from .search import SearchResult
from .shipped import SHIPPED

FORMATS = ("table", "csv", "json", "markdown")
_METHOD_LABELS = {"naswot": "NASWOT", "best_of_n": "best of N (ground truth)",
                  "random_arch": "random arch", "optimal": "optimal (best in space)"}


def _cell(value) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA:
        return ""
    if isinstance(value, float):
        return f"{value:.6g}"
    return str(value)


def _grid(frame: pd.DataFrame) -> list[list[str]]:
    return [[str(c) for c in frame.columns]] + [[_cell(v) for v in row]
                                                for row in frame.itertuples(index=False)]


def _aligned(frame: pd.DataFrame) -> str:
    grid = _grid(frame)
    widths = [max(len(row[i]) for row in grid) for i in range(len(grid[0]))]
    lines = ["  ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip()
             for row in grid]
    lines.insert(1, "  ".join("-" * width for width in widths))
    return "\n".join(lines)


def _markdown(frame: pd.DataFrame) -> str:
    grid = [[cell.replace("|", "\\|") for cell in row] for row in _grid(frame)]
    lines = ["| " + " | ".join(row) + " |" for row in grid]
    lines.insert(1, "|" + "|".join("---" for _ in grid[0]) + "|")
    return "\n".join(lines)


def render(frame: pd.DataFrame, fmt: str) -> str:
    """``frame`` in one of :data:`FORMATS` (CSV and JSON keep full precision, NaN as empty/null)."""
    if fmt == "table":
        return _aligned(frame)
    if fmt == "markdown":
        return _markdown(frame)
    if fmt == "csv":
        return frame.to_csv(index=False).rstrip("\n")
    if fmt == "json":
        return frame.to_json(orient="records", indent=2)
    raise ValueError(f"unknown format {fmt!r}; choose one of {', '.join(FORMATS)}")


def _plus_minus(mean: float, std: float) -> str:
    return "" if math.isnan(mean) else f"{mean:.2f} ± {std:.2f}"


def paper_table(result: SearchResult) -> pd.DataFrame:
    """The search as the paper prints it: "mean ± std" per target, one row per method and N."""
    table = result.table()
    rows = []
    for record in table.to_dict("records"):
        row = {"method": _METHOD_LABELS[record["method"]],
               "N": "" if record["n"] is None or pd.isna(record["n"]) else str(int(record["n"]))}
        for target in result.targets:
            mean, std = record[f"{target.label} mean"], record[f"{target.label} std"]
            row[target.label] = f"{mean:.2f}" if record["method"] == "optimal" \
                else _plus_minus(mean, std)
        time_mean = record.get("time_mean_s", math.nan)
        row["search time (s)"] = ("" if pd.isna(time_mean)
                                  else f"{time_mean:.1f} ± {record['time_std_s']:.1f}")
        nonfinite = record.get("runs_all_nonfinite", math.nan)
        row["all non-finite runs"] = "" if pd.isna(nonfinite) else str(int(nonfinite))
        rows.append(row)
    return pd.DataFrame(rows)


def search_caption(result: SearchResult) -> str:
    """One line saying what was searched, so a pasted table carries its settings."""
    policy = (f"replicate {result.replicate[0]},{result.replicate[1]}"
              if isinstance(result.replicate, tuple) else f"replicate policy {result.replicate}")
    sampling = "with" if result.replace else "without"
    dropped = f", {result.unlabelled} scored archs without every label left out" \
        if result.unlabelled else ""
    replicates = len(result.replicates)
    origin = (f"{replicates} replicate{'s' if replicates > 1 else ''} shipped with naswot-db, "
              if result.origin == SHIPPED else "")
    return (f"{result.space}, scores on {result.dataset} ({origin}config "
            f"{result.config.config_id}, batch {result.config.batch_size}), {policy}, "
            f"{result.runs} runs, sampling "
            f"{sampling} replacement from {result.pool_size} archs, seed {result.seed}{dropped}")
