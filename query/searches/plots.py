"""Figures of simulated searches: accuracy vs N of the best-of-N search, and the anytime
(best-so-far accuracy vs simulated time) curves of the budgeted searches.

Each method's label and colour come from its descriptor (:mod:`.methods`).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from matplotlib.figure import Figure

from ..errors import QueryError
from ..plots import _check_output, _save
from ..shipped import BUILT, origin_phrase
from .anytime import anytime_curve
from .best_of_n import SearchResult
from .compare import SearchComparison
from .methods import search_method
from .report import method_label


def _shipped_note(result: SearchResult | None) -> str:
    """`` (1 replicate shipped with naswot-db, config C)`` when ``result`` used those scores."""
    if result is None or result.origin_rows is None or result.origin == BUILT:
        return ""
    phrase = origin_phrase(result.origin_rows, len(result.replicates), result.config.config_id)
    return f" ({phrase})"


def search_plot(result: SearchResult, output: Path | str) -> Path:
    """Accuracy vs N per target: the best-scored of N and the best of N by ground truth with
    ±std bands, random, optimal."""
    output = _check_output(Path(output))
    table = result.table()
    columns = min(3, len(result.targets))
    rows = -(-len(result.targets) // columns)
    figure = Figure(figsize=(4.5 * columns, 3.4 * rows), layout="constrained")
    for index, target in enumerate(result.targets):
        axes = figure.add_subplot(rows, columns, index + 1)
        mean, std = f"{target.label} mean", f"{target.label} std"
        searched = search_method(result.method)
        for method, colour in ((result.method, searched.colour), ("best_of_n", "C2")):
            label = method_label(method, result.config.score)
            part = table[table["method"] == method].sort_values("n")
            n, m, s = part["n"].to_numpy(float), part[mean].to_numpy(), part[std].to_numpy()
            axes.plot(n, m, marker="o", color=colour, label=label)
            axes.fill_between(n, m - s, m + s, color=colour, alpha=0.2, linewidth=0)
        # one value each; the random arch's wide std is named, not drawn, to keep the scale
        random_arch = table[table["method"] == "random_arch"].iloc[0]
        axes.axhline(random_arch[mean], color="C7", linestyle=":",
                     label=f"random arch (std {random_arch[std]:.1f})")
        optimal = table.loc[table["method"] == "optimal", mean].iloc[0]
        axes.axhline(optimal, color="k", linestyle="--", linewidth=1, label="optimal")
        axes.set_xscale("log")
        axes.set_xlabel("N (archs scored per search)")
        axes.set_ylabel("accuracy (%)")
        axes.set_title(target.label)
        if index == 0:
            axes.legend(fontsize="small")
    figure.suptitle(f"{result.space}: simulated search on {result.dataset} scores"
                    f"{_shipped_note(result)}, "
                    f"{result.runs} runs")
    return _save(figure, output)


_ANYTIME_POINTS = 241


def anytime_plot(comparison: SearchComparison, output: Path | str) -> Path:
    """Best-so-far accuracy vs simulated time per target, as NAS-Bench-201 papers draw it: the
    mean over runs with a ±std band for each budgeted method, best-of-N's rows as points with
    ±std bars at their mean search time."""
    output = _check_output(Path(output))
    if not comparison.budgeted and comparison.best_of_n is None:
        raise QueryError("nothing to plot: run at least one method")
    end = max([float(np.nanmax(r.time_s)) for r in comparison.budgeted] + [1.0])
    times = np.linspace(0.0, end, _ANYTIME_POINTS)
    curves = [anytime_curve(result, times) for result in comparison.budgeted]
    sampled = comparison.best_of_n.table() if comparison.best_of_n is not None else None
    score = comparison.best_of_n.config.score if comparison.best_of_n is not None else ""
    columns = min(3, len(comparison.targets))
    rows = -(-len(comparison.targets) // columns)
    figure = Figure(figsize=(4.5 * columns, 3.4 * rows), layout="constrained")
    for index, target in enumerate(comparison.targets):
        axes = figure.add_subplot(rows, columns, index + 1)
        for curve in curves:
            method = search_method(curve.method)
            label, colour = method.table_label(score), method.colour
            mean, std = curve.mean[:, index], curve.std[:, index]
            axes.plot(times, mean, color=colour, label=label)
            axes.fill_between(times, mean - std, mean + std, color=colour, alpha=0.2,
                              linewidth=0)
        if sampled is not None:
            searched = search_method(comparison.best_of_n.method)
            picks = sampled[sampled["method"] == comparison.best_of_n.method]
            for marker, (_, row) in zip("os^Dv<>", picks.iterrows()):
                axes.errorbar(row["time_mean_s"], row[f"{target.label} mean"],
                              yerr=row[f"{target.label} std"], fmt=marker,
                              color=searched.colour, capsize=3,
                              label=f"{searched.table_label(score)} N={int(row['n'])}")
        axes.set_xlabel("simulated search time (s)")
        axes.set_ylabel("accuracy (%)")
        axes.set_title(target.label)
        if index == 0:
            axes.legend(fontsize="small")
    runs = ", ".join(f"{r.settings.method} {r.settings.runs}" for r in comparison.budgeted)
    costs = sorted({r.settings.cost_source for r in comparison.budgeted})
    charged = f"\ncost {'; '.join(costs)}" if costs else ""
    figure.suptitle(f"{comparison.space}: best-so-far accuracy, mean ± std over runs "
                    f"({runs}){_shipped_note(comparison.best_of_n)}{charged}")
    return _save(figure, output)
