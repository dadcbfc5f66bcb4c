"""Parsing JSON that came from outside (an archive's manifest, an NDS file, a benchmark record).

Python's ``json`` accepts ``Infinity`` and ``NaN``, which no benchmark file or manifest holds
and which turn into ``OverflowError`` the moment a count is made of them, and it recurses once
per nesting level, so a file of 100,000 ``[`` is a ``RecursionError`` traceback.  Both are
refused here (with numbers like ``1e400`` that overflow to infinity) as a
:class:`ValueError` naming what is wrong, before any value is used.
"""

from __future__ import annotations

import json
from typing import Any


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a number these files may hold")


def _finite_float(text: str) -> float:
    value = float(text)
    if value in (float("inf"), float("-inf")):
        raise ValueError(f"{text} is too large a number for these files")
    return value


def loads_untrusted(text: str | bytes) -> Any:
    """``json.loads`` for files from outside: ValueError for NaN/Infinity and deep nesting."""
    try:
        return json.loads(text, parse_constant=_refuse_constant, parse_float=_finite_float)
    except RecursionError:
        raise ValueError("nested too deeply to be one of these files") from None
