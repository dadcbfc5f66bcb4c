"""The one list of values a root may hold, applied by every writer and by ``check``.

A rule is a description and a function from rows (an Arrow table of one space) to a boolean
mask, True where a row obeys it.  :func:`write_part` and :func:`replace_partitions` (so build,
ingest, fetch's merge, and every part merge) refuse rows that break a rule before anything is
written; ``check`` applies the same rules to every part already stored.  The rules are what
the benchmarks and the builder can produce, nothing narrower: arch ids inside the space, top-1
accuracies in [0, 100], times and counts that are finite and not negative, and a score's value
that agrees with its status ('ok' finite, 'singular' -inf, 'error' NaN).
Pure pyarrow, so a scoring machine without DuckDB validates too.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pyarrow as pa
import pyarrow.compute as pc

from naswot_db.core.errors import NaswotDbError, UnknownNameError
from naswot_db.core.spaces import space_info

MAX_BATCH_SIZE = 1 << 16
STATUSES = ("ok", "singular", "error")


class InvalidValueError(NaswotDbError):
    """Rows that break one of the rules; nothing of them was written."""


@dataclass(frozen=True)
class Rule:
    """What a valid row satisfies, and the test of it on a table of rows of one space."""

    description: str
    columns: tuple[str, ...]
    holds: Callable[[pa.Table, str | None], pa.Array]


def _arch_bound(space: str | None) -> int | None:
    """The arch ids a space can have, from its descriptor: below its size where that is fixed,
    below the family's bound for NDS files, no upper bound for an unknown (plug-in) space."""
    try:
        return space_info(space).arch_ids_below() if space else None
    except UnknownNameError:
        return None


def _finite(column: pa.ChunkedArray) -> pa.Array:
    return pc.is_finite(column)


def _in_range(name: str, low: float, high: float | None = None, nullable: bool = False):
    def holds(rows: pa.Table, _space: str | None) -> pa.Array:
        column = rows[name]
        ok = pc.and_(_finite(column), pc.greater_equal(column, low))
        if high is not None:
            ok = pc.and_(ok, pc.less_equal(column, high))
        return pc.or_kleene(pc.is_null(column), ok) if nullable else ok
    return holds


def _non_empty(name: str):
    return lambda rows, _space: pc.greater(pc.utf8_length(rows[name]), 0)


def _arch_id(rows: pa.Table, space: str | None) -> pa.Array:
    ids, bound = rows["arch_id"], _arch_bound(space)
    at_least_zero = pc.greater_equal(ids, 0)
    return at_least_zero if bound is None else pc.and_(at_least_zero, pc.less(ids, bound))


def _value_matches_status(rows: pa.Table, _space: str | None) -> pa.Array:
    value, status = rows["value"], rows["status"]
    nan = pc.fill_null(pc.is_nan(value), True)  # NULL counts as no value
    return pc.case_when(
        pc.make_struct(pc.equal(status, "ok"), pc.equal(status, "singular"),
                       pc.equal(status, "error")),
        pc.fill_null(_finite(value), False),
        pc.fill_null(pc.equal(value, float("-inf")), False),
        nan, False)


def _finished_after_start(rows: pa.Table, _space: str | None) -> pa.Array:
    finished = rows["finished_at"]
    return pc.or_kleene(pc.is_null(finished), pc.greater_equal(finished, rows["started_at"]))


_ARCH = Rule("arch_id is in [0, the space's arch count)", ("arch_id",), _arch_id)
RULES: dict[str, tuple[Rule, ...]] = {
    "archs": (
        _ARCH,
        Rule("arch_str is not empty", ("arch_str",), _non_empty("arch_str")),
        Rule("params is NULL or finite and >= 0", ("params",), _in_range("params", 0, None, True)),
        Rule("flops is NULL or finite and >= 0", ("flops",), _in_range("flops", 0, None, True)),
    ),
    "accuracies": (
        _ARCH,
        Rule("dataset is not empty", ("dataset",), _non_empty("dataset")),
        Rule("split is not empty", ("split",), _non_empty("split")),
        Rule("epochs is in [1, 100000]", ("epochs",), _in_range("epochs", 1, 100_000)),
        Rule("seed is NULL or >= 0", ("seed",), _in_range("seed", 0, None, True)),
        Rule("accuracy is a percentage in [0, 100]", ("accuracy",), _in_range("accuracy", 0, 100)),
        Rule("train_time_s is NULL or finite and >= 0", ("train_time_s",),
             _in_range("train_time_s", 0, None, True)),
        Rule("eval_time_s is NULL or finite and >= 0", ("eval_time_s",),
             _in_range("eval_time_s", 0, None, True)),
    ),
    "scores": (
        _ARCH,
        Rule("score is not empty", ("score",), _non_empty("score")),
        Rule("dataset is not empty", ("dataset",), _non_empty("dataset")),
        Rule(f"batch_size is in [1, {MAX_BATCH_SIZE}]", ("batch_size",),
             _in_range("batch_size", 1, MAX_BATCH_SIZE)),
        Rule("init_seed is >= 0", ("init_seed",), _in_range("init_seed", 0)),
        Rule("batch_seed is >= 0", ("batch_seed",), _in_range("batch_seed", 0)),
        Rule("config_id is not empty", ("config_id",), _non_empty("config_id")),
        Rule(f"status is one of {', '.join(STATUSES)}", ("status",),
             lambda rows, _space: pc.is_in(rows["status"], pa.array(STATUSES))),
        Rule("value agrees with status ('ok' finite, 'singular' -inf, 'error' NaN)",
             ("value", "status"), _value_matches_status),
        Rule("time_s is finite and >= 0", ("time_s",), _in_range("time_s", 0)),
        Rule("run_id is not empty", ("run_id",), _non_empty("run_id")),
    ),
    "runs": (
        Rule("run_id is not empty", ("run_id",), _non_empty("run_id")),
        Rule("rows_written is >= 0", ("rows_written",), _in_range("rows_written", 0)),
        Rule("finished_at is NULL or not before started_at", ("started_at", "finished_at"),
             _finished_after_start),
    ),
}


def broken_rules(table: str, rows: pa.Table, space: str | None) -> list[str]:
    """One line per rule that rows of ``table`` (of ``space``) break: the rule, how many rows
    break it, and the first such row's key values."""
    found = []
    for rule in RULES[table]:
        if rows.num_rows == 0 or any(c not in rows.column_names for c in rule.columns):
            continue
        broken = pc.invert(pc.fill_null(rule.holds(rows, space), False))
        count = pc.sum(broken).as_py() or 0
        if count:
            first = rows.filter(broken).slice(0, 1).to_pylist()[0]
            shown = {c: first[c] for c in ("arch_id", *rule.columns) if c in first}
            found.append(f"{count} row(s) break \"{rule.description}\", e.g. "
                         + ", ".join(f"{k}={v!r}" for k, v in shown.items()))
    return found


def validate_rows(table: str, rows: pa.Table, space: str | None) -> None:
    """Raise :class:`InvalidValueError` unless every row obeys every rule of ``table``."""
    broken = broken_rules(table, rows, space)
    if broken:
        where = f"{table} of {space}" if space else table
        raise InvalidValueError(f"refusing to write {where}: {broken[0]}"
                                + (f" (and {len(broken) - 1} more rule(s))" if len(broken) > 1
                                   else "") + "; nothing was written")
