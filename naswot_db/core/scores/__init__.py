"""The catalogue of training-free scores: one torch-free descriptor per score, in its own file.

Every fact about a score that is not its computation lives in its :class:`ScoreInfo` (name,
citation, direction, what it needs, its NAS-Bench-Suite-Zero / NASLib name, where its
implementation lives).  Each module of this package describes one score by calling
:func:`describe`; the CLI, the query layer, exports and citations ask the catalogue, so a new
score is one descriptor file here plus its implementation in ``builder/scoring/``.  Installed
third-party scores are found through the entry point group ``naswot_db.scores`` (read from the
distributions' metadata only; their module is imported when the builder scores).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from naswot_db.core.catalogue import Catalogue
from naswot_db.core.errors import UnknownNameError

# installed score plug-ins: entry points of this group, named by score, pointing at the class
SCORE_PLUGIN_GROUP = "naswot_db.scores"
DEFAULT_SCORE = "naswot"
# ``--score suite-zero``: the thirteen proxies of NAS-Bench-Suite-Zero; ``--score all``: every score
SUITE_ZERO = "suite-zero"
ALL_SCORES = "all"
# scores a query computes from stored ones and never builds: the AZ-NAS aggregate ranks a
# population of stored archs (naswot_db.query.az_nas), so it is a --score of corr and search only
QUERY_AGGREGATES = ("az_nas",)


# what a score can need of a space's network (ScoreInfo.network_needs), and why it needs it; a
# space's descriptor names in ``SpaceInfo.network_lacks`` the ones its network does not have
CLASS_HEAD = "class_head"
GLOBAL_POOL = "global_pool"
NETWORK_NEEDS: dict[str, str] = {
    CLASS_HEAD: "a network with one output per class of the dataset (a classifier for its "
                "loss on the labels)",
    GLOBAL_POOL: "an nn.AdaptiveAvgPool2d global pool (it reads the features entering it)",
}


@dataclass(frozen=True)
class ScoreSetting:
    """A constructor keyword of a score's scorer that changes its values: the build sets it with
    ``--score-setting [SCORE.]NAME=VALUE`` and it enters the score's config id."""

    name: str
    kind: type  # bool, int or float: what a VALUE is parsed as
    default: Any  # None: off unless set (then VALUE may also be ``none``)
    doc: str  # one line, for --help and the README

    def __post_init__(self) -> None:
        if self.kind not in (bool, int, float):
            raise ValueError(f"setting {self.name!r}: kind must be bool, int or float")


# Suite-Zero's ZeroCost.query stores every NaN or +-inf score as -1e8; each of its proxies can too
NAN_SENTINEL = ScoreSetting(
    "nan_sentinel", float, None,
    "store NaN and +-inf as this value (Suite-Zero's -1e8) instead of an error row")


@dataclass(frozen=True)
class ScoreInfo:
    """Everything naswot-db knows about a score besides how to compute it."""

    name: str  # canonical: the --score value, the ``score`` column, the name in every message
    citation: str
    implementation: str  # "module:Class" of its builder/scoring plug-in (imported by the builder)
    label: str = ""  # how tables and plots name it ("NASWOT"); the name when empty
    higher_is_better: bool = True  # False: searches pick the lowest value, correlations flip sign
    needs_batch: bool = True  # False: computed without images (params, flops, synflow's ones)
    needs_labels: bool = False  # the batch's true labels (a loss on them)
    needs_gradients: bool = False  # a backward pass through the network
    changes_weights: bool = False  # overwrites or re-initialises weights: scores a fresh copy
    # scored on the network with one output per class of the dataset (Suite-Zero's networks),
    # not NASWOT's single unit: the runner builds it with build_model(arch, num_classes=K)
    class_head: bool = False
    suite_zero: bool = False  # one of NAS-Bench-Suite-Zero's thirteen proxies
    naslib_name: str | None = None  # its key in NASLib's zc_*.json files
    notes: tuple[str, ...] = field(default=())  # deviations from the reference, for the README
    # the keyword arguments of its scorer that change values (``--score-setting``)
    settings: tuple[ScoreSetting, ...] = field(default=())
    # what it reads of the network beyond a forward (keys of NETWORK_NEEDS); the class head is
    # implied by ``class_head``
    needs_network: tuple[str, ...] = field(default=())

    def __post_init__(self) -> None:
        unknown = set(self.needs_network) - set(NETWORK_NEEDS)
        if unknown:
            raise ValueError(f"score {self.name!r} needs unknown network features {unknown}")

    @property
    def display(self) -> str:
        return self.label or self.name

    @property
    def network_needs(self) -> tuple[str, ...]:
        """Everything this score needs of a space's network (checked before a build)."""
        return ((CLASS_HEAD,) if self.class_head else ()) + self.needs_network

    def setting(self, name: str) -> ScoreSetting | None:
        """The setting called ``name`` (exact spelling), or None."""
        return next((setting for setting in self.settings if setting.name == name), None)


def score_key(name: str) -> str:
    """The canonical spelling of score name ``name``, known or not: lower case, trimmed."""
    return name.strip().lower()


