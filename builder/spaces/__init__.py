"""Registry of search spaces: ``get_space(name)`` returns a ready :class:`Space`.

Names come from :mod:`naswot_db.core.names` (one canonical name per space, other spellings accepted).
Each space lives in its own module and is imported only when asked for, so a space with heavy
dependencies costs nothing to users of the others.
"""

from __future__ import annotations

import importlib
from pathlib import Path

from naswot_db.core.names import canonical_space, is_nds_space

from .base import GroundTruth, Space, SpaceError

# canonical space name -> "module:factory" inside this package; a factory takes the root
_REGISTRY: dict[str, str] = {
    "nb201": "nb201:NB201Space",
    "nb101": "nb101:NB101Space",
    "nb101-original": "nb101:original_nb101_space",
    "nats-sss": "nats_sss:NATSSizeSpace",
}
# every NDS space (nds-<file>) is built by one factory that takes the space name and the root
_NDS_FACTORY = "nds:make_nds_space"


def _load(target: str):
    module_name, attribute = target.split(":")
    return getattr(importlib.import_module(f"{__name__}.{module_name}"), attribute)


def get_space(name: str, root: Path | None = None) -> Space:
    """The space called ``name`` (any accepted spelling) over database ``root``."""
    key = canonical_space(name)
    if is_nds_space(key):
        return _load(_NDS_FACTORY)(key, root)
    return _load(_REGISTRY[key])(root)


__all__ = ["GroundTruth", "Space", "SpaceError", "get_space"]
