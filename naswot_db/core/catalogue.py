"""What every catalogue of descriptors (search methods, export formats) does the same way:
import the built-in descriptor files of its package, and load the installed plug-ins of its
entry point group, each checked to be a descriptor of the right kind."""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Iterable

from .errors import NaswotDbError


def import_descriptor_files(package: str, path: Iterable[str]) -> None:
    """Import every module of ``package`` (its ``__path__``): each describes itself."""
    for module in pkgutil.iter_modules(path):
        importlib.import_module(f"{package}.{module.name}")


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
