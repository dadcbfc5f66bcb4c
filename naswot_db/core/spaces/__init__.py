"""The catalogue of search spaces: one torch-free descriptor per space, in its own file.

Every fact about a space that is not its networks lives in its :class:`SpaceInfo`: canonical
name and other spellings, citation, scoring datasets, whose ground truth it shares, the default
fitness of budgeted searches and what to ingest for it, NASLib's file name, how ``--space``
help lists it, where its arch :class:`~naswot_db.core.encodings.Encoding` lives and where its
builder :class:`Space` class lives (both imported only when asked for, so a command that only
reads names starts without NumPy or torch).  Each module of this package describes its space(s) by calling
:func:`describe`; the CLI, the builder's registry, searches, exports and citations ask the
catalogue, so a new built-in space is one descriptor file here plus its Space class.  Installed
third-party spaces register the same way through the entry point group ``naswot_db.spaces``,
each entry point naming a :class:`SpaceInfo` (torch-free: loaded by any command that lists or
resolves an unknown space name).
"""

from __future__ import annotations

import importlib
import re
from dataclasses import dataclass

from naswot_db.core.catalogue import Catalogue
from naswot_db.core.encodings import Encoding
from naswot_db.core.errors import UnknownNameError
from naswot_db.core.scores import NETWORK_NEEDS

SPACE_PLUGIN_GROUP = "naswot_db.spaces"
Column = tuple[str, str]  # (dataset, split) of the accuracies table
# a task: the space scored on one dataset, judged on (validation, test) ground-truth columns
Task = tuple[str, "Column | None", "Column | None"]
# the built-in descriptor modules listed first, in this order (the rest follow alphabetically)
_LISTED_FIRST = ("nb201", "nats_sss", "nb101", "nb101_original")
# a canonical name: also a partition folder name and a literal in SQL the views build
_CANONICAL = re.compile(r"^[a-z0-9][a-z0-9.-]*$")


@dataclass(frozen=True)
class SpaceInfo:
    """Everything naswot-db knows about a space besides its networks."""

    name: str  # canonical: the --space value, the ``space`` column, the name in every message
    citation: str  # the benchmark paper behind its archs and ground truth
    # "module:factory" of its builder Space; ``factory(*arguments, root)`` builds it (lazily)
    implementation: str
    datasets: tuple[str, ...]  # the datasets its networks are scored on
    help: str  # how --space help lists it; spaces with equal help are listed once (a family)
    aliases: tuple[str, ...] = ()  # other names, in the normalised spelling (``nats-tss``)
    arguments: tuple[str, ...] = ()
    ground_truth: str = ""  # the space whose archs and accuracies it uses; "" for itself
    # "module:attr" of its Encoding (torch-free); None: no searches by mutation, no NASLib keys
    encoding: str | None = None
    default_fitness: str | None = None  # DATASET:SPLIT@EPOCHS budgeted searches optimise
    eval_times: bool = True  # whether its ground truth stores evaluation times
    ingest_source: str = "PATH"  # what ``ingest --source`` reads, for messages
    naslib_file: str | None = None  # NASLib's zc_*.json name; None: NASLib has none
    tasks: tuple[Task, ...] = ()  # (scoring dataset, validation, test) of exports
    family: str = ""  # spaces ingested together by ``ingest --space FAMILY`` (``nds``)
    arch_count: int | None = None  # archs in the space (ids 0..N-1) where it is fixed
    arch_id_bound: int | None = None  # every arch id is below it (arch_count where fixed)
    # what a score may need of the network (keys of naswot_db.core.scores.NETWORK_NEEDS) that
    # this space's network does not have, as (need, how the network differs) pairs: a build
    # refuses or skips such a score before it builds a network
    network_lacks: tuple[tuple[str, str], ...] = ()
    # seconds per arch of a whole-space build, where one was measured: the whole-space build
    # note turns it into hours (None: not measured, the progress bar estimates it)
    measured_s_per_arch: float | None = None

    def __post_init__(self) -> None:
        unknown = {need for need, _ in self.network_lacks} - set(NETWORK_NEEDS)
        if unknown:
            raise ValueError(f"space {self.name!r} lacks unknown network features {unknown}")

    def lack(self, need: str) -> str | None:
        """How this space's network differs from what ``need`` asks for; None: it has it."""
        return dict(self.network_lacks).get(need)

    def arch_ids_below(self) -> int | None:
        """The bound every arch id of the space is below; None where it has none (a plug-in)."""
        return self.arch_id_bound if self.arch_id_bound is not None else self.arch_count

    @property
    def truth_space(self) -> str:
        return self.ground_truth or self.name


