"""``naswot-db sql``, ``search``, ``corr`` and ``plot``: the commands that read a root.

The query layer is imported inside each command, so ``naswot-db --help`` and the build
commands do not pay for DuckDB, SciPy and matplotlib.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import click

_FORMATS = ("table", "csv", "json", "markdown")
# a statement that names the scores or scored view reads scores (maybe the shipped ones)
_READS_SCORES = re.compile(r"\bscor(es|ed)\b", re.IGNORECASE)


def _int_list(_ctx, _param, text: str) -> list[int]:
    try:
        values = [int(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise click.BadParameter(f"{text!r} is not a comma-separated list of integers") from None
    if not values:
        raise click.BadParameter("give at least one value")
    return values


def _float_list(_ctx, _param, text: str) -> list[float]:
    try:
        values = [float(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise click.BadParameter(f"{text!r} is not a comma-separated list of numbers") from None
    if not all(0 < value <= 100 for value in values):
        raise click.BadParameter(f"{text!r}: percentages must be in (0, 100]")
    return values


def _replicate(_ctx, _param, text: str):
    """``random``, ``mean`` or ``INIT,BATCH`` (a fixed init_seed/batch_seed pair)."""
    if text in ("random", "mean"):
        return text
    try:
        init_seed, batch_seed = (int(part) for part in text.split(","))
    except ValueError:
        raise click.BadParameter(f"{text!r}: use random, mean or INIT_SEED,BATCH_SEED") from None
    return init_seed, batch_seed


def _options(*decorators: Callable) -> Callable:
    def apply(function: Callable) -> Callable:
        for decorator in reversed(decorators):
            function = decorator(function)
        return function
    return apply


_root = click.option("--root", type=click.Path(file_okay=False, path_type=Path), default=None,
                     help="Database root [default: $NASWOT_DB_ROOT, else the per-user data folder].")
_format = click.option("--format", "fmt", type=click.Choice(_FORMATS), default="table",
                       show_default=True, help="Output format.")
_targets = click.option("--target", "targets", multiple=True, metavar="DATASET:SPLIT[@EPOCHS]",
                        help="Accuracy target (repeatable), or 'all' [default: NB201's six "
                             "paper columns; other spaces every column at its largest budget].")
_epochs = click.option("--epochs", type=int, default=None,
                       help="Only accuracies after this many training epochs.")
_as_reference = click.option("--as-reference", is_flag=True,
                             help="Treat networks the reference code raises on as it did "
                                  "(NaN in correlations, score 0.0 in searches).")
_label = click.option("--label", type=click.Choice(["mean", "max"]), default="mean",
                      show_default=True,
                      help="Per-arch accuracy: mean over training seeds, or the best seed "
                           "(NASWOT's NB101 ground truth).")
_config = _options(
    click.option("--config-id", default=None, help="Score configuration, when several exist."),
    click.option("--batch-size", type=int, default=None,
                 help="Scoring batch size, when several exist."))

_search_options = _options(
    _root,
    click.option("--space", default="nb201", show_default=True),
    click.option("--dataset", default="cifar10", show_default=True,
                 help="Dataset the scores were computed on."),
    click.option("--n", "n_values", default="10,100,1000", show_default=True,
                 callback=_int_list, help="Archs scored per search, comma-separated."),
    click.option("--runs", default=500, show_default=True, type=int),
    click.option("--replace/--no-replace", default=True, show_default=True,
                 help="Draw with replacement (as the reference does) or without."),
    click.option("--seed", default=0, show_default=True, type=int, help="RNG seed."),
    click.option("--replicate", default="random", show_default=True, callback=_replicate,
                 help="Score replicate per draw: random, mean, or INIT_SEED,BATCH_SEED."),
    _targets, _epochs, _label, _config, _as_reference)


def _resolved_root(root: Path | None) -> Path:
    """The root a query reads; says on stderr when it does not exist (shipped tables only)."""
    from naswot_db.query.connection import resolve_root
    from naswot_db.query.shipped import missing_root_note

    resolved = resolve_root(root)
    note = missing_root_note(resolved)
    if note:
        click.echo(f"Note: {note}.", err=True)
    return resolved


def _run_search(root, space, dataset, n_values, runs, replace, seed, replicate, targets,
                epochs, label, config_id, batch_size, as_reference):
    from naswot_db.query import simulate_search

    return simulate_search(_resolved_root(root), space=space, dataset=dataset, n=n_values, runs=runs,
                           replace=replace, seed=seed, replicate=replicate,
                           targets=list(targets) or None, epochs=epochs, config_id=config_id,
                           batch_size=batch_size, as_reference=as_reference, label=label)


@click.command()
@click.argument("query")
@_root
@_format
def sql(query: str, root: Path | None, fmt: str) -> None:
    """Run QUERY against the views archs, accuracies, scores, runs and scored."""
    from naswot_db.query.connection import run_sql
    from naswot_db.query.formatting import render
    from naswot_db.query.shipped import shipped_scores_note

    root = _resolved_root(root)
    note = shipped_scores_note(root) if _READS_SCORES.search(query) else None
    if note:
        click.echo(f"Note: {note}.", err=True)
    frame = run_sql(query, root)
    if frame is not None:
        click.echo(render(frame, fmt))


@click.command()
@_search_options
@_format
def search(fmt: str, **options) -> None:
    """Simulated NASWOT search: accuracy of the best-scored of N archs, over many runs.

    Table and Markdown show "mean ± std" as in the paper; CSV and JSON give the numbers.
    """
    from naswot_db.query.formatting import paper_table, render, search_caption

    from naswot_db.query.shipped import SHIPPED

    result = _run_search(**options)
    if fmt in ("table", "markdown"):
        click.echo(search_caption(result))
        click.echo(render(paper_table(result), fmt))
    else:
        if result.origin == SHIPPED:
            click.echo(f"Note: {search_caption(result)}.", err=True)
        click.echo(render(result.table(), fmt))


@click.command()
@_root
@click.option("--space", default=None, help="Only this space [default: every scored space].")
@click.option("--dataset", default=None, help="Only scores on this dataset.")
@_targets
@_epochs
@click.option("--replicate", type=click.Choice(["each", "mean"]), default="each",
              show_default=True, help="One row per init/batch seed pair, or their mean score.")
@click.option("--top-k", default="1,5,10", show_default=True, callback=_float_list,
              help="Top-k%% overlaps to report, comma-separated percentages.")
@_label
@_as_reference
@_format
def corr(root, space, dataset, targets, epochs, replicate, top_k, label, as_reference,
         fmt) -> None:
    """Kendall tau-b, Spearman, Pearson and top-k% overlap of score vs accuracy."""
    from naswot_db.query import correlations
    from naswot_db.query.formatting import render

    frame = correlations(_resolved_root(root), space=space, dataset=dataset, targets=list(targets) or None,
                         epochs=epochs, replicate=replicate, top_k=top_k,
                         as_reference=as_reference, label=label)
    click.echo(render(frame, fmt))


@click.group()
def plot() -> None:
    """Figures: score vs accuracy scatter, accuracy vs N of a simulated search."""


_output = click.option("--output", "-o", required=True, type=click.Path(path_type=Path),
                       help="Figure file, .png or .svg.")


@plot.command("scatter")
@_root
@click.option("--space", default="nb201", show_default=True)
@click.option("--dataset", default="cifar10", show_default=True,
              help="Dataset the scores were computed on.")
@click.option("--target", default=None, metavar="DATASET:SPLIT[@EPOCHS]",
              help="Accuracy on the y axis [default: the space's first default target].")
@click.option("--replicate", default="mean", show_default=True, callback=_replicate,
              help="mean, or INIT_SEED,BATCH_SEED.")
@_label
@_config
@_as_reference
@_output
def plot_scatter(output, root, space, dataset, target, replicate, label, config_id, batch_size,
                 as_reference) -> None:
    """Score vs accuracy, coloured by point density, Kendall tau in the title."""
    from naswot_db.query import QueryError, scatter_plot

    if replicate == "random":
        raise QueryError("a scatter plot needs --replicate mean or INIT_SEED,BATCH_SEED")
    path = scatter_plot(output, _resolved_root(root), space=space, dataset=dataset, target=target,
                        replicate=replicate, config_id=config_id, batch_size=batch_size,
                        as_reference=as_reference, label=label)
    click.echo(f"wrote {path}")


@plot.command("search")
@_search_options
@_output
def plot_search(output, **options) -> None:
    """Accuracy vs N of a simulated search, with the baselines and ±std bands."""
    from naswot_db.query import search_plot

    click.echo(f"wrote {search_plot(_run_search(**options), output)}")


COMMANDS = (sql, search, corr, plot)
