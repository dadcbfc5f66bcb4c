"""Writes small NAS-Bench-101 TFRecord files in the real format, independently of naswot_db.

Everything here is written from the format descriptions (TFRecord framing with masked CRC32C,
the JSON payload, the ModelMetrics protobuf wire format) with its own bit-by-bit CRC and its
own protobuf encoder, so reading these files back tests our reader against the format rather
than against itself.
"""

from __future__ import annotations

import base64
import json
import struct
from dataclasses import dataclass, field
from pathlib import Path

# (module hash, pruned adjacency, ops) of real NAS-Bench-101 cells (golden-scores.json)
CELLS = [
    ("e881285c80421660c189fd3c595724e3",
     [[0, 1, 1, 1, 1, 1], [0, 0, 0, 0, 0, 1], [0, 0, 0, 0, 0, 1], [0, 0, 0, 0, 1, 0],
      [0, 0, 0, 0, 0, 1], [0, 0, 0, 0, 0, 0]],
     ["input", "conv3x3-bn-relu", "conv3x3-bn-relu", "maxpool3x3", "maxpool3x3", "output"]),
    ("e79152669512efd378b0763d3484fc41",
     [[0, 1, 1, 0, 0], [0, 0, 0, 1, 1], [0, 0, 0, 0, 1], [0, 0, 0, 0, 1], [0, 0, 0, 0, 0]],
     ["input", "maxpool3x3", "conv3x3-bn-relu", "conv1x1-bn-relu", "output"]),
    ("001ea832563f8d635ef7d0af25926274",
     [[0, 1, 1, 1, 1], [0, 0, 1, 1, 1], [0, 0, 0, 1, 0], [0, 0, 0, 0, 1], [0, 0, 0, 0, 0]],
     ["input", "maxpool3x3", "conv3x3-bn-relu", "conv3x3-bn-relu", "output"]),
    ("66ea4e36f994d4bf11102cbef10a3cb1",
     [[0, 1, 0, 1], [0, 0, 1, 0], [0, 0, 0, 1], [0, 0, 0, 0]],
     ["input", "conv3x3-bn-relu", "conv1x1-bn-relu", "output"]),
]


def crc32c_bitwise(data: bytes) -> int:
    """CRC32C the slow, obvious way: one bit at a time."""
    crc = 0xFFFFFFFF
    for byte in data:
        crc ^= byte
        for _ in range(8):
            crc = (crc >> 1) ^ (0x82F63B78 if crc & 1 else 0)
    return crc ^ 0xFFFFFFFF


def masked_crc(data: bytes) -> int:
    crc = crc32c_bitwise(data)
    return ((((crc >> 15) | (crc << 17)) & 0xFFFFFFFF) + 0xA282EAD8) & 0xFFFFFFFF


def frame(data: bytes) -> bytes:
    """One TFRecord frame: length, its masked CRC, data, its masked CRC."""
    length = struct.pack("<Q", len(data))
    return length + struct.pack("<I", masked_crc(length)) + data + struct.pack("<I", masked_crc(data))


def _varint(value: int) -> bytes:
    value &= (1 << 64) - 1
    out = bytearray()
    while True:
        low = value & 0x7F
        value >>= 7
        if value:
            out.append(low | 0x80)
        else:
            out.append(low)
            return bytes(out)


def _key(number: int, wire: int) -> bytes:
    return _varint(number << 3 | wire)


def _double(number: int, value: float) -> bytes:
    return _key(number, 1) + struct.pack("<d", value)


def _message(number: int, payload: bytes) -> bytes:
    return _key(number, 2) + _varint(len(payload)) + payload


@dataclass(frozen=True)
class Evaluation:
    epoch: float
    training_time: float
    train_accuracy: float
    validation_accuracy: float
    test_accuracy: float
    checkpoint_path: str = ""

    def encode(self) -> bytes:
        body = (_double(1, self.epoch) + _double(2, self.training_time)
                + _double(3, self.train_accuracy) + _double(4, self.validation_accuracy)
                + _double(5, self.test_accuracy))
        if self.checkpoint_path:
            body += _message(6, self.checkpoint_path.encode())
        return body


@dataclass(frozen=True)
class Run:
    """One NAS-Bench-101 record: one training run of one cell at one budget."""

    module_hash: str
    epochs: int
    adjacency: list[list[int]]
    ops: list[str]
    params: int
    evaluations: list[Evaluation] = field(default_factory=list)
    total_time: float = 0.0

    @property
    def final(self) -> Evaluation:
        return self.evaluations[2]

    def metrics(self) -> bytes:
        body = b"".join(_message(1, e.encode()) for e in self.evaluations)
        return body + _key(2, 0) + _varint(self.params) + _double(3, self.total_time)

    def payload(self) -> bytes:
        raw_adjacency = "".join(str(e) for row in self.adjacency for e in row)
        return json.dumps([self.module_hash, self.epochs, raw_adjacency, ",".join(self.ops),
                           base64.b64encode(self.metrics()).decode()]).encode()


def make_runs(budgets: tuple[int, ...] = (108,), repeats: int = 3) -> list[Run]:
    """Runs for every cell of CELLS, in the file order of the real files (budget, cell, repeat)."""
    runs = []
    for budget in budgets:
        for index, (module_hash, adjacency, ops) in enumerate(CELLS):
            for repeat in range(repeats):
                tag = budget * 1000 + index * 10 + repeat
                final = Evaluation(budget, 10.0 + tag / 1000, 0.5 + repeat / 100,
                                   0.8 + index / 100 + repeat / 1000,
                                   0.7 + index / 100 + repeat / 500,
                                   f"/ckpt/{module_hash}/{repeat}/model.ckpt-{budget}")
                runs.append(Run(module_hash, budget, adjacency, ops, 100_000 + index,
                                [Evaluation(0, 0, 0.1, 0.1, 0.1),
                                 Evaluation(budget / 2, 5.0 + tag / 1000, 0.3, 0.4, 0.45),
                                 final], 20.0 + tag / 1000))
    return runs


def write_tfrecord(path: Path, payloads: list[bytes]) -> Path:
    path.write_bytes(b"".join(frame(p) for p in payloads))
    return path


def write_runs(path: Path, runs: list[Run]) -> Path:
    return write_tfrecord(path, [run.payload() for run in runs])
