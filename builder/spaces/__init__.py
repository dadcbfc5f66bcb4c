"""Registry of search spaces: ``get_space(name)`` returns a ready :class:`Space`.

What a space is (names, datasets, citation, encoding) is its descriptor in
:mod:`naswot_db.core.spaces`; this package holds its networks.  The descriptor names its Space
class (``module:factory``), imported only when the space is asked for, so a space with heavy
dependencies costs nothing to users of the others and an installed plug-in space is built the
same way as a built-in one.
"""

from __future__ import annotations

import importlib
from pathlib import Path

from naswot_db.core.spaces import SpaceInfo, space_info

from .base import GroundTruth, Space, SpaceError


def _factory(info: SpaceInfo):
    module_name, _, attribute = info.implementation.partition(":")
    try:
        return getattr(importlib.import_module(module_name), attribute)
    except (ImportError, AttributeError) as exc:
        raise SpaceError(f"space {info.name!r} has no implementation in this install "
                         f"({info.implementation}: {type(exc).__name__}: {exc})") from exc


def get_space(name: str, root: Path | None = None) -> Space:
    """The space called ``name`` (any accepted spelling) over database ``root``."""
    info = space_info(name)
    space = _factory(info)(*info.arguments, root)
    if space.name != info.name:
        raise SpaceError(f"{info.implementation} builds space {space.name!r}, not {info.name!r} "
                         "as its descriptor says")
    return space


__all__ = ["GroundTruth", "Space", "SpaceError", "get_space"]