# the built-in scores, the default first; installed plug-ins are described when the builder
# loads them (their entry points are read here by name only)
_SCORES: Catalogue[ScoreInfo] = Catalogue(
    "score", ScoreInfo, __name__, __path__, key=score_key, first=(DEFAULT_SCORE,),
    spelling="lower case, no spaces", origin=lambda info: info.implementation)


def describe(info: ScoreInfo) -> ScoreInfo:
    """Add ``info`` to the catalogue; a second score of the same name is refused."""
    return _SCORES.describe(info)


def _loose(name: str) -> str:
    """What two spellings of one score share: ``grad-norm`` and ``GRAD_NORM`` both match."""
    return score_key(name).replace("_", "-")


def _aggregate_key(name: str) -> str | None:
    return next((key for key in QUERY_AGGREGATES if _loose(key) == _loose(name)), None)


def _known_key(name: str) -> str | None:
    return next((key for key in score_names() if _loose(key) == _loose(name)), None)


def score_names() -> list[str]:
    """Every described score, built-in first in file order, then plug-ins registered at run time."""
    return [info.name for info in _SCORES.entries()]


def suite_zero_names() -> list[str]:
    """The thirteen NAS-Bench-Suite-Zero proxies that this install describes."""
    return [info.name for info in _SCORES.entries() if info.suite_zero]


def installed_score_plugin(name: str):
    """The entry point (group ``naswot_db.scores``) of installed score ``name``, or None.

    Only the installed distributions' metadata is read: the plug-in's module is imported by the
    builder when it scores, never by a query command that only needs the name.
    """
    from importlib.metadata import entry_points

    return next((point for point in entry_points(group=SCORE_PLUGIN_GROUP)
                 if _loose(point.name) == _loose(name)), None)


def installed_score_names() -> list[str]:
    """Entry point names of the installed score plug-ins not described here (for help: they are
    listed, not loaded)."""
    from importlib.metadata import entry_points

    known = score_names()
    return sorted(point.name for point in entry_points(group=SCORE_PLUGIN_GROUP)
                  if point.name not in known)


def canonical_score(name: str) -> str:
    """The canonical name of score ``name`` (case-insensitive, ``-`` or ``_``), plug-ins included."""
    known = _known_key(name)
    if known is not None:
        return known
    entry_point = installed_score_plugin(name)
    aggregate = _aggregate_key(name)
    if entry_point is None and aggregate is not None:
        raise UnknownNameError(f"{aggregate} is not a stored score: corr and search compute it "
                               f"from stored ones (--score {aggregate}); build those instead")
    if entry_point is None:
        raise UnknownNameError(f"unknown score {name!r}; known scores: "
                               f"{', '.join(score_names())} (plug-ins: entry point group "
                               f"{SCORE_PLUGIN_GROUP})")
    return score_key(entry_point.name)


def score_info(name: str) -> ScoreInfo | None:
    """The descriptor of score ``name``; None for an installed plug-in not loaded yet."""
    return _SCORES.find(canonical_score(name))


def _selections(spec: str) -> list[tuple[str, bool]]:
    """(canonical name, named by itself) for each score a ``--score`` value selects, in order;
    a score a group (``suite-zero``, ``all``) selects is not named by itself."""
    selected: list[tuple[str, bool]] = []
    for part in (piece.strip() for piece in spec.split(",")):
        if not part:
            raise UnknownNameError(f"empty score name in {spec!r}")
        if score_key(part) == SUITE_ZERO:
            selected.extend((name, False) for name in suite_zero_names())
        elif score_key(part) == ALL_SCORES:
            selected.extend((name, False) for name in score_names())
        else:
            selected.append((canonical_score(part), True))
    return selected


def expand_scores(spec: str) -> list[str]:
    """The scores a ``--score`` value names: one name, a comma list, ``suite-zero`` or ``all``."""
    return list(dict.fromkeys(name for name, _ in _selections(spec)))


def group_only_scores(spec: str) -> list[str]:
    """The scores of ``spec`` that only a group (``suite-zero``, ``all``) selects: a build skips
    those its space cannot run, while a score named by itself that cannot run is an error."""
    selected = _selections(spec)
    named = {name for name, by_name in selected if by_name}
    return list(dict.fromkeys(name for name, _ in selected if name not in named))


def query_score(name: str) -> str:
    """The canonical name of a score a query reads: a query aggregate or a stored score."""
    aggregate = _aggregate_key(name)
    return aggregate if aggregate is not None else canonical_score(name)


def expand_query_scores(spec: str) -> list[str]:
    """:func:`expand_scores` for a query: aggregates may be named, and ``all`` includes them."""
    names: list[str] = []
    for part in (piece.strip() for piece in spec.split(",")):
        if not part:
            raise UnknownNameError(f"empty score name in {spec!r}")
        if _aggregate_key(part) is not None:
            names.append(_aggregate_key(part))
        else:
            names.extend(expand_scores(part))
            if score_key(part) == ALL_SCORES:
                names.extend(QUERY_AGGREGATES)
    return list(dict.fromkeys(names))


def higher_is_better(name: str) -> bool:
    """Whether a larger value of score ``name`` means a better network (plug-ins and the query
    aggregates: yes)."""
    if name in QUERY_AGGREGATES:
        return True
    info = score_info(name)
    return True if info is None else info.higher_is_better


def score_citation(name: str) -> str | None:
    info = score_info(name)
    return None if info is None else info.citation
