"""Mutation of archs spelled as fixed-length digit strings (one digit per edge or layer).

The children of a whole generation are found at once: each arch's digits pack into one integer
``sum(d * base**p)``, a table maps that integer to the arch's row, and a mutation changes one
digit, so a child is one table look-up.  NB201 and NATS-sss are such spaces, and so is any new
space whose encoding gives digits.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from . import MutationFactory


def choose(u: np.ndarray, n: np.ndarray | int) -> np.ndarray:
    """Option ``floor(u * n)`` of ``n``, as integers (clipped: a defence, never reached)."""
    n = np.asarray(n)
    return np.minimum((u * n).astype(np.int64), n - 1)


@dataclass(frozen=True)
class DigitMutation:
    """One digit of a parent changes: at a uniform position, or (``nodes`` > 0) at a uniform
    node 1..nodes and then a uniform incoming edge of it (a cell whose node k has k inputs,
    edges numbered by target node); the new digit is any (``different`` False) or another.

    ``codes`` is (archs, positions); ``lookup`` maps the packed code to a row (-1: none).
    """

    codes: np.ndarray
    base: int
    lookup: np.ndarray
    different: bool
    nodes: int
    draws: int

    @classmethod
    def from_codes(cls, codes: np.ndarray, base: int, different: bool,
                   nodes: int = 0) -> "DigitMutation":
        weights = base ** np.arange(codes.shape[1], dtype=np.int64)
        lookup = np.full(base ** codes.shape[1], -1, dtype=np.int64)
        lookup[codes @ weights] = np.arange(len(codes))
        return cls(codes, base, lookup, different, nodes, draws=3 if nodes else 2)

    def _position(self, u: np.ndarray) -> np.ndarray:
        if self.nodes:
            node = 1 + choose(u[:, 0], self.nodes)
            return node * (node - 1) // 2 + choose(u[:, 1], node)
        return choose(u[:, 0], self.codes.shape[1])

    def mutate(self, rows: np.ndarray, u: np.ndarray) -> np.ndarray:
        """Child rows of parents ``rows`` with uniforms ``u`` (len(rows), draws); -1 outside."""
        position = self._position(u)
        old = self.codes[rows, position]
        if self.different:
            new = choose(u[:, self.draws - 1], self.base - 1)
            new = new + (new >= old)
        else:
            new = choose(u[:, self.draws - 1], self.base)
        packed = self.codes[rows] @ (self.base ** np.arange(self.codes.shape[1], dtype=np.int64))
        return self.lookup[packed + (new - old) * self.base ** position]


def digit_mutation(digits: Callable[[str], Sequence[int]], length: int, base: int,
                   different: bool, nodes: int = 0) -> MutationFactory:
    """The mutation factory of a space whose arch string ``digits`` turns into ``length``
    digits in ``0..base-1``."""
    def factory(arch_strs: Sequence[str], _encodings: Sequence[str | None]) -> DigitMutation:
        codes = np.array([list(digits(s)) for s in arch_strs], dtype=np.int64)
        return DigitMutation.from_codes(codes.reshape(-1, length), base, different, nodes)
    return factory
