"""NAS-Bench-101 cells without torch: the op names, pruning and the module hash.

Shared by the builder (``builder/spaces/nb101/graph.py`` validates cells and builds networks)
and the query layer (REA's NB101 mutation looks children up by hash).  Pruning and hashing
follow NAS-Bench-101's ``ModelSpec`` and ``graph_util.hash_module``, so a cell given as any
(adjacency, ops) pair lands on the benchmark's own module hash.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

import numpy as np

INPUT = "input"
OUTPUT = "output"
CONV3X3 = "conv3x3-bn-relu"
CONV1X1 = "conv1x1-bn-relu"
MAXPOOL3X3 = "maxpool3x3"
# NAS-Bench-101's canonical op order: the hash labels interior vertices by index in it
CANONICAL_OPS = (CONV3X3, CONV1X1, MAXPOOL3X3)
_INPUT_LABEL = -1
_OUTPUT_LABEL = -2


def _reachable(matrix: np.ndarray, start: int) -> set[int]:
    seen = {start}
    frontier = [start]
    while frontier:
        vertex = frontier.pop()
        for target in np.flatnonzero(matrix[vertex]).tolist():
            if target not in seen:
                seen.add(target)
                frontier.append(target)
    return seen


def kept_vertices(matrix: np.ndarray) -> list[int]:
    """Vertices on some input->output path of an upper-triangular 0/1 matrix (ModelSpec keeps
    only these); fewer than two means the cell has no such path."""
    last = len(matrix) - 1
    from_input, to_output = _reachable(matrix, 0), _reachable(matrix.T, last)
    return [v for v in range(len(matrix)) if v in from_input and v in to_output]


def cell_hash(adjacency: Sequence[Sequence[int]], ops: Sequence[str]) -> str:
    """NAS-Bench-101's isomorphism-invariant module hash of a pruned cell (iterated md5 of
    vertex neighbourhoods).

    Neighbour lists are built once, so the enumeration of the whole space (423,624 cells)
    spends its time in md5, not in scanning the matrix.
    """
    size = len(ops)
    labels = [_INPUT_LABEL] + [CANONICAL_OPS.index(op) for op in ops[1:-1]] + [_OUTPUT_LABEL]
    sources = [[s for s in range(size) if adjacency[s][v]] for v in range(size)]
    targets = [[t for t in range(size) if adjacency[v][t]] for v in range(size)]
    hashes = [_md5(str((len(targets[v]), len(sources[v]), labels[v]))) for v in range(size)]
    for _ in range(size):
        hashes = [
            _md5("".join(sorted([hashes[s] for s in sources[v]])) + "|"
                 + "".join(sorted([hashes[t] for t in targets[v]])) + "|" + hashes[v])
            for v in range(size)
        ]
    return _md5(str(sorted(hashes)))


def _md5(text: str) -> str:
    return hashlib.md5(text.encode("utf-8")).hexdigest()
