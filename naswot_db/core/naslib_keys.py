"""NASLib's arch keys (``str(arch.get_hash())``, the keys of its ``zc_*.json`` files), both ways.

Torch-free and shared by the NASLib export (our archs -> NASLib keys) and the ingest of
published proxy values (NASLib keys -> our archs):

- NB201: the tuple of 6 op indices over NASLib's op list (``skip_connect, none, nor_conv_3x3,
  nor_conv_1x1, avg_pool_3x3``) in NASLib's edge order (1,2),(1,3),(1,4),(2,3),(2,4),(3,4),
  where node 1 is the cell input (NATS's string lists the same edges by target node, parsed by
  :mod:`naswot_db.core.encodings.nb201`);
  REFERENCE-FACTS section 7.
- NB101: ``tuple(matrix.flatten()) + tuple(op indices)``: the 7x7 upper-triangular adjacency
  row by row, then one index per vertex over ``input, output, maxpool3x3, conv1x1-bn-relu,
  conv3x3-bn-relu`` (56 numbers).  NASLib's sampled keys are raw specs with dangling vertices;
  pruning them gives the cell NAS-Bench-101 trained, named by its module hash.
"""

from __future__ import annotations

import json
import re

import numpy as np

from naswot_db.core.encodings import nb201
from naswot_db.core.errors import NaswotDbError
from naswot_db.core.nb101_cell import cell_hash, kept_vertices

NB201_OPS = ("skip_connect", "none", "nor_conv_3x3", "nor_conv_1x1", "avg_pool_3x3")
NB201_EDGES = ((1, 2), (1, 3), (1, 4), (2, 3), (2, 4), (3, 4))
NB101_OPS = ("input", "output", "maxpool3x3", "conv1x1-bn-relu", "conv3x3-bn-relu")
NB101_VERTICES = 7
NB101_KEY_LENGTH = NB101_VERTICES * NB101_VERTICES + NB101_VERTICES
_FLAT_TUPLE = re.compile(r"^\(\s*\d+\s*(,\s*\d+\s*)*,?\s*\)$")


class NaslibKeyError(NaswotDbError):
    """A key that is not one of NASLib's arch encodings."""


def _position(source: int, target: int) -> int:
    """Where NASLib's edge (source, target), nodes counted from 1, is in NATS's edge order."""
    return (target - 1) * (target - 2) // 2 + source - 1


def nb201_key(arch_str: str) -> str:
    """NASLib's NB201 key, as ``str(tuple)``, of a NATS arch string."""
    ops = nb201.edges(arch_str)
    return str(tuple(NB201_OPS.index(ops[_position(source, target)])
                     for source, target in NB201_EDGES))


def nb201_arch_str(key: tuple[int, ...]) -> str:
    """The NATS arch string of NASLib's NB201 op-index tuple (inverse of :func:`nb201_key`)."""
    if len(key) != len(NB201_EDGES) or not all(0 <= op < len(NB201_OPS) for op in key):
        raise NaslibKeyError(f"{key} is not an NB201 key: 6 op indices in 0..{len(NB201_OPS) - 1}")
    ops = [""] * len(NB201_EDGES)
    for (source, target), op in zip(NB201_EDGES, key):
        ops[_position(source, target)] = NB201_OPS[op]
    return nb201.format_edges(ops)


def nb201_arch_of_key(text: str) -> str | None:
    """The NATS arch string a NASLib NB201 key names (its op-index tuple, or an arch string
    as some files key by); None for a key of another shape."""
    if text.startswith("|"):
        return text
    numbers = parse_flat_key(text)
    if numbers is None or len(numbers) != len(NB201_EDGES):
        return None
    return nb201_arch_str(numbers)


def nb101_key(encoding: str) -> str:
    """NASLib's NB101 spec tuple, as ``str(tuple)``, of an archs ``encoding`` (pruned cell), as
    NASLib builds it from the benchmark's hash (``convert_to_cell``): padded to 7 vertices, the
    output column moved last, unused vertices ``conv3x3-bn-relu`` without edges."""
    cell = json.loads(encoding)
    adjacency, ops = cell["adjacency"], cell["ops"]
    size = len(ops)
    padded = [[0] * NB101_VERTICES for _ in range(NB101_VERTICES)]
    for source in range(size):
        for target in range(size):
            column = target if target < size - 1 else NB101_VERTICES - 1
            padded[source][column] = int(adjacency[source][target])
    padded_ops = [*ops[:-1], *["conv3x3-bn-relu"] * (NB101_VERTICES - size), ops[-1]]
    return str(tuple([v for row in padded for v in row] + [NB101_OPS.index(op)
                                                            for op in padded_ops]))


def nb101_module_hash(key: tuple[int, ...]) -> str:
    """NAS-Bench-101's module hash of the cell NASLib's raw spec ``key`` prunes to."""
    if len(key) != NB101_KEY_LENGTH:
        raise NaslibKeyError(f"an NB101 key has {NB101_KEY_LENGTH} numbers, not {len(key)}")
    matrix = np.array(key[:NB101_VERTICES * NB101_VERTICES]).reshape(NB101_VERTICES,
                                                                       NB101_VERTICES)
    codes = key[NB101_VERTICES * NB101_VERTICES:]
    if (np.any(matrix > 1) or np.any(np.tril(matrix)) or max(codes) >= len(NB101_OPS)
            or codes[0] != 0 or codes[-1] != 1 or 0 in codes[1:] or 1 in codes[:-1]):
        raise NaslibKeyError(f"{key} is not an NB101 spec: 0/1 upper-triangular adjacency, "
                             "input first, output last, interior ops 2..4")
    kept = kept_vertices(matrix)
    if len(kept) < 2:
        raise NaslibKeyError(f"{key}: the cell has no path from input to output")
    pruned = matrix[np.ix_(kept, kept)].tolist()
    return cell_hash(pruned, [NB101_OPS[codes[v]] for v in kept])


def nb101_arch_of_key(text: str) -> str | None:
    """The module hash a NASLib NB101 key (56 numbers) names; None for a key of another shape."""
    numbers = parse_flat_key(text)
    if numbers is None or len(numbers) != NB101_KEY_LENGTH:
        return None
    return nb101_module_hash(numbers)


def parse_flat_key(text: str) -> tuple[int, ...] | None:
    """``"(0, 1, 2)"`` as a tuple of ints; None for any other text (an arch string, NB301's
    nested tuples).  Parsed by pattern, never evaluated."""
    if not _FLAT_TUPLE.match(text.strip()):
        return None
    return tuple(int(part) for part in text.strip()[1:-1].split(",") if part.strip())
