"""A simulated search as the paper prints it, and the one-line captions that carry its settings.

Each method's row is labelled by its descriptor (:mod:`.methods`): best-of-N by the score that
ranked the N, the budgeted methods by their own label.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from naswot_db.core.scores import DEFAULT_SCORE

from ..formatting import Rows, missing
from ..shipped import origin_phrase
from .best_of_n import SearchResult
from .methods import search_method

if TYPE_CHECKING:  # type hints only: the plain search does not load the budgeted searches
    import pandas as pd

    from .compare import SearchComparison
    from .result import BudgetSearchResult

# the best-of-N search's baselines, rows of its table beside its own
_BASELINE_LABELS = {"best_of_n": "best of N (ground truth)", "random_arch": "random arch",
                    "optimal": "optimal (best in space)"}


def _searched_score(result: SearchResult | SearchComparison) -> str:
    sampled = result if isinstance(result, SearchResult) else result.best_of_n
    return sampled.config.score if sampled is not None else DEFAULT_SCORE


def method_label(method: str, score: str) -> str:
    """How a table row of ``method`` (a method's name or alias, or a baseline) is labelled."""
    if method in _BASELINE_LABELS:
        return _BASELINE_LABELS[method]
    return search_method(method).table_label(score)


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
    own numbers (:mod:`.paper`).
    """
    records = (result.rows if isinstance(result, SearchResult)
               else result.table().to_dict("records"))
    score = _searched_score(result)
    paper = {} if isinstance(result, SearchResult) else _paper_rows(result)
    rows = []
    for record in records:
        row = {"method": method_label(record["method"], score),
               "N": "" if missing(record["n"]) else str(int(record["n"]))}
        for target in result.targets:
            mean, std = record[f"{target.label} mean"], record[f"{target.label} std"]
            row[target.label] = f"{mean:.2f}" if record["method"] == "optimal" \
                else _plus_minus(mean, std)
        time_mean = record.get("time_mean_s", math.nan)
        row["search time (s)"] = ("" if missing(time_mean)
                                  else f"{time_mean:.1f} ± {record['time_std_s']:.1f}")
        nonfinite = record.get("runs_all_nonfinite", math.nan)
        row["all non-finite runs"] = "" if missing(nonfinite) else str(int(nonfinite))
        if "evaluations_mean" in record:
            trained, unanswered = record["evaluations_mean"], record["runs_without_answer"]
            row["archs trained"] = "" if missing(trained) else f"{trained:.1f}"
            row["runs without answer"] = "" if missing(unanswered) else str(int(unanswered))
        rows.append(row)
        n = None if missing(record["n"]) else int(record["n"])
        if (record["method"], n) in paper:
            runs, cells = paper[(record["method"], n)]
            rows.append({**dict.fromkeys(row, ""),
                         "method": f"{row['method']} (paper, {runs} runs)", "N": row["N"],
                         **{t.label: _plus_minus(*cells[t.label]) if t.label in cells else ""
                            for t in result.targets}})
    return rows


def _paper_rows(comparison: SearchComparison) -> dict:
    """The paper's rows a comparison reproduces (loaded only for comparisons)."""
    from .paper import paper_rows

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
    lines = [search_caption(comparison.best_of_n)] if comparison.best_of_n is not None else []
    return "\n".join(lines + [budget_caption(result) for result in comparison.budgeted])
