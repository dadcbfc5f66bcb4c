"""Each space's mutation, vectorised over runs: parent rows and uniforms in, child rows out.

* ``nb201`` (NAS-Bench-201's REA, ``mutate_topology_func``): a random node of the cell
  (``floor(u0 * 3)`` -> node 1..3), a random incoming edge of it (``floor(u1 * node)`` -> from
  node 0..node-1), and a *different* operation on that edge: ``floor(u2 * 4)``-th of the four
  other operations in the order none, skip_connect, nor_conv_1x1, nor_conv_3x3, avg_pool_3x3.
* ``nats-sss`` (NATS-Bench's REA, ``mutate_size_func``): a random layer (``floor(u0 * 5)``) gets
  the ``floor(u1 * 8)``-th of the 8 channel counts 8, 16, ..., 64.  As in NATS-Bench's code the
  draw may return the current count, so a child can equal its parent.

* ``nb101`` (NAS-Bench-101's ``mutate_spec``): the one double ``u`` of the run's stream seeds
  the mutation's own generator ``default_rng(floor(u * 2**53))``, which then draws: an op for
  each vertex the stored (pruned) parent lacks, re-added unconnected just before the output
  (the benchmark stores no unpruned cell); then per try every edge spot of the 7-vertex matrix
  in row-major order flips with probability 1/7 (``mutation_rate / NUM_VERTICES``) and each of
  the 5 interior ops, with probability 1/5, becomes the ``floor(v * 2)``-th other op, until the
  pruned cell has a path, at most 9 edges and a module hash in the table (at most 10,000 tries).

For ``nb201`` and ``nats-sss`` a child must be an arch of the searched space (fitness and
targets stored); a mutation that leaves it is an error naming the parent, since REA needs the
whole space ingested.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

import numpy as np

from naswot_db.core.names import ground_truth_space
from naswot_db.core.nb101_cell import CANONICAL_OPS, INPUT, OUTPUT, cell_hash, kept_vertices

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

    codes: np.ndarray
    base: int
    lookup: np.ndarray
    different: bool            # the new digit must differ from the old (NB201) or not (sss)
    by_node: bool              # NB201: pick a node, then one of its incoming edges
    draws: int

    @classmethod
    def from_codes(cls, codes: np.ndarray, base: int, nb201: bool) -> "DigitMutation":
        weights = base ** np.arange(codes.shape[1], dtype=np.int64)
        lookup = np.full(base ** codes.shape[1], -1, dtype=np.int64)
        lookup[codes @ weights] = np.arange(len(codes))
        return cls(codes, base, lookup, different=nb201, by_node=nb201,
                   draws=3 if nb201 else 2)

    def _position(self, u: np.ndarray) -> np.ndarray:
        if self.by_node:
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


NB101_VERTICES = 7
NB101_MAX_EDGES = 9
NB101_EDGE_RATE = 1 / NB101_VERTICES        # per edge spot, as NAS-Bench-101's mutate_spec
NB101_OP_RATE = 1 / (NB101_VERTICES - 2)    # per interior op
NB101_MAX_TRIES = 10_000


@dataclass
class NB101Mutation:
    """NAS-Bench-101's mutation, one child at a time (its tries vary in number)."""

    tables: EvaluationTables
    row_of_hash: dict[str, int]
    draws: int = 1
    _cells: dict[int, tuple[np.ndarray, list[str]]] = field(default_factory=dict)

    @classmethod
    def from_tables(cls, tables: EvaluationTables) -> "NB101Mutation":
        return cls(tables, {arch_hash: row for row, arch_hash in enumerate(tables.arch_strs)})

    def _cell(self, row: int) -> tuple[np.ndarray, list[str]]:
        """The stored pruned cell of ``row`` (parsed once)."""
        if row not in self._cells:
            encoding = json.loads(self.tables.encodings[row])
            self._cells[row] = (np.array(encoding["adjacency"], dtype=np.int64),
                                list(encoding["ops"]))
        return self._cells[row]

    def _padded(self, row: int, rng: np.random.Generator) -> tuple[np.ndarray, list[str]]:
        """The parent as a 7-vertex cell: missing vertices unconnected before the output."""
        adjacency, ops = self._cell(row)
        size = len(ops)
        matrix = np.zeros((NB101_VERTICES, NB101_VERTICES), dtype=np.int64)
        old = list(range(size - 1)) + [NB101_VERTICES - 1]
        matrix[np.ix_(old, old)] = adjacency
        added = [CANONICAL_OPS[int(rng.random() * 3)] for _ in range(NB101_VERTICES - size)]
        return matrix, [INPUT, *ops[1:-1], *added, OUTPUT]

    def _child(self, row: int, u: float) -> int:
        rng = np.random.default_rng(int(u * 2**53))
        parent, parent_ops = self._padded(row, rng)
        spots = np.triu_indices(NB101_VERTICES, 1)
        for _ in range(NB101_MAX_TRIES):
            matrix, ops = parent.copy(), list(parent_ops)
            matrix[spots] ^= (rng.random(len(spots[0])) < NB101_EDGE_RATE).astype(np.int64)
            for vertex in range(1, NB101_VERTICES - 1):
                if rng.random() < NB101_OP_RATE:
                    others = [op for op in CANONICAL_OPS if op != ops[vertex]]
                    ops[vertex] = others[int(rng.random() * 2)]
            keep = kept_vertices(matrix)
            pruned = matrix[np.ix_(keep, keep)]
            if len(keep) < 2 or pruned.sum() > NB101_MAX_EDGES:
                continue
            child = self.row_of_hash.get(cell_hash(pruned.tolist(), [ops[v] for v in keep]))
            if child is not None:
                return child
        raise QueryError(f"no mutation of NB101 arch {self.tables.arch_strs[row]} in "
                         f"{NB101_MAX_TRIES:,} tries is a stored arch; is the NB101 ground truth "
                         f"complete?")

    def mutate(self, rows: np.ndarray, u: np.ndarray) -> np.ndarray:
        return np.array([self._child(int(r), float(v)) for r, v in zip(rows, u[:, 0])],
                        dtype=np.int64)


