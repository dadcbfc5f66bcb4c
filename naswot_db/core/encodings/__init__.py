"""How a space spells its archs, without torch: the one place its arch strings are parsed.

A space's :class:`Encoding` is shared by the builder (which builds a network from the parsed
arch), the query layer (REA and AREA mutate archs through it) and exports (NASLib's keys), so a
space with an encoding is searched and exported with no edit there.  Each module of this package
holds one space's (or one kind of space's) parsing and mutation.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from naswot_db.core.errors import NaswotDbError

if TYPE_CHECKING:  # NumPy only where a mutation runs: the CLI starts without it
    import numpy as np


class EncodingError(NaswotDbError, ValueError):
    """An arch string or stored cell that is not one of its space's."""


class Mutation(Protocol):
    """Children of parent rows from ``draws`` uniforms per child, vectorised over runs."""

    draws: int

    def mutate(self, rows: np.ndarray, u: np.ndarray) -> np.ndarray:
        """Child rows (-1: the child is not a row of the searched tables)."""


# (arch strings, stored encodings) of the searched tables, row by row -> their mutation
MutationFactory = Callable[[Sequence[str], Sequence["str | None"]], Mutation]


@dataclass(frozen=True)
class Encoding:
    """A space's arch strings both ways, its mutation and its NASLib key."""

    parse: Callable[[str], Any]  # arch string -> the space's structure (EncodingError if bad)
    format: Callable[[Any], str]  # the inverse of parse
    mutation: MutationFactory | None = None  # None: REA and AREA cannot run on the space
    # (arch_str, stored encoding) -> NASLib's key; None for a row that cannot give one
    naslib_key: Callable[[str, "str | None"], "str | None"] | None = None
    # NASLib's key text -> arch string; None for a key of another space's shape (a key of this
    # shape that names no arch raises naslib_keys.NaslibKeyError)
    naslib_arch: Callable[[str], "str | None"] | None = None
