"""How the proxies agree: Spearman's rho between every pair of scores and with accuracy.

NAS-Bench-Suite-Zero's correlation figure, from a root's own scores (or from the published values
ingested with ``ingest --format naslib-zc``): per arch one value per score (as the
``scores_wide`` view picks them: one configuration per score, the mean over the chosen
replicates, or one (init seed, batch seed) pair) and one accuracy per target; each cell is the
Spearman correlation over the archs where both are finite.  A score whose lower values are
better enters as -value (labelled ``-name``), so every positive cell means "ranks alike".
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import duckdb
import numpy as np
from matplotlib.figure import Figure

from naswot_db.core.names import canonical_space, ground_truth_space
from naswot_db.schema.sql import wide_scores_sql
from naswot_db.core.scores import canonical_score, higher_is_better

from . import stats
from .errors import QueryError
from .plots import _check_output, _save
from .score_grid import MEAN_REPLICATE, Replicate
from .selection import Source, fetch_columns, open_source
from .targets import LABELS_VIEW, Target, resolve_targets


def _batch_size(source: Source, wide: str, space: str, dataset: str,
                batch_size: int | None) -> int:
    sizes = [row[0] for row in source.connection.execute(
        f"SELECT DISTINCT batch_size FROM ({wide}) WHERE space = ? AND dataset = ? "
        "ORDER BY 1", [space, dataset]).fetchall()]
    if batch_size is not None:
        if batch_size not in sizes:
            raise QueryError(f"no {space} scores on {dataset} with batch size {batch_size} "
                             f"(stored: {', '.join(map(str, sizes)) or 'none'})")
        return batch_size
    if not sizes:
        raise QueryError(f"no scores of space {space!r} on dataset {dataset!r} under "
                         f"{source.root} (the root's own and published values are drawn "
                         "apart: --published draws the latter)")
    if len(sizes) > 1:
        raise QueryError(f"{space} scores on {dataset} have several batch sizes; choose one with "
                         f"--batch-size: {', '.join(map(str, sizes))}")
    return sizes[0]


def _score_columns(source: Source, wide: str, space: str, dataset: str, batch_size: int,
                   scores: Sequence[str], replicate: Replicate) -> dict[str, np.ndarray]:
    """arch_id and one mean value column per score that has any value here."""
    pair = replicate != MEAN_REPLICATE
    seeds = "AND init_seed = ? AND batch_seed = ?" if pair else ""
    averages = ", ".join(f'avg("{name}") AS "{name}"' for name in scores)
    columns = fetch_columns(source, (
        f"SELECT arch_id, {averages} FROM ({wide}) WHERE space = ? AND dataset = ? "
        f"AND batch_size = ? {seeds} GROUP BY arch_id ORDER BY arch_id"),
        [space, dataset, batch_size, *(replicate if pair else ())])
    return {name: values.astype(np.float64) if name != "arch_id" else values
            for name, values in columns.items()
            if name == "arch_id" or np.isfinite(values.astype(np.float64)).any()}


def _accuracies(source: Source, space: str, targets: list[Target],
                arch_ids: np.ndarray) -> np.ndarray:
    table = np.full((len(targets), arch_ids.size), np.nan)
    for row, target in enumerate(targets):
        labels = fetch_columns(source, (
            f"SELECT arch_id, accuracy FROM {LABELS_VIEW} WHERE space = ? AND dataset = ? "
            "AND split = ? AND epochs = ?"),
            [ground_truth_space(space), target.dataset, target.split, target.epochs])
        where = np.searchsorted(arch_ids, labels["arch_id"])
        hit = where < arch_ids.size
        hit[hit] = arch_ids[where[hit]] == labels["arch_id"][hit]
        table[row, where[hit]] = labels["accuracy"][hit]
    return table


def rank_correlations(variables: np.ndarray) -> np.ndarray:
    """Spearman's rho of every pair of rows of ``variables``, over the columns where both rows
    are finite (NaN where fewer than two such columns or a row is constant there)."""
    count = len(variables)
    matrix = np.eye(count)
    for i in range(count):
        for j in range(i + 1, count):
            keep = stats.usable(variables[i], variables[j])
            matrix[i, j] = matrix[j, i] = stats.spearman(variables[i][keep], variables[j][keep])
    return matrix


def proxy_heatmap(output: Path | str, root: Path | str | None = None, *, scores: Sequence[str],
                  space: str = "nb201", dataset: str = "cifar10",
                  targets: Sequence[str] | None = None, batch_size: int | None = None,
                  replicate: Replicate = MEAN_REPLICATE, label: str = "mean",
                  published: bool = False,
                  connection: duckdb.DuckDBPyConnection | None = None) -> Path:
    """Draw the heatmap of Spearman's rho between ``scores`` (those stored) and the targets.

    ``targets``: ``DATASET:SPLIT[@EPOCHS]`` strings (default: the space's first default
    target); ``replicate``: ``"mean"`` or ``(init_seed, batch_seed)``; ``published``: draw the
    values ingested from NASLib zero-cost files instead of the root's own scores.
    """
    output = _check_output(Path(output))
    space, names = canonical_space(space), [canonical_score(name) for name in scores]
    wide = wide_scores_sql(names, published)
    with open_source(root, connection) as source:
        size = _batch_size(source, wide, space, dataset, batch_size)
        columns = _score_columns(source, wide, space, dataset, size, names, replicate)
        chosen = resolve_targets(source.connection, space, list(targets) if targets else None,
                                 label=label)
        if not targets:
            chosen = chosen[:1]
        accuracy = _accuracies(source, space, chosen, columns["arch_id"])
    present = [name for name in names if name in columns]
    if len(present) + len(chosen) < 2:
        raise QueryError(f"one score only ({', '.join(present) or 'none'}) on {space}/{dataset}: "
                         "a correlation heatmap needs two variables")
    signs = [1.0 if higher_is_better(name) else -1.0 for name in present]
    variables = np.vstack([sign * columns[name] for sign, name in zip(signs, present)]
                          + [accuracy])
    matrix = rank_correlations(variables)
    labels = [name if sign > 0 else f"-{name}" for sign, name in zip(signs, present)] + \
        [f"{t.label} accuracy" for t in chosen]
    side = max(5.0, 1.2 + 0.55 * len(labels))
    figure = Figure(figsize=(side + 1.4, side), layout="constrained")
    axes = figure.add_subplot()
    image = axes.imshow(matrix, cmap="RdBu_r", vmin=-1, vmax=1)
    figure.colorbar(image, ax=axes, label="Spearman's ρ", shrink=0.8)
    axes.set_xticks(range(len(labels)), labels, rotation=45, ha="right")
    axes.set_yticks(range(len(labels)), labels)
    for i in range(len(labels)):
        for j in range(len(labels)):
            if np.isfinite(matrix[i, j]):
                axes.text(j, i, f"{matrix[i, j]:.2f}", ha="center", va="center", fontsize=8,
                          color="white" if abs(matrix[i, j]) > 0.6 else "black")
    for edge in (len(present) - 0.5,):  # proxies | accuracy
        axes.axhline(edge, color="black", linewidth=1.5)
        axes.axvline(edge, color="black", linewidth=1.5)
    which = "mean over replicates" if replicate == MEAN_REPLICATE else \
        f"init {replicate[0]}, batch {replicate[1]}"
    usable = int(np.isfinite(variables).all(axis=0).sum())
    origin = "published values" if published else "scores"
    axes.set_title(f"{space}, {origin} on {dataset} (batch {size}, {which}): rank correlation\n"
                   f"{columns['arch_id'].size:,} archs, {usable:,} with every value finite")
    return _save(figure, output)
