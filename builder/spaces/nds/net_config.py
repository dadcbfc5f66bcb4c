"""The ``net`` object of an NDS entry: validated and turned into a model description.

An entry's net is either a NAS-cell net (``genotype``, ``width``, ``depth``, ``aux``,
``drop_prob``) or an AnyNet (``block_type``, ``ds``, ``ws``, ``ss``, ``bot_muls``, ``num_gs``).
Validation happens here so that a malformed entry fails at ingest, naming the problem, rather
than deep inside model construction.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping

from .anynet import BLOCKS, AnyNetConfig
from .nas_networks import Genotype
from .nas_ops import NAS_OPS


@dataclass(frozen=True)
class NasNetConfig:
    """A NAS-cell network; ``drop_prob`` is ignored (NASWOT sets drop-path to 0)."""

    genotype: Genotype
    width: int
    depth: int
    aux: bool


NetConfig = NasNetConfig | AnyNetConfig


def _positive_int(value: Any, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"{what} must be a positive integer, got {value!r}")
    return value


def _int_list(value: Any, what: str, minimum: int = 1) -> tuple[int, ...]:
    if not isinstance(value, list) or not value:
        raise ValueError(f"{what} must be a non-empty list, got {value!r}")
    for item in value:
        if isinstance(item, bool) or not isinstance(item, int) or item < minimum:
            raise ValueError(f"{what} must hold integers >= {minimum}, got {value!r}")
    return tuple(value)


def _cell(genotype: Mapping, kind: str) -> tuple[tuple[tuple[str, int], ...], tuple[int, ...]]:
    pairs, concat = genotype.get(kind), genotype.get(f"{kind}_concat")
    if not isinstance(pairs, list) or not pairs or len(pairs) % 2:
        raise ValueError(f"genotype.{kind} must be a non-empty list of [op, input] pairs, "
                         f"two per node, got {pairs!r}")
    parsed = []
    for position, pair in enumerate(pairs):
        node = position // 2
        if (not isinstance(pair, list) or len(pair) != 2 or not isinstance(pair[0], str)
                or isinstance(pair[1], bool) or not isinstance(pair[1], int)):
            raise ValueError(f"genotype.{kind}[{position}] must be [op, input index], got {pair!r}")
        op, source = pair
        if op not in NAS_OPS:
            raise ValueError(f"genotype.{kind}[{position}]: unknown op {op!r}")
        if not 0 <= source < node + 2:
            raise ValueError(f"genotype.{kind}[{position}]: input {source} does not exist "
                             f"before node {node + 2}")
        parsed.append((op, source))
    states = len(pairs) // 2 + 2
    concat_ids = _int_list(concat, f"genotype.{kind}_concat", minimum=0)
    if max(concat_ids) >= states:
        raise ValueError(f"genotype.{kind}_concat {concat!r} names a state beyond {states - 1}")
    return tuple(parsed), concat_ids


def _nas_net(net: Mapping) -> NasNetConfig:
    genotype = net["genotype"]
    if not isinstance(genotype, Mapping):
        raise ValueError(f"genotype must be an object, got {genotype!r}")
    normal, normal_concat = _cell(genotype, "normal")
    reduce, reduce_concat = _cell(genotype, "reduce")
    aux = net.get("aux", False)
    if not isinstance(aux, bool):
        raise ValueError(f"aux must be true or false, got {aux!r}")
    return NasNetConfig(Genotype(normal, normal_concat, reduce, reduce_concat),
                        width=_positive_int(net.get("width"), "width"),
                        depth=_positive_int(net.get("depth"), "depth"), aux=aux)


def _optional_list(net: Mapping, names: tuple[str, str], stages: int) -> tuple:
    """``bot_muls``/``num_gs`` (or NASWOT's renamed ``bms``/``gws``): empty or one per stage."""
    value = next((net[name] for name in names if name in net), [])
    if value is None:
        value = []
    if not isinstance(value, list) or (value and len(value) != stages):
        raise ValueError(f"{names[0]} must be empty or hold one value per stage ({stages}), "
                         f"got {value!r}")
    for item in value:
        if isinstance(item, bool) or not isinstance(item, (int, float)) or item <= 0:
            raise ValueError(f"{names[0]} must hold positive numbers, got {value!r}")
    return tuple(value)


def _anynet(net: Mapping) -> AnyNetConfig:
    block_type = net["block_type"]
    if block_type not in BLOCKS:
        raise ValueError(f"unknown block_type {block_type!r}; known: {', '.join(BLOCKS)}")
    ds = _int_list(net.get("ds"), "ds")
    ws = _int_list(net.get("ws"), "ws")
    ss = _int_list(net.get("ss"), "ss")
    if not len(ds) == len(ws) == len(ss):
        raise ValueError(f"ds, ws and ss must have one value per stage, got {ds}, {ws}, {ss}")
    return AnyNetConfig(block_type, ds, ws, ss,
                        bms=_optional_list(net, ("bot_muls", "bms"), len(ds)),
                        gws=_optional_list(net, ("num_gs", "gws"), len(ds)))


def parse_net(net: Any) -> NetConfig:
    """The model description of an NDS ``net`` object; ValueError says what is wrong."""
    if not isinstance(net, Mapping):
        raise ValueError(f"net must be an object, got {type(net).__name__}")
    if "genotype" in net:
        return _nas_net(net)
    if "block_type" in net:
        return _anynet(net)
    raise ValueError("net has neither a genotype (NAS cell) nor a block_type (AnyNet)")
