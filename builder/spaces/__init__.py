"""Registry of search spaces: ``get_space(name)`` returns a ready :class:`Space`.

Each space lives in its own module and is imported only when asked for, so a space with heavy
dependencies costs nothing to users of the others.
"""

from __future__ import annotations

import importlib
from pathlib import Path

from .base import GroundTruth, Space, SpaceError

# space name -> "module:class" inside this package
_REGISTRY: dict[str, str] = {
    "nb201": "nb201:NB201Space",
    "nb101": "nb101:NB101Space",
    "nb101_original": "nb101:original_nb101_space",
    "nats_sss": "nats_sss:NATSSizeSpace",
}
# every NDS space is "nds_" + the NDS file name in lower case; one factory builds them all
_PREFIX_REGISTRY: dict[str, str] = {
    "nds_": "nds:make_nds_space",
}


def space_names() -> list[str]:
    """Every registered space name."""
    return sorted(_REGISTRY)


def _load(target: str):
    module_name, attribute = target.split(":")
    return getattr(importlib.import_module(f"{__name__}.{module_name}"), attribute)


def get_space(name: str, root: Path | None = None) -> Space:
    """The space called ``name`` (``nats-sss`` and ``nats_sss`` alike) over database ``root``."""
    key = name.lower().replace("-", "_")
    if key in _REGISTRY:
        return _load(_REGISTRY[key])(root)
    for prefix, target in _PREFIX_REGISTRY.items():
        if name.lower().startswith(prefix):
            return _load(target)(name.lower(), root)
    raise SpaceError(f"unknown space {name!r}; known spaces: {', '.join(space_names())}, "
                     f"and nds_<name> for every NDS file (e.g. nds_darts)")


__all__ = ["GroundTruth", "Space", "SpaceError", "get_space", "space_names"]
