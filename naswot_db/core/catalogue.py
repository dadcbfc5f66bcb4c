"""What every catalogue of descriptors (scores, spaces, search methods, export formats) does the
same way: describe each entry once under its name and aliases, import the built-in descriptor
files of its package on first use, and load the installed plug-ins of its entry point group on
first need, so a registry module keeps only what is particular to its kind."""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable, Iterable
from typing import Generic, Protocol, TypeVar

from .errors import NaswotDbError


class Described(Protocol):
    """A descriptor: catalogues key it by its canonical name."""

    @property
    def name(self) -> str: ...


T = TypeVar("T", bound=Described)


def import_descriptor_files(package: str, path: Iterable[str], first: tuple[str, ...] = ()) -> None:
    """Import every module of ``package`` (its ``__path__``): each describes itself.  The
    modules named in ``first`` go first in that order, the rest alphabetically, which decides
    the order of every listing."""
    names = sorted((module.name for module in pkgutil.iter_modules(path)),
                   key=lambda name: (first.index(name) if name in first else len(first), name))
    for name in names:
        importlib.import_module(f"{package}.{name}")


def installed_descriptors(group: str, kind: type) -> list:
    """The objects the entry points of ``group`` name, each a ``kind``; a broken or wrong
    entry point is one error naming it."""
    from importlib.metadata import entry_points

    found = []
    for point in entry_points(group=group):
        try:
            descriptor = point.load()
        except (ImportError, AttributeError) as exc:
            raise NaswotDbError(f"entry point {point.name} = {point.value} of group {group} "
                                f"cannot be loaded ({type(exc).__name__}: {exc})") from exc
        if not isinstance(descriptor, kind):
            raise NaswotDbError(f"entry point {point.name} = {point.value} of group {group} "
                                f"is not a {kind.__name__}")
        found.append(descriptor)
    return found


def _no_aliases(_entry: object) -> tuple[str, ...]:
    return ()


def _trimmed_lower_case(name: str) -> str:
    return name.strip().lower()


class Catalogue(Generic[T]):
    """The descriptors of one kind by canonical name (and alias), in the order described.

    ``kind`` names the kind in messages (``"search method"``); ``key`` is the spelling every
    looked-up name is compared in (trimmed, lower case unless given); ``spelling``, when given,
    says what a canonical name looks like and makes :meth:`describe` refuse a name that ``key``
    would change; ``check`` refuses an entry with its own ``ValueError``; ``origin`` names where
    an entry comes from, in the message refusing a second one.  ``group`` is the entry point
    group of installed plug-ins, each a ``kind_type`` that ``plugin_check`` may refuse;
    ``remember_broken`` keeps a plug-in that cannot be loaded out of listings and names it, with
    its reason, only when asked for (otherwise the first broken one is an error).
    """

    def __init__(self, kind: str, kind_type: type, package: str, path: Iterable[str], *,
                 key: Callable[[str], str] = _trimmed_lower_case, first: tuple[str, ...] = (),
                 aliases: Callable[[T], tuple[str, ...]] = _no_aliases,
                 spelling: str | None = None, check: Callable[[T], None] | None = None,
                 origin: Callable[[T], str] | None = None, group: str | None = None,
                 plugin_check: Callable[[T], None] | None = None,
                 remember_broken: bool = False) -> None:
        self._kind, self._type, self._key = kind, kind_type, key
        self._package, self._path, self._first = package, path, first
        self._aliases_of, self._check, self._origin = aliases, check, origin
        self._spelling = spelling
        self._group, self._plugin_check = group, plugin_check
        self._remember_broken = remember_broken
        self._entries: dict[str, T] = {}
        self._aliases: dict[str, str] = {}  # alias -> canonical name
        self._broken: dict[str, str] = {}   # key of a broken plug-in's entry point -> why
        self._loaded = False
        self._plugins_loaded = False

    def describe(self, entry: T) -> T:
        """Add ``entry``; another entry of its name or of one of its aliases is refused."""
        name = entry.name
        if self._spelling is not None and self._key(name) != name:
            raise ValueError(f"{self._kind} name {name!r} is not canonical ({self._spelling})")
        if self._check is not None:
            self._check(entry)
        known = self._get(name)
        if known is not None and known != entry:
            origins = ("" if self._origin is None
                       else f" ({self._origin(known)}, {self._origin(entry)})")
            raise ValueError(f"{self._kind} {name!r} is described twice{origins}")
        for alias in self._aliases_of(entry):
            owner = self._aliases.get(alias, name)
            if owner != name or alias in self._entries:
                raise ValueError(f"{self._kind} alias {alias!r} of {name!r} is already "
                                 f"{owner if owner != name else 'a ' + self._kind}")
        self._entries[name] = entry
        self._aliases.update(dict.fromkeys(self._aliases_of(entry), name))
        return entry

    def find(self, name: str) -> T | None:
        """The entry ``name`` (any spelling ``key`` accepts, or an alias) names; the installed
        plug-ins are loaded only when no built-in one does."""
        self._load_builtin()
        key = self._key(name)
        if self._get(key) is None:
            self._load_plugins()
        return self._get(key)

    def why_broken(self, name: str) -> str | None:
        """Why the installed plug-in of entry point ``name`` could not be loaded; None if it
        was (or none is installed)."""
        return self._broken.get(self._key(name))

    def entries(self, plugins: bool = True) -> list[T]:
        """Every entry once, in the order described (``plugins``: installed ones loaded too)."""
        self._load_builtin()
        if plugins:
            self._load_plugins()
        return list(self._entries.values())

    def _get(self, key: str) -> T | None:
        return self._entries.get(self._aliases.get(key, key))

    def _load_builtin(self) -> None:
        if not self._loaded:
            self._loaded = True
            import_descriptor_files(self._package, self._path, self._first)

    def _load_plugins(self) -> None:
        if self._plugins_loaded or self._group is None:
            return
        self._plugins_loaded = True
        if self._remember_broken:
            self._load_plugins_sparing_broken()
            return
        for entry in installed_descriptors(self._group, self._type):
            self._describe_plugin(entry)

    def _load_plugins_sparing_broken(self) -> None:
        """Each plug-in, looked up and remembered by its entry point's name, so it must be a
        ``kind_type`` of that name; one that is not, or fails, is remembered with its reason."""
        from importlib.metadata import entry_points

        for point in entry_points(group=self._group):
            key = self._key(point.name)
            try:
                entry = point.load()
                if not isinstance(entry, self._type) or entry.name != key:
                    raise TypeError(f"it is not a {self._type.__name__} named {key!r}")
                self._describe_plugin(entry)
            except Exception as exc:  # a broken plug-in is one error line, like an unknown name
                self._broken[key] = (f"{self._kind} plug-in {point.value!r} (entry point "
                                     f"{point.name!r}) cannot be loaded: "
                                     f"{type(exc).__name__}: {exc}")

    def _describe_plugin(self, entry: T) -> None:
        if self._plugin_check is not None:
            self._plugin_check(entry)
        self.describe(entry)
