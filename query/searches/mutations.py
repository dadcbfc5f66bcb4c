"""Each space's mutation, vectorised over runs: parent rows and uniforms in, child rows out.

* ``nb201`` (NAS-Bench-201's REA, ``mutate_topology_func``): a random node of the cell
  (``floor(u0 * 3)`` -> node 1..3), a random incoming edge of it (``floor(u1 * node)`` -> from
  node 0..node-1), and a *different* operation on that edge: ``floor(u2 * 4)``-th of the four
  other operations in the order none, skip_connect, nor_conv_1x1, nor_conv_3x3, avg_pool_3x3.
* ``nats-sss`` (NATS-Bench's REA, ``mutate_size_func``): a random layer (``floor(u0 * 5)``) gets
  the ``floor(u1 * 8)``-th of the 8 channel counts 8, 16, ..., 64.  As in NATS-Bench's code the
  draw may return the current count, so a child can equal its parent.

A child must be an arch of the searched space (fitness and targets stored); a mutation that
leaves it is an error naming the parent, since REA needs the whole space ingested.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from naswot_db.names import ground_truth_space

from ..errors import QueryError
from .ground_truth import EvaluationTables
from .streams import choose

NB201_OPS = ("none", "skip_connect", "nor_conv_1x1", "nor_conv_3x3", "avg_pool_3x3")
NB201_NODES = 3                 # intermediate nodes 1..3; node k has k incoming edges
NB201_EDGES = 6
SSS_CHANNELS = tuple(range(8, 65, 8))
SSS_LAYERS = 5


def nb201_edges(arch_str: str) -> list[str]:
    """Operations of the six edges in order (1<-0, 2<-0, 2<-1, 3<-0, 3<-1, 3<-2)."""
    ops = [""] * NB201_EDGES
    nodes = arch_str.split("+")
    if len(nodes) != NB201_NODES:
        raise QueryError(f"{arch_str!r} is not an NB201 cell string")
    for node, text in enumerate(nodes, start=1):
        for edge in filter(None, text.split("|")):
            op, _, source = edge.partition("~")
            if op not in NB201_OPS or not source.isdigit() or int(source) >= node:
                raise QueryError(f"{arch_str!r} is not an NB201 cell string")
            ops[node * (node - 1) // 2 + int(source)] = op
    if "" in ops:
        raise QueryError(f"{arch_str!r} is not an NB201 cell string")
    return ops


def sss_channels(arch_str: str) -> list[int]:
    """The five channel counts of a NATS-sss arch string ``8:16:24:32:64``."""
    parts = arch_str.split(":")
    if len(parts) != SSS_LAYERS or not all(p.isdigit() and int(p) in SSS_CHANNELS for p in parts):
        raise QueryError(f"{arch_str!r} is not a NATS-sss arch string")
    return [int(p) for p in parts]


@dataclass(frozen=True)
class DigitMutation:
    """A space whose archs are fixed-length digit strings (one digit per edge or layer).

    ``codes`` is (archs, positions); ``lookup`` maps the packed code sum(d * base**p) to a row.
    """

    space: str
    codes: np.ndarray
    base: int
    lookup: np.ndarray
    different: bool            # the new digit must differ from the old (NB201) or not (sss)
    draws: int = 3

    @classmethod
    def from_codes(cls, space: str, codes: np.ndarray, base: int, different: bool,
                   draws: int) -> "DigitMutation":
        weights = base ** np.arange(codes.shape[1], dtype=np.int64)
        lookup = np.full(base ** codes.shape[1], -1, dtype=np.int64)
        lookup[codes @ weights] = np.arange(len(codes))
        return cls(space, codes, base, lookup, different, draws)

    def _position(self, u: np.ndarray) -> np.ndarray:
        if self.space == "nb201":
            node = 1 + choose(u[:, 0], NB201_NODES)
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


def mutation_for(tables: EvaluationTables) -> DigitMutation:
    """The mutation of ``tables.space``; a space without one is an error."""
    truth = ground_truth_space(tables.space)
    if truth == "nb201":
        codes = np.array([[NB201_OPS.index(op) for op in nb201_edges(s)] for s in tables.arch_strs],
                         dtype=np.int64).reshape(-1, NB201_EDGES)
        return DigitMutation.from_codes(tables.space, codes, len(NB201_OPS), True, 3)
    if truth == "nats-sss":
        codes = np.array([[SSS_CHANNELS.index(c) for c in sss_channels(s)]
                          for s in tables.arch_strs], dtype=np.int64).reshape(-1, SSS_LAYERS)
        return DigitMutation.from_codes(tables.space, codes, len(SSS_CHANNELS), False, 2)
    raise QueryError(f"space {tables.space!r} has no mutation; REA and AREA run on nb201 and "
                     f"nats-sss")


def check_children(tables: EvaluationTables, parents: np.ndarray, children: np.ndarray) -> None:
    """Raise when a mutation left the searched space (an arch without its ground truth)."""
    lost = children < 0
    if lost.any():
        parent = int(parents[np.flatnonzero(lost)[0]])
        raise QueryError(
            f"a mutation of arch {tables.arch_ids[parent]} ({tables.arch_strs[parent]}) reached an "
            f"arch with no {tables.fitness_column.spec} ground truth or target accuracy; REA "
            f"needs every arch of space {tables.space!r} ingested")
