"""NAS-Bench-101 archs: the arch string is the module hash, the stored encoding the pruned cell
(``{"adjacency": ..., "ops": ...}``), and the mutation NAS-Bench-101's ``mutate_spec``.

Mutation: the one double ``u`` of the run's stream seeds the mutation's own generator
``default_rng(floor(u * 2**53))``, which then draws: an op for each vertex the stored (pruned)
parent lacks, re-added unconnected just before the output (the benchmark stores no unpruned
cell); then per try every edge spot of the 7-vertex matrix in row-major order flips with
probability 1/7 (``mutation_rate / NUM_VERTICES``) and each of the 5 interior ops, with
probability 1/5, becomes the ``floor(v * 2)``-th other op, until the pruned cell has a path, at
most 9 edges and a module hash in the table (at most 10,000 tries).

NASLib's key (REFERENCE-FACTS section 7) is ``tuple(matrix.flatten()) + tuple(op indices)``: the
7x7 upper-triangular adjacency row by row, then one index per vertex over ``input, output,
maxpool3x3, conv1x1-bn-relu, conv3x3-bn-relu`` (56 numbers).  NASLib's sampled keys are raw
specs with dangling vertices; pruning them gives the cell NAS-Bench-101 trained, named by its
module hash.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from naswot_db.core.nb101_cell import CANONICAL_OPS, INPUT, OUTPUT, cell_hash, kept_vertices

from naswot_db.core.naslib_keys import NaslibKeyError, parse_flat_key

from . import Encoding, EncodingError

VERTICES = 7
MAX_EDGES = 9
EDGE_RATE = 1 / VERTICES        # per edge spot, as NAS-Bench-101's mutate_spec
OP_RATE = 1 / (VERTICES - 2)    # per interior op
MAX_TRIES = 10_000
NASLIB_OPS = ("input", "output", "maxpool3x3", "conv1x1-bn-relu", "conv3x3-bn-relu")
NASLIB_KEY_LENGTH = VERTICES * VERTICES + VERTICES

Cell = tuple[np.ndarray, list[str]]


def parse_cell(encoding: str) -> Cell:
    """(adjacency, ops) of a stored pruned cell."""
    try:
        cell = json.loads(encoding)
        return np.array(cell["adjacency"], dtype=np.int64), list(cell["ops"])
    except (TypeError, ValueError, KeyError) as exc:
        raise EncodingError(f"{encoding!r} is not an NB101 cell encoding") from exc


def format_cell(cell: Cell) -> str:
    """The stored encoding of (adjacency, ops)."""
    adjacency, ops = cell
    return json.dumps({"adjacency": np.asarray(adjacency).tolist(), "ops": list(ops)})


@dataclass
class NB101Mutation:
    """NAS-Bench-101's mutation, one child at a time (its tries vary in number)."""

    arch_strs: Sequence[str]
    encodings: Sequence[str | None]
    row_of_hash: dict[str, int]
    draws: int = 1
    _cells: dict[int, Cell] = field(default_factory=dict)

    def _cell(self, row: int) -> Cell:
        """The stored pruned cell of ``row`` (parsed once)."""
        if row not in self._cells:
            self._cells[row] = parse_cell(self.encodings[row])
        return self._cells[row]

    def _padded(self, row: int, rng: np.random.Generator) -> Cell:
        """The parent as a 7-vertex cell: missing vertices unconnected before the output."""
        adjacency, ops = self._cell(row)
        size = len(ops)
        matrix = np.zeros((VERTICES, VERTICES), dtype=np.int64)
        old = list(range(size - 1)) + [VERTICES - 1]
        matrix[np.ix_(old, old)] = adjacency
        added = [CANONICAL_OPS[int(rng.random() * 3)] for _ in range(VERTICES - size)]
        return matrix, [INPUT, *ops[1:-1], *added, OUTPUT]

    def _child(self, row: int, u: float) -> int:
        rng = np.random.default_rng(int(u * 2**53))
        parent, parent_ops = self._padded(row, rng)
        spots = np.triu_indices(VERTICES, 1)
        for _ in range(MAX_TRIES):
            matrix, ops = parent.copy(), list(parent_ops)
            matrix[spots] ^= (rng.random(len(spots[0])) < EDGE_RATE).astype(np.int64)
            for vertex in range(1, VERTICES - 1):
                if rng.random() < OP_RATE:
                    others = [op for op in CANONICAL_OPS if op != ops[vertex]]
                    ops[vertex] = others[int(rng.random() * 2)]
            keep = kept_vertices(matrix)
            pruned = matrix[np.ix_(keep, keep)]
            if len(keep) < 2 or pruned.sum() > MAX_EDGES:
                continue
            child = self.row_of_hash.get(cell_hash(pruned.tolist(), [ops[v] for v in keep]))
            if child is not None:
                return child
        raise EncodingError(f"no mutation of NB101 arch {self.arch_strs[row]} in "
                            f"{MAX_TRIES:,} tries is a stored arch; is the NB101 ground truth "
                            f"complete?")

    def mutate(self, rows: np.ndarray, u: np.ndarray) -> np.ndarray:
        return np.array([self._child(int(r), float(v)) for r, v in zip(rows, u[:, 0])],
                        dtype=np.int64)


