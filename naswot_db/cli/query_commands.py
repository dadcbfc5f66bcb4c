"""``naswot-db sql``, ``search``, ``corr`` and ``plot``: the commands that read a root.

The query layer is imported inside each command, so ``naswot-db --help`` and the build
commands do not pay for DuckDB, SciPy and matplotlib.
"""

from __future__ import annotations

import re
from pathlib import Path

import click

from naswot_db.core.errors import NaswotDbError
from naswot_db.core.scores import DEFAULT_SCORE, QUERY_AGGREGATES

from .options import (
    REPLICATE_EACH, REPLICATE_MEAN, REPLICATE_PAIR, REPLICATE_RANDOM, LazyHelpOption, combine,
    dataset_option, default_fitness_help, format_option, replicate_option, root_option,
    score_option, scores_option, space_option,
)

# a statement that names the scores or scored view reads scores (maybe the shipped ones)
_READS_SCORES = re.compile(r"\bscor(es|ed|es_wide)\b", re.IGNORECASE)


def _sample_sizes(_ctx, _param, text: str) -> list[int]:
    try:
        values = [int(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise NaswotDbError(f"--n {text!r} is not a comma-separated list of integers") from None
    if not values or min(values) < 1:
        raise NaswotDbError(f"--n {text!r}: give sample sizes >= 1, e.g. 10,100,1000")
    return values


def _float_list(_ctx, _param, text: str) -> list[float]:
    try:
        values = [float(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise NaswotDbError(f"--top-k {text!r} is not a comma-separated list of numbers") from None
    if not values or not all(0 < value <= 100 for value in values):
        raise NaswotDbError(f"--top-k {text!r}: percentages must be in (0, 100]")
    return values


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
_config = combine(
    click.option("--config-id", default=None, help="Score configuration, when several exist."),
    click.option("--batch-size", type=click.IntRange(min=1), default=None,
                 help="Scoring batch size, when several exist."))


def _runs_help() -> str:
    from naswot_db.query.searches.methods import default_runs_help

    return default_runs_help()


_scores_dataset = dataset_option("cifar10", "Dataset the scores were computed on.")

_search_options = combine(
    root_option,
    space_option(default="nb201"),
    score_option,
    _scores_dataset,
    click.option("--n", "n_values", default="10,100,1000", show_default=True,
                 callback=_sample_sizes, help="Archs scored per search, comma-separated."),
    click.option("--runs", default=None, type=click.IntRange(min=1), cls=LazyHelpOption,
                 help_text=_runs_help),
    click.option("--replace/--no-replace", default=True, show_default=True,
                 help="Draw with replacement (as the reference does) or without."),
    click.option("--seed", default=0, show_default=True, type=click.IntRange(min=0),
                 help="RNG seed."),
    replicate_option(REPLICATE_RANDOM, REPLICATE_RANDOM, REPLICATE_MEAN, REPLICATE_PAIR),
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


def _truth_note(root: Path | None, space: str | None, connection=None) -> None:
    """Say on stderr when the study's accuracies are the shipped ground truth (``connection``:
    an open one over ``root`` to reuse)."""
    from naswot_db.query.connection import resolve_root
    from naswot_db.query.truth_origin import shipped_truth_note

    note = shipped_truth_note(resolve_root(root), space, connection)
    if note:
        click.echo(f"Note: {note}.", err=True)


def _shipped_scores_note(root: Path | None, origins) -> None:
    """Name on stderr the shipped scores a study read, when one of its rows is shipped."""
    from naswot_db.query.connection import resolve_root
    from naswot_db.query.scores_note import shipped_scores_note
    from naswot_db.query.shipped import SHIPPED

    if any(str(origin).startswith(SHIPPED) for origin in origins):
        note = shipped_scores_note(resolve_root(root))
        if note:
            click.echo(f"Note: {note}.", err=True)


def _aggregate_note(root: Path | None, scores: list[str], space: str | None,
                    dataset: str | None) -> None:
    """Say on stderr which population of stored archs az_nas ranked, when it is asked for."""
    if not set(scores) & set(QUERY_AGGREGATES):
        return
    from naswot_db.query.az_nas_study import population_note

    note = population_note(root, space=space, dataset=dataset)
    if note:
        click.echo(f"Note: {note}.", err=True)


_budget_options = combine(
    click.option("--budget-s", type=click.FloatRange(min=0), default=12_000.0,
                 show_default=True, help="Simulated time budget of the budgeted methods (s)."),
    click.option("--population", type=click.IntRange(min=1), default=10, show_default=True,
                 help="REA/AREA population P."),
    click.option("--sample-size", type=click.IntRange(min=1), default=3, show_default=True,
                 help="REA/AREA tournament size S."),
    click.option("--tournament", type=click.Choice(["with-replacement", "without-replacement"]),
                 default="with-replacement", show_default=True,
                 help="How REA/AREA draw the S members: with replacement as NAS-Bench-201's "
                      "R_EA.py, or without as AREA's pseudocode."),
    click.option("--last-training", type=click.Choice(["discard", "count"]), default="discard",
                 show_default=True,
                 help="A training that would cross the budget: discarded, ending the run "
                      "(NAS-Bench-201), or trained and counted (NATS-Bench's loop)."),
    click.option("--init-sample", type=click.IntRange(min=1), default=20, show_default=True,
                 help="AREA: random archs scored to pick the initial population (M)."),
    click.option("--fitness", default=None, metavar="DATASET:SPLIT@EPOCHS",
                 cls=LazyHelpOption, help_text=lambda: (
                     "What the budgeted methods optimise: one random seed's accuracy (the seed "
                     "mean where only means are stored, as in NB201's shipped 12-epoch table) "
                     f"[default: {default_fitness_help()}].")))


def _run_search(root, space, score, dataset, n_values, runs, replace, seed, replicate, targets,
                epochs, label, config_id, batch_size, as_reference, method=None):
    """The best-of-N search (``method``: its name as asked, the key of its rows), then the note
    on shipped ground truth; both over one connection (opening one costs a fresh process about
    a tenth of this command's time)."""
    from contextlib import closing

    from naswot_db.query import simulate_search
    from naswot_db.query.connection import connect
    from naswot_db.query.searches.methods import search_method
    from naswot_db.query.searches.methods.best_of_n import BEST_OF_N

    method = method or BEST_OF_N
    resolved = _resolved_root(root)
    with closing(connect(resolved)) as connection:
        result = simulate_search(resolved, space=space, dataset=dataset, n=n_values,
                                 runs=runs or search_method(method).default_runs,
                                 replace=replace, seed=seed, replicate=replicate,
                                 targets=list(targets) or None, epochs=epochs,
                                 config_id=config_id, batch_size=batch_size,
                                 as_reference=as_reference, label=label, score=score,
                                 method=method, connection=connection)
        _truth_note(resolved, space, connection)
    return result


@click.command()
@click.argument("query")
@root_option
@format_option
@click.option("--timeout", type=click.FloatRange(min=0, min_open=True), default=None,
              help="Stop the query after this many seconds [default: no limit]. Memory is "
                   "bounded by NASWOT_DB_MEMORY_LIMIT [default: half the machine's].")
def sql(query: str, root: Path | None, fmt: str, timeout: float | None) -> None:
    """Run QUERY against the views archs, accuracies, scores, runs and scored."""
    from naswot_db.query.connection import run_sql
    from naswot_db.query.formatting import render
    from naswot_db.query.scores_note import shipped_scores_note

    root = _resolved_root(root)
    note = shipped_scores_note(root) if _READS_SCORES.search(query) else None
    if note:
        click.echo(f"Note: {note}.", err=True)
    frame = run_sql(query, root, timeout_s=timeout)
    if frame is not None:
        click.echo(render(frame, fmt))


def _compare(methods, budget_s, population, sample_size, tournament, last_training, init_sample,
             fitness, root, space, score, dataset, n_values, runs, replace, seed, replicate,
             targets, epochs, label, config_id, batch_size, as_reference):
    from naswot_db.query.searches import BudgetOptions
    from naswot_db.query.searches.compare import compare_searches

    _refuse_unused_fitness(methods, fitness)
    options = BudgetOptions(budget_s, population, sample_size, init_sample, seed,
                            tournament_replace=tournament == "with-replacement",
                            keep_last=last_training == "count")
    return compare_searches(_resolved_root(root), methods=methods, space=space, dataset=dataset,
                            score=score, n=n_values, runs=runs, replace=replace,
                            replicate=replicate, options=options, fitness=fitness,
                            targets=list(targets) or None, epochs=epochs, label=label,
                            config_id=config_id, batch_size=batch_size,
                            as_reference=as_reference)


def _budgeted(methods: list[str]) -> list[str]:
    from naswot_db.query.searches.methods import search_method

    return [m for m in methods if search_method(m).budgeted]


def _refuse_unused_fitness(methods: list[str], fitness: str | None) -> None:
    if fitness is None:  # the plain search never loads the budgeted searches
        return
    if not _budgeted(methods):
        raise click.UsageError(f"--fitness sets what the budgeted methods maximise; "
                               f"{', '.join(methods)} ranks by the score and ignores it")


def _methods(_ctx, _param, text: str) -> list[str]:
    from naswot_db.query.searches.methods import parse_methods

    return parse_methods(text)


def _methods_help() -> str:
    from naswot_db.query.searches.methods import methods_help

    return methods_help()


@click.command()
@_search_options
# the default keeps the alias: it names the rows of CSV/JSON output, which scripts read
@click.option("--method", "methods", default="naswot", show_default=True, callback=_methods,
              cls=LazyHelpOption, help_text=_methods_help)
@_budget_options
@format_option
def search(fmt: str, methods: list[str], budget_s, population, sample_size, tournament,
           last_training, init_sample, fitness, **options) -> None:
    """Simulated searches: best-of-N (NASWOT's: the best-scored of N archs), random search,
    REA, AREA, and installed search methods.

    Table and Markdown show "mean ± std" as in the paper; CSV and JSON give the numbers.
    """
    from naswot_db.query.formatting import render
    from naswot_db.query.searches.report import comparison_caption, paper_rows, search_caption
    from naswot_db.query.shipped import BUILT

    _refuse_unused_fitness(methods, fitness)
    if len(methods) > 1 or _budgeted(methods):
        comparison = _compare(methods, budget_s, population, sample_size, tournament,
                              last_training, init_sample, fitness, **options)
        if fmt in ("table", "markdown"):
            click.echo(comparison_caption(comparison))
            click.echo(render(paper_rows(comparison), fmt))
        else:
            click.echo(render(comparison.table(), fmt))
        return
    result = _run_search(**options, method=methods[0])
    _aggregate_note(options["root"], [options["score"]], options["space"], options["dataset"])
    if fmt in ("table", "markdown"):
        click.echo(search_caption(result))
        click.echo(render(paper_rows(result), fmt))
    else:
        if result.origin != BUILT:  # some or all scores shipped with naswot-db
            click.echo(f"Note: {search_caption(result)}.", err=True)
        click.echo(render(result.table(), fmt))


@click.command()
@root_option
@space_option(help_text="Only this space [default: every scored space].")
@scores_option(DEFAULT_SCORE, "several give one table sorted by Spearman", aggregates=True)
@dataset_option(help_text="Only scores on this dataset.")
@_targets
@_epochs
@replicate_option(None, REPLICATE_EACH, REPLICATE_MEAN,
                  default_help="each for one score, mean for several")
@click.option("--top-k", default="1,5,10", show_default=True, callback=_float_list,
              help="Top-k% overlaps to report, comma-separated percentages.")
@_label
@_as_reference
@format_option
def corr(root, space, scores, dataset, targets, epochs, replicate, top_k, label, as_reference,
         fmt) -> None:
    """Kendall tau-b, Spearman, Pearson and top-k% overlap of score vs accuracy.

    Several scores (a comma list, suite-zero or all) give one leaderboard: a row per score,
    configuration and target, best Spearman first.  A score whose lower values are better enters
    every statistic as -value.
    """
    from naswot_db.query.formatting import render

    options = dict(space=space, dataset=dataset, targets=list(targets) or None, epochs=epochs,
                   top_k=top_k, as_reference=as_reference, label=label)
    if len(scores) == 1:
        from naswot_db.query import correlations
        from naswot_db.core.scores import higher_is_better

        if not higher_is_better(scores[0]):
            click.echo(f"Note: lower {scores[0]} values are better; every statistic uses "
                       f"-{scores[0]}, so a positive tau means it ranks accurate networks first.",
                       err=True)
        frame = correlations(_resolved_root(root), replicate=replicate or REPLICATE_EACH,
                             score=scores[0], **options)
        _truth_note(root, space)
        _shipped_scores_note(root, frame["origin"])
        _aggregate_note(root, scores, space, dataset)
        click.echo(render(frame, fmt))
        return
    from naswot_db.query.leaderboard import proxy_leaderboard

    board = proxy_leaderboard(_resolved_root(root), scores=scores,
                              replicate=replicate or REPLICATE_MEAN, **options)
    _truth_note(root, space)
    _shipped_scores_note(root, board.table["origin"])
    _aggregate_note(root, list(board.table["score"]), space, dataset)
    if board.skipped:
        click.echo(f"Note: no rows of {', '.join(board.skipped)} here; left out.", err=True)
    if fmt in ("table", "markdown"):
        click.echo(board.direction_note() + ".")
    else:
        click.echo(f"Note: {board.direction_note()}.", err=True)
    click.echo(render(board.table, fmt))


@click.group()
def plot() -> None:
    """Figures: score vs accuracy scatter, accuracy vs N of a simulated search, anytime curves,
    proxy rank-correlation heatmap."""


_output = click.option("--output", "-o", required=True, type=click.Path(path_type=Path),
                       help="Figure file, .png or .svg.")


@plot.command("scatter")
@root_option
@space_option(default="nb201")
@score_option
@_scores_dataset
@click.option("--target", default=None, metavar="DATASET:SPLIT[@EPOCHS]",
              help="Accuracy on the y axis [default: the space's first default target].")
@replicate_option(REPLICATE_MEAN, REPLICATE_MEAN, REPLICATE_PAIR)
@_label
@_config
@_as_reference
@_output
def plot_scatter(output, root, space, score, dataset, target, replicate, label, config_id,
                 batch_size, as_reference) -> None:
    """Score vs accuracy, coloured by point density, Kendall tau in the title."""
    from naswot_db.query import scatter_plot

    path = scatter_plot(output, _resolved_root(root), space=space, dataset=dataset, target=target,
                        replicate=replicate, config_id=config_id, batch_size=batch_size,
                        as_reference=as_reference, label=label, score=score)
    click.echo(f"wrote {path}")


@plot.command("proxies")
@root_option
@space_option(default="nb201")
@scores_option("all", "the stored ones among them are drawn")
@_scores_dataset
@click.option("--target", "targets", multiple=True, metavar="DATASET:SPLIT[@EPOCHS]",
              help="Accuracy row/column (repeatable) [default: the space's first default "
                   "target].")
@replicate_option(REPLICATE_MEAN, REPLICATE_MEAN, REPLICATE_PAIR)
@_label
@click.option("--batch-size", type=click.IntRange(min=1), default=None,
              help="Scoring batch size, when several exist.")
@click.option("--published", is_flag=True,
              help="Draw the published values (ingest --format naslib-zc), not the root's own.")
@_output
def plot_proxies(output, root, space, scores, dataset, targets, replicate, label,
                 batch_size, published) -> None:
    """Heatmap of Spearman's rho between the stored proxies and with accuracy."""
    from naswot_db.query.proxy_heatmap import proxy_heatmap

    path = proxy_heatmap(output, _resolved_root(root), scores=scores, space=space,
                         dataset=dataset, targets=list(targets) or None, batch_size=batch_size,
                         replicate=replicate, label=label, published=published)
    click.echo(f"wrote {path}")


@plot.command("search")
@_search_options
@_output
def plot_search(output, **options) -> None:
    """Accuracy vs N of a simulated search, with the baselines and ±std bands."""
    from naswot_db.query import search_plot

    click.echo(f"wrote {search_plot(_run_search(**options), output)}")


@plot.command("anytime")
@_search_options
@click.option("--method", "methods", default="all", show_default=True, callback=_methods,
              cls=LazyHelpOption, help_text=_methods_help)
@_budget_options
@_output
def plot_anytime(output, methods, budget_s, population, sample_size, tournament, last_training,
                 init_sample, fitness, **options) -> None:
    """Best-so-far accuracy vs simulated time of random search, REA and AREA (mean ± std over
    runs), with best-of-N's rows at their search time."""
    from naswot_db.query import anytime_plot

    comparison = _compare(methods, budget_s, population, sample_size, tournament, last_training,
                          init_sample, fitness, **options)
    click.echo(f"wrote {anytime_plot(comparison, output)}")


COMMANDS = (sql, search, corr, plot)
