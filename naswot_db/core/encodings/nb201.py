"""NAS-Bench-201 / NATS-Bench cell strings: the one parser of ``|op~0|+|op~0|op~1|+...``.

The builder builds its cells from :func:`parse_genotype`, REA mutates :func:`edges` and NASLib's
keys are computed from :func:`edges` too.  The NB201 cell has three intermediate nodes; node k
reads every earlier node, so its six edges in order are 1<-0, 2<-0, 2<-1, 3<-0, 3<-1, 3<-2.

Mutation as NAS-Bench-201's REA (``mutate_topology_func``): a random node (``floor(u0 * 3)`` ->
node 1..3), a random incoming edge (``floor(u1 * node)``) and a *different* operation on it:
the ``floor(u2 * 4)``-th of the four other operations in :data:`OPS` order.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence

from . import EncodingError
from .digits import digit_mutation

# NAS-Bench-201's operations, in its order (the benchmark's arch enumeration and REA use it)
OPS = ("none", "skip_connect", "nor_conv_1x1", "nor_conv_3x3", "avg_pool_3x3")
NODES = 3  # intermediate nodes 1..3; node k has k incoming edges
EDGES = NODES * (NODES + 1) // 2

Genotype = list[list[tuple[str, int]]]


def parse_genotype(arch_str: str, ops: Collection[str] = OPS) -> Genotype:
    """``|op~0|+|op~0|op~1|`` -> [[(op, 0)], [(op, 0), (op, 1)]], any number of nodes, each op
    one of ``ops`` (a builder with more operations passes its own)."""
    nodes: Genotype = []
    for node_str in arch_str.split("+"):
        inputs = []
        for edge in filter(None, node_str.split("|")):
            op, sep, source = edge.partition("~")
            if not sep or op not in ops or not source.isdigit():
                raise EncodingError(f"invalid edge {edge!r} in arch string {arch_str!r}")
            inputs.append((op, int(source)))
        nodes.append(inputs)
    return nodes


def edges(arch_str: str) -> tuple[str, ...]:
    """The operations of the NB201 cell's six edges in order; anything else is an error."""
    ops = [""] * EDGES
    try:
        genotype = parse_genotype(arch_str)
    except EncodingError:
        genotype = []
    if len(genotype) != NODES:
        raise EncodingError(f"{arch_str!r} is not an NB201 cell string")
    for node, inputs in enumerate(genotype, start=1):
        for op, source in inputs:
            if source >= node:
                raise EncodingError(f"{arch_str!r} is not an NB201 cell string")
            ops[node * (node - 1) // 2 + source] = op
    if "" in ops:
        raise EncodingError(f"{arch_str!r} is not an NB201 cell string")
    return tuple(ops)


def format_edges(ops: Sequence[str]) -> str:
    """The arch string of six edge operations in :func:`edges` order."""
    if len(ops) != EDGES or not set(ops) <= set(OPS):
        raise EncodingError(f"{list(ops)} are not six NB201 operations")
    return "+".join("|" + "".join(f"{ops[node * (node - 1) // 2 + source]}~{source}|"
                                  for source in range(node))
                    for node in range(1, NODES + 1))


def digits(arch_str: str) -> tuple[int, ...]:
    """Each edge's operation as its index in :data:`OPS`."""
    return tuple(OPS.index(op) for op in edges(arch_str))


mutation = digit_mutation(digits, EDGES, len(OPS), different=True, nodes=NODES)