def mutation(arch_strs: Sequence[str], encodings: Sequence[str | None]) -> NB101Mutation:
    """The mutation over the searched archs (arch string = module hash)."""
    return NB101Mutation(arch_strs, encodings,
                         {arch_hash: row for row, arch_hash in enumerate(arch_strs)})


def naslib_key(encoding: str | None) -> str | None:
    """NASLib's NB101 spec tuple, as ``str(tuple)``, of an archs ``encoding`` (pruned cell), as
    NASLib builds it from the benchmark's hash (``convert_to_cell``): padded to 7 vertices, the
    output column moved last, unused vertices ``conv3x3-bn-relu`` without edges.  None for an
    arch stored without its cell."""
    if encoding is None:
        return None
    cell = json.loads(encoding)
    adjacency, ops = cell["adjacency"], cell["ops"]
    size = len(ops)
    padded = [[0] * VERTICES for _ in range(VERTICES)]
    for source in range(size):
        for target in range(size):
            column = target if target < size - 1 else VERTICES - 1
            padded[source][column] = int(adjacency[source][target])
    padded_ops = [*ops[:-1], *["conv3x3-bn-relu"] * (VERTICES - size), ops[-1]]
    return str(tuple([v for row in padded for v in row] + [NASLIB_OPS.index(op)
                                                            for op in padded_ops]))


def hash_of_naslib_tuple(key: tuple[int, ...]) -> str:
    """NAS-Bench-101's module hash of the cell NASLib's raw spec ``key`` prunes to."""
    if len(key) != NASLIB_KEY_LENGTH:
        raise NaslibKeyError(f"an NB101 key has {NASLIB_KEY_LENGTH} numbers, not {len(key)}")
    matrix = np.array(key[:VERTICES * VERTICES]).reshape(VERTICES, VERTICES)
    codes = key[VERTICES * VERTICES:]
    if (np.any(matrix > 1) or np.any(np.tril(matrix)) or max(codes) >= len(NASLIB_OPS)
            or codes[0] != 0 or codes[-1] != 1 or 0 in codes[1:] or 1 in codes[:-1]):
        raise NaslibKeyError(f"{key} is not an NB101 spec: 0/1 upper-triangular adjacency, "
                             "input first, output last, interior ops 2..4")
    kept = kept_vertices(matrix)
    if len(kept) < 2:
        raise NaslibKeyError(f"{key}: the cell has no path from input to output")
    pruned = matrix[np.ix_(kept, kept)].tolist()
    return cell_hash(pruned, [NASLIB_OPS[codes[v]] for v in kept])


def arch_of_naslib_key(text: str) -> str | None:
    """The module hash a NASLib NB101 key (56 numbers) names; None for a key of another shape."""
    numbers = parse_flat_key(text)
    if numbers is None or len(numbers) != NASLIB_KEY_LENGTH:
        return None
    return hash_of_naslib_tuple(numbers)


ENCODING = Encoding(parse=parse_cell, format=format_cell, mutation=mutation,
                    naslib_key=lambda _arch_str, encoding: naslib_key(encoding),
                    naslib_arch=arch_of_naslib_key)