_ENCODINGS: dict[str, Encoding] = {}  # "module:attr" -> the loaded encoding


def normalised(name: str) -> str:
    """The spelling every space name is compared in: trimmed, lower case, ``-`` for ``_``."""
    return name.strip().lower().replace("_", "-")


def _canonical_names(info: SpaceInfo) -> None:
    """Refuse a name or alias that could not be a partition folder or an SQL literal."""
    if not all(_CANONICAL.match(name) for name in (info.name, *info.aliases)):
        raise ValueError(f"space name {info.name!r} or an alias is not canonical (lower case "
                         "letters, digits, '.' and '-')")


# a plug-in that cannot be loaded is left out of listings (so one broken install does not stop
# every command) and named with its reason when it is asked for
_SPACES: Catalogue[SpaceInfo] = Catalogue(
    "space", SpaceInfo, __name__, __path__, key=normalised, first=_LISTED_FIRST,
    aliases=lambda info: info.aliases, check=_canonical_names,
    origin=lambda info: info.implementation, group=SPACE_PLUGIN_GROUP, remember_broken=True)


def describe(info: SpaceInfo) -> SpaceInfo:
    """Add ``info`` to the catalogue; a second space of the same name or alias is refused."""
    return _SPACES.describe(info)


def canonical_space(name: str) -> str:
    """The canonical name of space ``name`` in any accepted spelling, plug-ins included."""
    return space_info(name).name


def space_info(name: str) -> SpaceInfo:
    """The descriptor of space ``name`` (any accepted spelling)."""
    info = _SPACES.find(name)
    if info is None and _SPACES.why_broken(name) is not None:
        raise UnknownNameError(_SPACES.why_broken(name))
    if info is None:
        raise UnknownNameError(f"unknown space {name!r}; known spaces: {space_help()} "
                               f"(plug-ins: entry point group {SPACE_PLUGIN_GROUP})")
    return info


def space_names() -> list[str]:
    """Every described space: built-in ones in listing order, then installed plug-ins."""
    return [info.name for info in _SPACES.entries()]


def space_help() -> str:
    """The spaces as ``--space`` help lists them (each family once)."""
    return ", ".join(dict.fromkeys(info.help for info in _SPACES.entries()))


def ground_truth_space(space: str) -> str:
    """The space whose archs and accuracies ``space`` uses (nb101-original -> nb101)."""
    return space_info(space).truth_space


def spaces_sharing_ground_truth(space: str) -> tuple[str, ...]:
    """Every space (``space`` included) whose archs and accuracies are ``space``'s."""
    return (space, *(info.name for info in _SPACES.entries(plugins=False)
                     if info.ground_truth == space and info.name != space))


def ground_truth_space_sql(column: str) -> str:
    """SQL for :func:`ground_truth_space` of a space column (views join on it)."""
    cases = " ".join(f"WHEN '{info.name}' THEN '{info.ground_truth}'"
                     for info in _SPACES.entries() if info.ground_truth)
    return f"CASE {column} {cases} ELSE {column} END" if cases else column


def score_datasets(space: str) -> tuple[str, ...]:
    """The datasets a space's networks are scored on."""
    return space_info(space).datasets


def space_citation(space: str) -> str:
    """The benchmark paper behind ``space`` (its ground truth and its architectures)."""
    return space_info(space).citation


def space_encoding(space: str) -> Encoding | None:
    """The arch encoding of ``space``'s ground truth (nb101-original: NB101's), imported the
    first time it is asked for."""
    target = space_info(ground_truth_space(space)).encoding
    if target is None:
        return None
    if target not in _ENCODINGS:
        module_name, _, attribute = target.partition(":")
        try:
            encoding = getattr(importlib.import_module(module_name), attribute)
        except (ImportError, AttributeError) as exc:
            raise UnknownNameError(f"space {space!r} has no encoding in this install ({target}: "
                                   f"{type(exc).__name__}: {exc})") from exc
        if not isinstance(encoding, Encoding):
            raise UnknownNameError(f"{target}, the encoding of space {space!r}, is not an "
                                   "Encoding")
        _ENCODINGS[target] = encoding
    return _ENCODINGS[target]


BUILTIN_SPACES: tuple[str, ...] = tuple(info.name for info in _SPACES.entries(plugins=False))
