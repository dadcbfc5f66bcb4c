"""Figures of stored scores: score vs accuracy, and the helpers every figure shares.

The figures of simulated searches live beside the searches (:mod:`.searches.plots`).

Built on ``matplotlib.figure.Figure`` (no pyplot state, no display needed) and written as PNG
or SVG according to the output file's suffix.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import numpy as np
from matplotlib.colors import LogNorm
from matplotlib.figure import Figure

from naswot_db.core.names import canonical_space
from naswot_db.core.scores import DEFAULT_SCORE, query_score

from . import stats
from .correlation import EACH_REPLICATE, MEAN_REPLICATE, paired_rows
from .errors import QueryError
from .score_grid import Replicate
from .selection import choose_config, open_source
from .shipped import BUILT, origin_phrase, scores_origin
from .targets import resolve_targets

PLOT_SUFFIXES = (".png", ".svg")
_DENSITY_BINS = 200


def _check_output(output: Path) -> Path:
    """A figure path that can be written: a known suffix, in a folder that exists (a mistyped
    folder is an error, not a new directory)."""
    output = Path(output)
    if output.suffix.lower() not in PLOT_SUFFIXES:
        raise QueryError(f"plot file {output} must end in {' or '.join(PLOT_SUFFIXES)}")
    if not output.parent.is_dir():
        raise QueryError(f"folder {output.parent} for plot file {output.name} does not exist")
    return output


def _save(figure: Figure, output: Path) -> Path:
    figure.savefig(output, dpi=150, bbox_inches="tight")
    return output


def point_density(x: np.ndarray, y: np.ndarray, bins: int = _DENSITY_BINS) -> np.ndarray:
    """Points per 2-D histogram cell around each point: a cheap density for 15k+ points."""
    counts, x_edges, y_edges = np.histogram2d(x, y, bins=bins)
    xi = np.clip(np.searchsorted(x_edges, x, side="right") - 1, 0, bins - 1)
    yi = np.clip(np.searchsorted(y_edges, y, side="right") - 1, 0, bins - 1)
    return counts[xi, yi]


def scatter_plot(output: Path | str, root: Path | str | None = None, *, space: str = "nb201",
                 dataset: str = "cifar10", target: str | None = None,
                 replicate: Replicate = MEAN_REPLICATE, config_id: str | None = None,
                 batch_size: int | None = None, as_reference: bool = False,
                 label: str = "mean", score: str = DEFAULT_SCORE,
                 connection: duckdb.DuckDBPyConnection | None = None) -> Path:
    """Score vs accuracy of every usable arch, coloured by point density, tau-b in the title.

    ``target``: ``DATASET:SPLIT[@EPOCHS]`` (default: the space's first default target);
    ``replicate``: ``"mean"`` or ``(init_seed, batch_seed)``; ``score``: which stored score.
    """
    output = _check_output(Path(output))
    policy = MEAN_REPLICATE if replicate == MEAN_REPLICATE else EACH_REPLICATE
    space, score = canonical_space(space), query_score(score)
    with open_source(root, connection) as source:
        config = choose_config(source, space, dataset, config_id, batch_size, score)
        chosen = resolve_targets(source.connection, space, [target] if target else None,
                                 label=label)[0]
        pairs = paired_rows(source, {space: [chosen]}, dataset, policy, as_reference,
                            score).to_pandas()
        origin = scores_origin(source.connection, space, dataset, config.config_id,
                               config.batch_size, score)
    pairs = pairs[(pairs["config_id"] == config.config_id)
                  & (pairs["batch_size"] == config.batch_size)]
    if policy == EACH_REPLICATE:
        init_seed, batch_seed = replicate
        pairs = pairs[(pairs["init_seed"] == init_seed) & (pairs["batch_seed"] == batch_seed)]
        if pairs.empty:
            raise QueryError(f"no scores with init_seed,batch_seed = {init_seed},{batch_seed} "
                             f"for space {space!r} dataset {dataset!r}")
    scores = pairs["value"].to_numpy(dtype=np.float64)
    labels = pairs["accuracy"].to_numpy(dtype=np.float64)
    keep = stats.usable(scores, labels)
    x, y = scores[keep], labels[keep]
    tau = stats.kendall_tau_b(x, y)
    figure = Figure(figsize=(6, 4.5))
    axes = figure.add_subplot()
    if x.size:
        density = point_density(x, y)
        order = np.argsort(density, kind="stable")
        points = axes.scatter(x[order], y[order], c=density[order], s=3, cmap="viridis",
                              norm=LogNorm(), linewidths=0, rasterized=True)
        figure.colorbar(points, ax=axes, label="points per cell")
    which = "mean over replicates" if policy == MEAN_REPLICATE else \
        f"init {replicate[0]}, batch {replicate[1]}"
    axes.set_xlabel(f"{score} score ({dataset}, batch {config.batch_size}, {which})")
    axes.set_ylabel(f"{chosen.dataset} {chosen.split} accuracy (%)")
    replicates = int(pairs["replicates"].max()) if len(pairs) else 0
    described = (f"; scores: {origin_phrase(origin, replicates, config.config_id)}"
                 if origin.kind() != BUILT and len(pairs) else "")
    axes.set_title(f"{space}, {dataset} scores vs {chosen.label}: Kendall τ = {tau:.3f}\n"
                   f"({x.size:,} archs, {len(scores) - x.size:,} excluded{described})")
    return _save(figure, output)
