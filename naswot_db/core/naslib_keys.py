"""NASLib's arch keys (``str(arch.get_hash())``, the keys of its ``zc_*.json`` files): what every
space's keys share.

Each space's own key, both ways, is part of its encoding (REFERENCE-FACTS section 7):
NB201's op-index 6-tuple in :mod:`naswot_db.core.encodings.nb201`, NB101's 56-number raw spec in
:mod:`naswot_db.core.encodings.nb101`.  Here: the error of a key that names no arch, and the
parse of a flat tuple key (never evaluated).
"""

from __future__ import annotations

import re

from naswot_db.core.errors import NaswotDbError

_FLAT_TUPLE = re.compile(r"^\(\s*\d+\s*(,\s*\d+\s*)*,?\s*\)$")


class NaslibKeyError(NaswotDbError):
    """A key that is not one of NASLib's arch encodings."""


def parse_flat_key(text: str) -> tuple[int, ...] | None:
    """``"(0, 1, 2)"`` as a tuple of ints; None for any other text (an arch string, NB301's
    nested tuples).  Parsed by pattern, never evaluated."""
    if not _FLAT_TUPLE.match(text.strip()):
        return None
    return tuple(int(part) for part in text.strip()[1:-1].split(",") if part.strip())
