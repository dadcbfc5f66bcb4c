"""NDS arch strings: the ``net`` object of an NDS file entry as sorted-key, compact JSON, one
string per distinct net (what the archs table stores and the builder reads back).

An NDS space is a sample of networks (e.g. 5,000 DARTS cells), not a space closed under a
mutation: a mutated cell is almost never in the sample, so it has no ground truth, and REA and
AREA cannot run on it (no mutation).  NASLib keeps no zero-cost file of these samples (its
NB301 file is another DARTS sample, keyed by genotype), so there is no NASLib key either.
"""

from __future__ import annotations

import json
from typing import Any

from naswot_db.core.untrusted_json import loads_untrusted

from . import Encoding, EncodingError


def format_net(net: Any) -> str:
    """Sorted-key, compact JSON of a ``net`` object."""
    return json.dumps(net, sort_keys=True, separators=(",", ":"))


def parse_net(arch_str: str) -> dict:
    """The ``net`` object of an NDS arch string (JSON; no code, bounded nesting)."""
    try:
        net = loads_untrusted(arch_str)
    except ValueError as exc:
        raise EncodingError(f"{arch_str[:80]!r} is not NDS net JSON: {exc}") from exc
    if not isinstance(net, dict):
        raise EncodingError(f"{arch_str[:80]!r} is not an NDS net object")
    return net


ENCODING = Encoding(parse=parse_net, format=format_net)
