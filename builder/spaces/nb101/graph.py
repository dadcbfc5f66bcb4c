"""NAS-Bench-101 cell graphs: validation, pruning, module hashing and channel counts.

Pruning and hashing (torch-free, in :mod:`naswot_db.core.nb101_cell`, which the query layer shares)
follow NAS-Bench-101's ``ModelSpec`` and ``graph_util.hash_module``, so a cell given as any
(adjacency, ops) pair lands on the benchmark's own module hash, and the channel split follows
the reference NASWOT port (``ComputeVertexChannels``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import numpy as np

from naswot_db.core.nb101_cell import (
    CANONICAL_OPS, CONV1X1, CONV3X3, INPUT, MAXPOOL3X3, OUTPUT, cell_hash, kept_vertices,
)

from ..base import SpaceError

__all__ = ["CANONICAL_OPS", "CONV1X1", "CONV3X3", "CellSpec", "INPUT", "MAXPOOL3X3", "OUTPUT",
           "encoding_json", "module_hash", "pruned_spec", "reference_raises", "spec_from_encoding",
           "spec_from_record", "vertex_channels"]


@dataclass(frozen=True)
class CellSpec:
    """A pruned cell: strictly upper-triangular 0/1 adjacency and one op per vertex."""

    adjacency: tuple[tuple[int, ...], ...]
    ops: tuple[str, ...]

    @property
    def num_vertices(self) -> int:
        return len(self.ops)

    @property
    def output(self) -> int:
        return len(self.ops) - 1

    def edge(self, source: int, target: int) -> bool:
        return bool(self.adjacency[source][target])

    def output_feeders(self) -> list[int]:
        """Interior vertices with an edge to the output, in vertex order."""
        return [v for v in range(1, self.output) if self.edge(v, self.output)]

    def as_lists(self) -> tuple[list[list[int]], list[str]]:
        return [list(row) for row in self.adjacency], list(self.ops)


def _check_ops(ops: list[str]) -> None:
    if len(ops) < 2 or ops[0] != INPUT or ops[-1] != OUTPUT:
        raise SpaceError(f"NB101 ops must start with {INPUT!r} and end with {OUTPUT!r}: {ops}")
    unknown = [op for op in ops[1:-1] if op not in CANONICAL_OPS]
    if unknown:
        raise SpaceError(f"unknown NB101 ops {unknown}; known: {', '.join(CANONICAL_OPS)}")


def _validated(adjacency: object, ops: object) -> tuple[np.ndarray, list[str]]:
    matrix = np.asarray(adjacency)
    ops = list(ops)  # type: ignore[call-overload]
    if matrix.ndim != 2 or matrix.shape[0] != matrix.shape[1]:
        raise SpaceError(f"NB101 adjacency must be a square matrix, got shape {matrix.shape}")
    if matrix.shape[0] != len(ops):
        raise SpaceError(f"NB101 cell has {matrix.shape[0]} vertices but {len(ops)} ops")
    _check_ops(ops)
    if not ((matrix == 0) | (matrix == 1)).all():
        raise SpaceError("NB101 adjacency entries must be 0 or 1")
    if np.tril(matrix).any():
        raise SpaceError("NB101 adjacency must be strictly upper triangular (a DAG in vertex order)")
    return matrix.astype(np.int64), ops


def pruned_spec(adjacency: object, ops: object) -> CellSpec:
    """The cell as NAS-Bench-101's ModelSpec prunes it: vertices off every input->output path go."""
    matrix, ops = _validated(adjacency, ops)
    keep = kept_vertices(matrix)
    if len(keep) < 2:
        raise SpaceError("NB101 cell has no path from input to output")
    kept = matrix[np.ix_(keep, keep)]
    return CellSpec(tuple(tuple(int(e) for e in row) for row in kept),
                    tuple(ops[v] for v in keep))


def spec_from_record(raw_adjacency: str, raw_ops: str) -> CellSpec:
    """The (already pruned) cell of a NAS-Bench-101 record: '0'/'1' string and comma-joined ops.

    Checked with string operations only: ingest calls this once per hash, 423,624 times.
    """
    ops = raw_ops.split(",")
    size = len(ops)
    if len(raw_adjacency) != size * size or raw_adjacency.strip("01"):
        raise SpaceError(f"adjacency {raw_adjacency!r} is not a {size}x{size} 0/1 matrix")
    rows = [raw_adjacency[i * size:(i + 1) * size] for i in range(size)]
    if any("1" in row[:i + 1] for i, row in enumerate(rows)):
        raise SpaceError(f"adjacency {raw_adjacency!r} is not strictly upper triangular")
    _check_ops(ops)
    return CellSpec(tuple(tuple(map(int, row)) for row in rows), tuple(ops))


def module_hash(spec: CellSpec) -> str:
    """NAS-Bench-101's isomorphism-invariant module hash (iterated md5 of vertex neighbourhoods)."""
    return cell_hash(spec.adjacency, spec.ops)


def encoding_json(module_hash_value: str, spec: CellSpec) -> str:
    """The archs table's ``encoding`` column: hash, pruned adjacency and ops as JSON."""
    adjacency, ops = spec.as_lists()
    return json.dumps({"module_hash": module_hash_value, "adjacency": adjacency, "ops": ops},
                      separators=(",", ":"))


def spec_from_encoding(encoding: str) -> CellSpec:
    """Inverse of :func:`encoding_json` (the stored cell is already pruned)."""
    data = json.loads(encoding)
    matrix, ops = _validated(data["adjacency"], data["ops"])
    return CellSpec(tuple(tuple(int(e) for e in row) for row in matrix), tuple(ops))


def vertex_channels(spec: CellSpec, in_channels: int, out_channels: int) -> list[int]:
    """Channels of every vertex: the output's channels split over its interior feeders.

    Feeders get ``out // k`` each, the first ``out % k`` one more; other interior vertices,
    walked backward, take the largest channel count among their interior successors.
    """
    last = spec.output
    channels = [0] * spec.num_vertices
    channels[0], channels[last] = in_channels, out_channels
    feeders = spec.output_feeders()
    if not feeders:
        return channels
    share, extra = divmod(out_channels, len(feeders))
    for rank, vertex in enumerate(feeders):
        channels[vertex] = share + (1 if rank < extra else 0)
    for vertex in range(last - 1, 0, -1):
        if not spec.edge(vertex, last):
            channels[vertex] = max(channels[t] for t in range(vertex + 1, last)
                                   if spec.edge(vertex, t))
    return channels


def reference_raises(spec: CellSpec) -> bool:
    """True when the reference's in-place ``outputs += projection`` hits a ReLU output.

    That happens when exactly one interior vertex feeds the output, it is a convolution (its
    last module is a ReLU, whose backward needs its output) and the input feeds the output too.
    """
    feeders = spec.output_feeders()
    return (len(feeders) == 1 and spec.ops[feeders[0]] != MAXPOOL3X3
            and spec.edge(0, spec.output))
