"""The options every command shares, defined once: root, spaces, scores, id lists, replicates.

Imports neither torch nor the query layer, so ``--help`` and option parsing stay instant.
Names are normalised here, at the edge (:mod:`naswot_db.core.names`), so the commands below see
canonical space and score names only.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import click

from naswot_db.core.errors import NaswotDbError
from naswot_db.core.names import canonical_dataset
from naswot_db.core.spaces import (
    SPACE_PLUGIN_GROUP, canonical_space, space_help, space_info, space_names,
)
from naswot_db.core.scores import (
    ALL_SCORES, DEFAULT_SCORE, QUERY_AGGREGATES, SCORE_PLUGIN_GROUP, SUITE_ZERO, canonical_score,
    expand_query_scores, expand_scores, installed_score_names, query_score, score_names,
)

FORMATS = ("table", "csv", "json", "markdown")
_MAX_RANGE = 10_000_000  # more than any benchmark's arch count

# One --replicate vocabulary: each command accepts the subset that makes sense for it.
REPLICATE_RANDOM, REPLICATE_MEAN, REPLICATE_EACH, REPLICATE_PAIR = (
    "random", "mean", "each", "INIT,BATCH")
_REPLICATE_HELP = {
    REPLICATE_RANDOM: "random (one stored replicate per draw)",
    REPLICATE_MEAN: "mean (of the arch's replicates)",
    REPLICATE_EACH: "each (one row per replicate)",
    REPLICATE_PAIR: "INIT,BATCH (that init/batch seed pair only)",
}


def combine(*decorators: Callable) -> Callable:
    """Several click decorators applied as one, in the order listed."""
    def apply(function: Callable) -> Callable:
        for decorator in reversed(decorators):
            function = decorator(function)
        return function
    return apply


def parse_int_list(text: str, what: str) -> list[int]:
    """``"0-4"``, ``"1,3,7"`` or ``"0-2,10"`` -> sorted distinct ints >= 0 (ranges inclusive)."""
    values: set[int] = set()
    try:
        for piece in filter(None, (p.strip() for p in text.split(","))):
            low, sep, high = piece.partition("-") if not piece.startswith("-") else (piece, "", "")
            if sep:
                start, stop = int(low), int(high)
                if stop < start:
                    raise NaswotDbError(f"invalid {what} range {piece!r}: end before start")
                if stop - start >= _MAX_RANGE:
                    raise NaswotDbError(f"{what} range {piece!r} is too large "
                                        f"(at most {_MAX_RANGE:,} values)")
                values.update(range(start, stop + 1))
            else:
                values.add(int(piece))
    except ValueError:
        raise NaswotDbError(f"invalid {what} {text!r}: expected e.g. 0-4 or 1,3,7") from None
    if not values:
        raise NaswotDbError(f"empty {what} {text!r}: give at least one id, e.g. 0-4 or 1,3,7")
    if min(values) < 0:
        raise NaswotDbError(f"invalid {what} {text!r}: values must be >= 0")
    return sorted(values)


def _callback(convert: Callable) -> Callable:
    """A click callback running ``convert`` on set values.

    Its :class:`NaswotDbError` reaches the command group, which prints it as one ``Error:`` line
    (click's own parameter errors add usage lines).
    """
    def callback(_ctx, _param, value):
        return None if value is None else convert(value)
    return callback


def int_list_option(name: str, what: str, default: str | None, help_text: str) -> Callable:
    """``--NAME`` taking ids or seeds with ranges (``0-4,7``), parsed to a sorted list."""
    return click.option(name, default=default, show_default=default is not None,
                        callback=_callback(lambda text: parse_int_list(text, what)),
                        help=f"{help_text} Ranges allowed, e.g. 0-4,7.")


def _non_empty_path(_ctx, _param, value: str | None) -> Path | None:
    if value is not None and not value.strip():  # as a Path, "" would be the working folder
        raise click.BadParameter("is empty; give the root's folder")
    return None if value is None else Path(value)


root_option = click.option(
    "--root", type=click.Path(file_okay=False), default=None, callback=_non_empty_path,
    help="Database root [default: $NASWOT_DB_ROOT, else the per-user data folder].")


def _dataset(_ctx, _param, value: str | None) -> str | None:
    return None if value is None else canonical_dataset(value)


def dataset_option(default: str | None = None, help_text: str = "Dataset.",
                   required: bool = False) -> Callable:
    """``--dataset``, with the known datasets accepted in any case."""
    return click.option("--dataset", default=default, show_default=default is not None,
                        required=required, callback=_dataset, help=help_text)

format_option = click.option("--format", "fmt", type=click.Choice(FORMATS), default="table",
                             show_default=True, help="Output format.")


class LazyHelpOption(click.Option):
    """An option whose help is written when help is shown: it lists what the descriptors and
    installed plug-ins describe, which a command that shows no help never reads (so a start
    reads no distribution metadata)."""

    def __init__(self, *args, help_text: Callable[[], str], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.help_text = help_text

    def get_help_record(self, ctx: click.Context) -> tuple[str, str] | None:
        self.help = self.help_text()
        return super().get_help_record(ctx)


def _spaces_help() -> str:
    return (f"Search space: {space_help()}; or an installed plug-in (entry point group "
            f"{SPACE_PLUGIN_GROUP}).")


def space_option(default: str | None = None, required: bool = False,
                 help_text: str | None = None) -> Callable:
    """``--space`` normalised to its canonical name (any accepted spelling); the help lists
    every described space, installed plug-ins included, unless ``help_text`` is given."""
    return click.option("--space", default=default, required=required,
                        show_default=default is not None, callback=_callback(canonical_space),
                        cls=LazyHelpOption, help_text=lambda: help_text or _spaces_help())


def default_fitness_help() -> str:
    """Each default fitness of budgeted searches and the spaces owning ground truth that have
    it, from the descriptors: ``cifar10-valid:x-valid@12 on nb201 and nats-sss, ...``."""
    owners: dict[str, list[str]] = {}
    for name in space_names():
        info = space_info(name)
        if info.default_fitness and not info.ground_truth:
            owners.setdefault(info.default_fitness, []).append(name)
    return ", ".join(f"{fitness} on {' and '.join(names)}" for fitness, names in owners.items())


def spaces_option(help_text: str) -> Callable:
    """``--space`` repeatable, each value normalised to its canonical name."""
    return click.option("--space", "spaces", multiple=True, help=help_text,
                        callback=_callback(lambda names: tuple(map(canonical_space, names))))


def optional_score_option(help_text: str) -> Callable:
    """``--score`` without a default (None: every score), normalised when given."""
    return click.option("--score", default=None, callback=_callback(canonical_score),
                        help=help_text)


def _scores_help(lead: str) -> Callable[[], str]:
    """``--score`` help naming every described score and the installed plug-ins (written only
    when help is shown, so a start reads no distribution metadata)."""
    def text() -> str:
        installed = installed_score_names()
        plugins = f", installed plug-ins: {', '.join(installed)}" if installed else ""
        return (f"{lead} Scores: {', '.join(score_names())}{plugins} (plug-ins: entry point "
                f"group {SCORE_PLUGIN_GROUP}).")
    return text


score_option = click.option(
    "--score", default=DEFAULT_SCORE, show_default=True, callback=_callback(query_score),
    cls=LazyHelpOption, help_text=_scores_help(
        f"Training-free score, or {', '.join(QUERY_AGGREGATES)} (computed over the stored archs)."))


def _checked_spec(spec: str) -> str:
    """``spec`` as given, once every name in it is known (the build tells groups from names)."""
    expand_scores(spec)
    return spec


def scores_option(default: str, what: str, expand: bool = True,
                  aggregates: bool = False) -> Callable:
    """``--score`` naming several scores (a comma list, ``suite-zero``, ``all``), expanded to
    canonical names (``expand=False``: checked, kept as given); ``what`` says what several do;
    ``aggregates``: a query command, which also takes the query aggregates
    (:data:`QUERY_AGGREGATES`, in ``all`` too)."""
    extra = f" ({', '.join(QUERY_AGGREGATES)} included)" if aggregates else ""
    expander = expand_query_scores if aggregates else expand_scores
    return click.option(
        "--score", "scores", default=default, show_default=True,
        callback=_callback(expander if expand else _checked_spec), cls=LazyHelpOption,
        help_text=_scores_help(f"Training-free score, a comma list, {SUITE_ZERO} "
                               f"(NAS-Bench-Suite-Zero's thirteen) or {ALL_SCORES}{extra}: "
                               f"{what}."))


def _parse_replicate(text: str, accepted: tuple[str, ...]) -> str | tuple[int, int]:
    if text in accepted and text != REPLICATE_PAIR:
        return text
    if REPLICATE_PAIR in accepted:
        try:
            init_seed, batch_seed = (int(part) for part in text.split(","))
        except ValueError:
            pass
        else:
            if init_seed >= 0 and batch_seed >= 0:
                return init_seed, batch_seed
    raise NaswotDbError(f"{text!r}: use {' or '.join(accepted)}")


def replicate_option(default: str | None, *accepted: str, default_help: str = "") -> Callable:
    """``--replicate``: the accepted subset of random, mean, each and INIT,BATCH (``default``
    None: the command decides, as ``default_help`` says)."""
    return click.option(
        "--replicate", default=default, show_default=default is not None,
        callback=_callback(lambda text: _parse_replicate(text, accepted)),
        help="Score replicate: " + ", ".join(_REPLICATE_HELP[a] for a in accepted) + "."
             + (f" [default: {default_help}]" if default_help else ""))
