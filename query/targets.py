"""Accuracy targets: which (dataset, split, epochs) ground-truth column a study reports.

A target's value per arch is the mean over training seeds (``seed IS NULL`` rows, the
default) or, with ``label="max"``, the best seed (NASWOT's NB101 ground truth: the max final
test accuracy over the repeats; where a file holds only means, the mean).  The chosen values are
the temporary view ``naswot_labels``.  NB201 defaults to the six columns of the NASWOT paper's
Table 2; every other space to each (dataset, split) it has, at its largest training budget.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from naswot_db.core.names import ground_truth_space

from .errors import QueryError


@dataclass(frozen=True)
class Target:
    """One ground-truth column and the label a table shows for it."""

    dataset: str
    split: str
    epochs: int
    label: str


# (label, dataset, split) of the paper's NB201 columns, at 200 epochs.
NB201_PAPER_COLUMNS: tuple[tuple[str, str, str], ...] = (
    ("C10 valid", "cifar10-valid", "x-valid"),
    ("C10 test", "cifar10", "ori-test"),
    ("C100 valid", "cifar100", "x-valid"),
    ("C100 test", "cifar100", "x-test"),
    ("IN16 valid", "ImageNet16-120", "x-valid"),
    ("IN16 test", "ImageNet16-120", "x-test"),
)
NB201_PAPER_EPOCHS = 200
ALL_TARGETS = "all"
LABELS_VIEW = "naswot_labels"
_LABEL_SQL = {
    "mean": "SELECT space, arch_id, dataset, split, epochs, accuracy FROM accuracies "
            "WHERE seed IS NULL",
    "max": "SELECT space, arch_id, dataset, split, epochs, "
           "coalesce(max(accuracy) FILTER (WHERE seed IS NOT NULL), "
           "max(accuracy) FILTER (WHERE seed IS NULL)) AS accuracy "
           "FROM accuracies GROUP BY space, arch_id, dataset, split, epochs",
}
LABELS = tuple(_LABEL_SQL)


def install_labels(connection, label: str) -> None:
    """(Re)define the ``naswot_labels`` view: one accuracy per arch and target column."""
    if label not in _LABEL_SQL:
        raise QueryError(f"unknown label {label!r}; choose from {', '.join(LABELS)}")
    connection.execute(f"CREATE OR REPLACE TEMP VIEW {LABELS_VIEW} AS {_LABEL_SQL[label]}")


def _label(space: str, dataset: str, split: str, epochs: int, budgets: int) -> str:
    if space == "nb201" and epochs == NB201_PAPER_EPOCHS:
        for label, paper_dataset, paper_split in NB201_PAPER_COLUMNS:
            if (paper_dataset, paper_split) == (dataset, split):
                return label
    suffix = f"@{epochs}" if budgets > 1 else ""
    return f"{dataset}/{split}{suffix}"


def available_targets(connection, space: str) -> list[Target]:
    """Every ground-truth column ``naswot_labels`` holds for ``space`` (nb101-original: NB101's)."""
    rows = connection.execute(
        f"SELECT DISTINCT dataset, split, epochs FROM {LABELS_VIEW} "
        "WHERE space = ? ORDER BY dataset, split, epochs", [ground_truth_space(space)]).fetchall()
    budgets = len({epochs for _, _, epochs in rows})
    return [Target(d, s, e, _label(space, d, s, e, budgets)) for d, s, e in rows]


def _parse(spec: str) -> tuple[str, str, int | None]:
    """``DATASET:SPLIT`` or ``DATASET:SPLIT@EPOCHS``."""
    head, _, epochs = spec.partition("@")
    dataset, sep, split = head.partition(":")
    if not sep or not dataset or not split or (epochs and not epochs.isdigit()):
        raise QueryError(f"bad target {spec!r}; write DATASET:SPLIT or DATASET:SPLIT@EPOCHS, "
                         f"e.g. cifar10:ori-test")
    return dataset, split, int(epochs) if epochs else None


def _largest_budget(targets: list[Target]) -> list[Target]:
    largest: dict[tuple[str, str], Target] = {}
    for target in targets:
        key = (target.dataset, target.split)
        if key not in largest or target.epochs > largest[key].epochs:
            largest[key] = target
    return list(largest.values())


def _describe(targets: list[Target]) -> str:
    return ", ".join(f"{t.dataset}:{t.split}@{t.epochs}" for t in targets) or "none"


def resolve_targets(connection, space: str, specs: Sequence[str] | None = None,
                    epochs: int | None = None, label: str = "mean") -> list[Target]:
    """The targets a study of ``space`` reports.

    ``specs`` None: the default (the paper's six for NB201, else every column at its largest
    budget); ``["all"]``: every column; otherwise each ``DATASET:SPLIT[@EPOCHS]``.  ``epochs``
    restricts every choice to that budget.  ``label``: per-arch value, ``"mean"`` over seeds or
    ``"max"`` over seeds (see the module docstring).
    """
    install_labels(connection, label)
    available = available_targets(connection, space)
    if epochs is not None:
        available = [t for t in available if t.epochs == epochs]
    if not available:
        budget = f" at {epochs} epochs" if epochs is not None else ""
        raise QueryError(f"no ground-truth accuracies for space {space!r}{budget}; ingest them "
                         f"with `naswot-db ingest --space {space} --source PATH`")
    if specs is None and space == "nb201":
        specs = [f"{d}:{s}@{epochs or NB201_PAPER_EPOCHS}" for _, d, s in NB201_PAPER_COLUMNS]
    if specs is None or list(specs) == [ALL_TARGETS]:
        return available if specs else _largest_budget(available)
    chosen = []
    for spec in specs:
        dataset, split, budget = _parse(spec)
        matches = [t for t in available if (t.dataset, t.split) == (dataset, split)
                   and (budget is None or t.epochs == budget)]
        if not matches:
            raise QueryError(f"space {space!r} has no accuracies for target {spec!r}; "
                             f"available: {_describe(available)}")
        chosen.extend(_largest_budget(matches))
    return chosen
