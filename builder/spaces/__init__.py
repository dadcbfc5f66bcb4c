"""Registry of search spaces: ``get_space(name)`` returns a ready :class:`Space`.

Each space lives in its own module and is imported only when asked for, so a space with heavy
dependencies costs nothing to users of the others.
"""

from __future__ import annotations

import importlib

from .base import GroundTruth, Space, SpaceError

# space name -> "module:class" inside this package
_REGISTRY: dict[str, str] = {
    "nb201": "nb201:NB201Space",
}


def space_names() -> list[str]:
    """Every registered space name."""
    return sorted(_REGISTRY)


def register_space(name: str, target: str) -> None:
    """Register ``target`` ("module:Class" within builder.spaces) under ``name``."""
    _REGISTRY[name] = target


def get_space(name: str) -> Space:
    """The space called ``name``; unknown names list the known ones."""
    key = name.lower().replace("-", "_") if name.lower().replace("-", "_") in _REGISTRY else name
    if key not in _REGISTRY:
        raise SpaceError(f"unknown space {name!r}; known spaces: {', '.join(space_names())}")
    module_name, class_name = _REGISTRY[key].split(":")
    module = importlib.import_module(f"{__name__}.{module_name}")
    return getattr(module, class_name)()


__all__ = ["GroundTruth", "Space", "SpaceError", "get_space", "register_space", "space_names"]