Mutation = DigitMutation | NB101Mutation


def mutation_for(tables: EvaluationTables) -> Mutation:
    """The mutation of ``tables.space``; a space without one is an error."""
    truth = ground_truth_space(tables.space)
    if truth == "nb201":
        codes = np.array([[NB201_OPS.index(op) for op in nb201_edges(s)] for s in tables.arch_strs],
                         dtype=np.int64).reshape(-1, NB201_EDGES)
        return DigitMutation.from_codes(codes, len(NB201_OPS), nb201=True)
    if truth == "nats-sss":
        codes = np.array([[SSS_CHANNELS.index(c) for c in sss_channels(s)]
                          for s in tables.arch_strs], dtype=np.int64).reshape(-1, SSS_LAYERS)
        return DigitMutation.from_codes(codes, len(SSS_CHANNELS), nb201=False)
    if truth == "nb101":
        return NB101Mutation.from_tables(tables)
    raise QueryError(f"space {tables.space!r} has no mutation; REA and AREA run on nb201, "
                     f"nats-sss and nb101")


def check_children(tables: EvaluationTables, parents: np.ndarray, children: np.ndarray) -> None:
    """Raise when a mutation left the searched space (an arch without its ground truth)."""
    lost = children < 0
    if lost.any():
        parent = int(parents[np.flatnonzero(lost)[0]])
        raise QueryError(
            f"a mutation of arch {tables.arch_ids[parent]} ({tables.arch_strs[parent]}) reached an "
            f"arch with no {tables.fitness_column.spec} ground truth or target accuracy; REA "
            f"needs every arch of space {tables.space!r} ingested")
