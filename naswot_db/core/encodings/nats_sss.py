"""NATS-Bench size-space arch strings ``c0:c1:c2:c3:c4``: the one list of channel counts.

Arch ids are the benchmark's indices: ``itertools.product`` order over the five positions'
candidates, last position fastest (``index = sum_k pos(c_k) * 8^(4 - k)``).

Mutation as NATS-Bench's REA (``mutate_size_func``): a random layer (``floor(u0 * 5)``) gets the
``floor(u1 * 8)``-th of the 8 channel counts; the draw may return the current count, so a child
can equal its parent.
"""

from __future__ import annotations

from collections.abc import Sequence

from . import Encoding, EncodingError
from .digits import digit_mutation

CHANNELS = (8, 16, 24, 32, 40, 48, 56, 64)
LAYERS = 5
ARCH_COUNT = len(CHANNELS) ** LAYERS


def parse_channels(arch_str: str) -> tuple[int, ...]:
    """The five channel counts of ``8:16:24:32:64``."""
    parts = arch_str.split(":")
    if len(parts) != LAYERS or not all(p.isdigit() and int(p) in CHANNELS for p in parts):
        raise EncodingError(f"{arch_str!r} is not a NATS-sss arch string: expected {LAYERS} "
                            f"channel counts from {CHANNELS} joined by ':'")
    return tuple(int(p) for p in parts)


def format_channels(channels: Sequence[int]) -> str:
    return ":".join(str(c) for c in channels)


def channels_of(index: int) -> tuple[int, ...]:
    """The five channel counts of arch ``index`` (base-8 digits, most significant first)."""
    found = []
    for _ in range(LAYERS):
        index, digit = divmod(index, len(CHANNELS))
        found.append(CHANNELS[digit])
    return tuple(reversed(found))


def index_of(channels: Sequence[int]) -> int:
    """The benchmark index of a channel configuration."""
    index = 0
    for channel in channels:
        index = index * len(CHANNELS) + CHANNELS.index(channel)
    return index


def digits(arch_str: str) -> tuple[int, ...]:
    """Each layer's channel count as its index in :data:`CHANNELS`."""
    return tuple(CHANNELS.index(c) for c in parse_channels(arch_str))


mutation = digit_mutation(digits, LAYERS, len(CHANNELS), different=False)
ENCODING = Encoding(parse=parse_channels, format=format_channels, mutation=mutation)
