"""Result tables as text: an aligned table, CSV, JSON records or a Markdown table.

A table is a pandas DataFrame or a list of rows (dicts with the same keys, in column order):
``naswot-db search`` renders its rows as an aligned or Markdown table without loading pandas,
which costs a fresh process more than the whole search does.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Union

from .search import SearchResult
from .shipped import origin_phrase

if TYPE_CHECKING:  # type hints only: the plain search does not load the budgeted searches
    import pandas as pd

    from .searches.compare import SearchComparison
    from .searches.result import BudgetSearchResult

Rows = list[dict]
Table = Union["pd.DataFrame", Rows]

FORMATS = ("table", "csv", "json", "markdown")
_METHOD_LABELS = {"naswot": "NASWOT", "best_of_n": "best of N (ground truth)",
                  "random_arch": "random arch", "optimal": "optimal (best in space)",
                  "random": "random search", "rea": "REA", "area": "AREA"}


def score_label(score: str) -> str:
    """How the best-scored-of-N method is named: NASWOT for its own score, else which score
    ranked the N (in its own direction: the lowest value for a lower-is-better score)."""
    return "NASWOT" if score == "naswot" else f"best of N by {score}"


def _searched_score(result) -> str:
    sampled = result if isinstance(result, SearchResult) else result.naswot
    return sampled.config.score if sampled is not None else "naswot"


def _missing(value) -> bool:
    """None, NaN or pandas' NA (recognised by its type, so this needs no pandas)."""
    return (value is None or (isinstance(value, float) and math.isnan(value))
            or type(value).__name__ == "NAType")


def _cell(value) -> str:
    if _missing(value):
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


def _plus_minus(mean: float, std: float) -> str:
    return "" if math.isnan(mean) else f"{mean:.2f} ± {std:.2f}"


def paper_table(result: SearchResult | SearchComparison) -> pd.DataFrame:
    """:func:`paper_rows` as a DataFrame."""
    import pandas as pd

    return pd.DataFrame(paper_rows(result))


def paper_rows(result: SearchResult | SearchComparison) -> Rows:
    """The search as the paper prints it: "mean ± std" per target, one row per method and N.

    A comparison with budgeted methods adds their mean number of archs trained and the runs
    that trained nothing, and after each row that ran the paper's NB201 settings the paper's
    own numbers (:mod:`.searches.paper`).
    """
    records = (result.rows if isinstance(result, SearchResult)
               else result.table().to_dict("records"))
    labels = _METHOD_LABELS | {"naswot": score_label(_searched_score(result))}
    paper = {} if isinstance(result, SearchResult) else _paper_rows(result)
    rows = []
    for record in records:
        row = {"method": labels[record["method"]],
               "N": "" if _missing(record["n"]) else str(int(record["n"]))}
        for target in result.targets:
            mean, std = record[f"{target.label} mean"], record[f"{target.label} std"]
            row[target.label] = f"{mean:.2f}" if record["method"] == "optimal" \
                else _plus_minus(mean, std)
        time_mean = record.get("time_mean_s", math.nan)
        row["search time (s)"] = ("" if _missing(time_mean)
                                  else f"{time_mean:.1f} ± {record['time_std_s']:.1f}")
        nonfinite = record.get("runs_all_nonfinite", math.nan)
        row["all non-finite runs"] = "" if _missing(nonfinite) else str(int(nonfinite))
        if "evaluations_mean" in record:
            trained, unanswered = record["evaluations_mean"], record["runs_without_answer"]
            row["archs trained"] = "" if _missing(trained) else f"{trained:.1f}"
            row["runs without answer"] = "" if _missing(unanswered) else str(int(unanswered))
        rows.append(row)
        n = None if _missing(record["n"]) else int(record["n"])
        if (record["method"], n) in paper:
            runs, cells = paper[(record["method"], n)]
            rows.append({**dict.fromkeys(row, ""),
                         "method": f"{row['method']} (paper, {runs} runs)", "N": row["N"],
                         **{t.label: _plus_minus(*cells[t.label]) if t.label in cells else ""
                            for t in result.targets}})
    return rows


def _paper_rows(comparison: SearchComparison) -> dict:
    """The paper's rows a comparison reproduces (loaded only for comparisons)."""
    from .searches.paper import paper_rows

    return paper_rows(comparison)


def search_caption(result: SearchResult) -> str:
    """One line saying what was searched, so a pasted table carries its settings."""
    policy = (f"replicate {result.replicate[0]},{result.replicate[1]}"
              if isinstance(result.replicate, tuple) else f"replicate policy {result.replicate}")
    sampling = "with" if result.replace else "without"
    dropped = f", {result.unlabelled} scored archs without every label left out" \
        if result.unlabelled else ""
    config = (origin_phrase(result.origin_rows, len(result.replicates), result.config.config_id)
              if result.origin_rows is not None else f"config {result.config.config_id}")
    return (f"{result.space}, {result.config.score} scores on {result.dataset} ({config}, "
            f"batch {result.config.batch_size}), {policy}, "
            f"{result.runs} runs, sampling "
            f"{sampling} replacement from {result.pool_size} archs, seed {result.seed}{dropped}")


def budget_caption(result: BudgetSearchResult) -> str:
    """One line with a budgeted method's settings."""
    s = result.settings
    evolution = (f", P {s.population}, S {s.sample_size}" if s.population is not None else "")
    sample = f", M {s.init_sample} scored" if s.init_sample is not None else ""
    policy = (f", replicate {s.replicate[0]},{s.replicate[1]}" if isinstance(s.replicate, tuple)
              else f", replicate policy {s.replicate}" if s.replicate is not None else "")
    ranked = f" ranked by {s.scores}" if s.scores else ""
    rules = ([] if s.tournament_replace or s.population is None
             else ["tournament without replacement"])
    rules += ["the training that crosses the budget counts"] if s.keep_last else []
    return (f"{result.space} {s.method}: {s.runs} runs, budget {s.budget_s:g} s{evolution}"
            f"{sample}{ranked}{policy}, fitness {s.fitness} ({s.fitness_source}), cost "
            f"{s.cost_source}{''.join(', ' + rule for rule in rules)}, seed {s.seed}")


def comparison_caption(comparison: SearchComparison) -> str:
    """The settings of every method in a comparison, one line each."""
    lines = [search_caption(comparison.naswot)] if comparison.naswot is not None else []
    return "\n".join(lines + [budget_caption(result) for result in comparison.budgeted])
