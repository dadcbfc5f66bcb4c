"""NAS-Bench-201 / NATS-Bench cell strings: the one parser of ``|op~0|+|op~0|op~1|+...``.

The builder builds its cells from :func:`parse_genotype`, REA mutates :func:`edges` and NASLib's
keys are computed from :func:`edges` too.  The NB201 cell has three intermediate nodes; node k
reads every earlier node, so its six edges in order are 1<-0, 2<-0, 2<-1, 3<-0, 3<-1, 3<-2.

NASLib's key (``str(arch.get_hash())``, REFERENCE-FACTS section 7) is the tuple of the 6 edges'
op indices over NASLib's op list (``skip_connect, none, nor_conv_3x3, nor_conv_1x1,
avg_pool_3x3``) in NASLib's edge order (1,2),(1,3),(1,4),(2,3),(2,4),(3,4), node 1 being the
cell input.

Mutation as NAS-Bench-201's REA (``mutate_topology_func``): a random node (``floor(u0 * 3)`` ->
node 1..3), a random incoming edge (``floor(u1 * node)``) and a *different* operation on it:
the ``floor(u2 * 4)``-th of the four other operations in :data:`OPS` order.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence

from naswot_db.core.naslib_keys import NaslibKeyError, parse_flat_key

from . import Encoding, EncodingError
from .digits import digit_mutation

# NAS-Bench-201's operations, in its order (the benchmark's arch enumeration and REA use it)
OPS = ("none", "skip_connect", "nor_conv_1x1", "nor_conv_3x3", "avg_pool_3x3")
NODES = 3  # intermediate nodes 1..3; node k has k incoming edges
EDGES = NODES * (NODES + 1) // 2
NASLIB_OPS = ("skip_connect", "none", "nor_conv_3x3", "nor_conv_1x1", "avg_pool_3x3")
NASLIB_EDGES = ((1, 2), (1, 3), (1, 4), (2, 3), (2, 4), (3, 4))

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


def _position(source: int, target: int) -> int:
    """Where NASLib's edge (source, target), nodes counted from 1, is in :func:`edges` order."""
    return (target - 1) * (target - 2) // 2 + source - 1


def naslib_key(arch_str: str) -> str:
    """NASLib's NB201 key, as ``str(tuple)``, of an arch string."""
    ops = edges(arch_str)
    return str(tuple(NASLIB_OPS.index(ops[_position(source, target)])
                     for source, target in NASLIB_EDGES))


def arch_of_naslib_tuple(key: tuple[int, ...]) -> str:
    """The arch string of NASLib's NB201 op-index tuple (inverse of :func:`naslib_key`)."""
    if len(key) != len(NASLIB_EDGES) or not all(0 <= op < len(NASLIB_OPS) for op in key):
        raise NaslibKeyError(f"{key} is not an NB201 key: 6 op indices in "
                             f"0..{len(NASLIB_OPS) - 1}")
    ops = [""] * len(NASLIB_EDGES)
    for (source, target), op in zip(NASLIB_EDGES, key):
        ops[_position(source, target)] = NASLIB_OPS[op]
    return format_edges(ops)


def arch_of_naslib_key(text: str) -> str | None:
    """The arch string a NASLib NB201 key names (its op-index tuple, or an arch string as some
    files key by); None for a key of another shape."""
    if text.startswith("|"):
        return text
    numbers = parse_flat_key(text)
    if numbers is None or len(numbers) != len(NASLIB_EDGES):
        return None
    return arch_of_naslib_tuple(numbers)


mutation = digit_mutation(digits, EDGES, len(OPS), different=True, nodes=NODES)
ENCODING = Encoding(parse=edges, format=format_edges, mutation=mutation,
                    naslib_key=lambda arch_str, _encoding: naslib_key(arch_str),
                    naslib_arch=arch_of_naslib_key)
