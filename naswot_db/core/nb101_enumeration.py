"""The NAS-Bench-101 space from its rules: every cell, enumerated, merged and hashed.

NAS-Bench-101's ``generate_graphs.py`` walks every vertex count ``n`` in 2..7, every bit string
of the ``n (n - 1) / 2`` upper-triangular entries (edge ``(x, y)`` is bit ``y (y - 1) / 2 + x``),
keeps the "full" DAGs (every vertex on an input->output path) with at most 9 edges, labels the
interior vertices in ``itertools.product`` order, and keeps the first (matrix, labels) it meets
per module hash: that pair is the cell the benchmark trained and stores.  Hashing every labelled
graph that way is hours of md5 in Python, so this module gets the same cells in seconds:

1. NumPy tests all bit strings of a vertex count at once (edge count first, then fullness);
2. each surviving matrix gets its canonical code, the smallest adjacency code over all
   permutations of its interior vertices (input and output are the only source and sink of a
   full DAG, so isomorphisms fix them), and the permutations that reach it;
3. a labelled graph's isomorphism class is then (canonical code, the smallest label code over
   those permutations), computed for all labellings of a matrix at once;
4. the first (vertex count, bits, labelling) of each class in the benchmark's walk order is its
   cell, and only those cells are hashed, once each (:func:`naswot_db.core.nb101_cell.cell_hash`).

Torch-free: ``tools/make_shipped_nb101.py`` and the tests call it; ``bench/nb101_enumeration.py``
times it.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np

from naswot_db.core.nb101_cell import CANONICAL_OPS, INPUT, OUTPUT, cell_hash

MAX_VERTICES = 7
MAX_EDGES = 9
SPACE_SIZE = 423_624  # unique module hashes of the benchmark (Ying et al. 2019)


@dataclass(frozen=True)
class Enumeration:
    """Every unique NB101 cell, one row per module hash, in ascending hash order.

    ``bits`` is the cell's adjacency in the benchmark's bit order and ``labels`` its interior ops
    as base-3 digits (index into :data:`CANONICAL_OPS`, the first interior vertex most
    significant): together with ``vertices`` they are the exact cell the benchmark stores.
    ``graphs`` counts the labelled graphs the walk meets, isomorphic copies included.
    """

    hashes: np.ndarray      # str, 32 hex digits, ascending
    vertices: np.ndarray    # int8
    bits: np.ndarray        # int32
    labels: np.ndarray      # int16
    graphs: int

    def __len__(self) -> int:
        return len(self.hashes)

    def cell(self, index: int) -> tuple[list[list[int]], list[str]]:
        """(adjacency, ops) of the ``index``-th cell."""
        return cell_from_code(int(self.vertices[index]), int(self.bits[index]),
                              int(self.labels[index]))


def _edge_positions(n: int) -> list[tuple[int, int]]:
    """(x, y) of bit k: bits fill the upper triangle column by column, from the lowest bit."""
    return [(x, y) for y in range(n) for x in range(y)]


def cell_from_code(vertices: int, bits: int, labels: int) -> tuple[list[list[int]], list[str]]:
    """The (adjacency, ops) pair that (vertex count, bit string, label code) stands for."""
    adjacency = [[0] * vertices for _ in range(vertices)]
    for k, (x, y) in enumerate(_edge_positions(vertices)):
        adjacency[x][y] = (bits >> k) & 1
    interior = vertices - 2
    digits = [(labels // 3 ** (interior - 1 - i)) % 3 for i in range(interior)]
    return adjacency, [INPUT] + [CANONICAL_OPS[d] for d in digits] + [OUTPUT]


def _full_dags(n: int) -> tuple[np.ndarray, np.ndarray]:
    """Bit strings of the full n-vertex DAGs with at most MAX_EDGES edges, and their matrices."""
    positions = _edge_positions(n)
    bits = np.arange(2 ** len(positions), dtype=np.int64)
    edges = ((bits[:, None] >> np.arange(len(positions))) & 1).astype(bool)
    keep = edges.sum(axis=1) <= MAX_EDGES
    bits, edges = bits[keep], edges[keep]
    matrices = np.zeros((len(bits), n, n), dtype=bool)
    for k, (x, y) in enumerate(positions):
        matrices[:, x, y] = edges[:, k]
    has_out = matrices[:, :n - 1, :].any(axis=2).all(axis=1)
    has_in = matrices[:, :, 1:].any(axis=1).all(axis=1)
    full = has_out & has_in
    return bits[full], matrices[full]


def _interior_permutations(n: int) -> np.ndarray:
    """Every vertex permutation fixing input (0) and output (n - 1), shape (P, n)."""
    return np.array([(0, *p, n - 1) for p in itertools.permutations(range(1, n - 1))],
                    dtype=np.int64)


def _labelled_classes(n: int, matrices: np.ndarray) -> np.ndarray:
    """Isomorphism-class key of every (matrix, labelling) pair, shape (matrices, 3^(n-2)).

    Key = (n, smallest adjacency code over interior permutations, smallest label code over the
    permutations that reach that adjacency code), packed into one int64.
    """
    perms = _interior_permutations(n)
    weights = (np.int64(1) << np.arange(n * n, dtype=np.int64)).reshape(n, n)
    # code of the matrix relabelled by p: vertex i becomes p[i], so entry (p[i], p[j]) = A[i, j]
    codes = np.stack([(matrices * weights[np.ix_(p, p)]).sum(axis=(1, 2)) for p in perms])
    canonical = codes.min(axis=0)
    reaching = codes == canonical  # (P, M): permutations giving the canonical matrix
    interior = n - 2
    count = 3 ** interior
    digits = np.array([[(t // 3 ** (interior - 1 - i)) % 3 for i in range(interior)]
                       for t in range(count)], dtype=np.int64).reshape(count, interior)
    place = 3 ** np.arange(interior - 1, -1, -1, dtype=np.int64)
    # label code after relabelling by p: new vertex p[i] carries old vertex i's label
    perm_label_codes = np.stack([(digits * place[p[1:n - 1] - 1]).sum(axis=1) for p in perms])
    first = reaching.argmax(axis=0)
    best = perm_label_codes[first]  # (M, L)
    several = np.flatnonzero(reaching.sum(axis=0) > 1)
    for perm in range(len(perms)):
        rows = several[reaching[perm, several]]
        if len(rows):
            best[rows] = np.minimum(best[rows], perm_label_codes[perm][None, :])
    return ((np.int64(n) << 52) | (canonical[:, None] << 8) | best)


def enumerate_nb101(max_vertices: int = MAX_VERTICES) -> Enumeration:
    """All unique NB101 cells as the benchmark stores them, in ascending module-hash order
    (``max_vertices`` below 7 gives the cells of at most that many vertices, for tests)."""
    keys, vertex_counts, bit_strings, label_codes = [], [], [], []
    for n in range(2, max_vertices + 1):
        bits, matrices = _full_dags(n)
        classes = _labelled_classes(n, matrices)  # walk order: bits, then labelling
        keys.append(classes.ravel())
        vertex_counts.append(np.full(classes.size, n, dtype=np.int8))
        bit_strings.append(np.repeat(bits, classes.shape[1]).astype(np.int32))
        label_codes.append(np.tile(np.arange(classes.shape[1], dtype=np.int16), len(bits)))
    all_keys = np.concatenate(keys)
    _, first = np.unique(all_keys, return_index=True)  # the first pair of each class met
    first.sort()
    vertices = np.concatenate(vertex_counts)[first]
    bits = np.concatenate(bit_strings)[first]
    labels = np.concatenate(label_codes)[first]
    hashes = np.array([cell_hash(*cell_from_code(int(v), int(b), int(lab)))
                       for v, b, lab in zip(vertices, bits, labels)])
    order = np.argsort(hashes, kind="stable")
    return Enumeration(hashes=hashes[order], vertices=vertices[order], bits=bits[order],
                       labels=labels[order], graphs=len(all_keys))
