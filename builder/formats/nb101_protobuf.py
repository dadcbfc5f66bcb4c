"""Decoder for NAS-Bench-101's ``ModelMetrics`` protobuf (proto2), without the protobuf package.

Schema (nasbench/lib/model_metrics.proto)::

    ModelMetrics   { repeated EvaluationData evaluation_data = 1; optional int32
                     trainable_parameters = 2; optional double total_time = 3; }
    EvaluationData { optional double current_epoch = 1, training_time = 2, train_accuracy = 3,
                     validation_accuracy = 4, test_accuracy = 5; optional string
                     checkpoint_path = 6; }

Unknown fields are skipped, as protobuf parsers do; absent optional fields read as proto2's
defaults (0 and the empty string).
"""

from __future__ import annotations

import struct
from typing import NamedTuple

_VARINT, _FIXED64, _LENGTH_DELIMITED, _FIXED32 = 0, 1, 2, 5
_DOUBLE = struct.Struct("<d")
_DOUBLE_FIELDS = 5  # EvaluationData fields 1..5 are doubles
_CHECKPOINT_PATH = 6
# fields 1..5 as one-byte keys (number << 3 | fixed64) each followed by its double
_PACKED_EVALUATION = struct.Struct("<" + "Bd" * _DOUBLE_FIELDS)
_PACKED_KEYS = tuple(number << 3 | _FIXED64 for number in range(1, _DOUBLE_FIELDS + 1))


class ProtobufError(ValueError):
    """Bytes that are not a well-formed ModelMetrics message."""


class EvaluationData(NamedTuple):
    """Metrics at one checkpoint; accuracies are fractions in [0, 1]."""

    current_epoch: float = 0.0
    training_time: float = 0.0
    train_accuracy: float = 0.0
    validation_accuracy: float = 0.0
    test_accuracy: float = 0.0
    checkpoint_path: str = ""


_EVALUATION_DEFAULTS = tuple(EvaluationData())


class ModelMetrics(NamedTuple):
    """One training run: evaluations at step 0, halfway and the end, and fixed metrics."""

    evaluation_data: tuple[EvaluationData, ...]
    trainable_parameters: int
    total_time: float


def _varint(data: bytes, pos: int) -> tuple[int, int]:
    result = shift = 0
    while True:
        if pos >= len(data):
            raise ProtobufError(f"varint runs past the end of the message at byte {pos}")
        byte = data[pos]
        pos += 1
        result |= (byte & 0x7F) << shift
        if byte < 0x80:
            return result, pos
        shift += 7
        if shift >= 70:
            raise ProtobufError(f"varint longer than 10 bytes at byte {pos}")


def _fields(data: bytes) -> list[tuple[int, int, object]]:
    """(field number, wire type, value) of every field; values are ints, floats or bytes."""
    fields = []
    pos, end = 0, len(data)
    while pos < end:
        key = data[pos]
        if key < 0x80:  # one-byte key: every field of this schema
            pos += 1
        else:
            key, pos = _varint(data, pos)
        number, wire = key >> 3, key & 7
        if number == 0:
            raise ProtobufError(f"field number 0 at byte {pos}")
        if wire == _FIXED64:
            if pos + 8 > end:
                raise ProtobufError(f"field {number}: 8-byte value runs past the end at byte {pos}")
            fields.append((number, wire, _DOUBLE.unpack_from(data, pos)[0]))
            pos += 8
        elif wire == _LENGTH_DELIMITED:
            size = data[pos] if pos < end else 0x80
            if size < 0x80:
                pos += 1
            else:
                size, pos = _varint(data, pos)
            if pos + size > end:
                raise ProtobufError(f"field {number}: {size} bytes run past the end at byte {pos}")
            fields.append((number, wire, data[pos:pos + size]))
            pos += size
        elif wire == _VARINT:
            value, pos = _varint(data, pos)
            fields.append((number, wire, value))
        elif wire == _FIXED32:
            if pos + 4 > end:
                raise ProtobufError(f"field {number}: 4-byte value runs past the end at byte {pos}")
            fields.append((number, wire, data[pos:pos + 4]))
            pos += 4
        else:
            raise ProtobufError(f"field {number}: unsupported wire type {wire} at byte {pos}")
    return fields


def _expect_wire(message: str, number: int, wire: int, expected: int) -> None:
    if wire != expected:
        raise ProtobufError(f"{message} field {number} has wire type {wire}, expected {expected}")


def decode_evaluation_data(data: bytes) -> EvaluationData:
    """Decode one serialized EvaluationData message."""
    if len(data) == _PACKED_EVALUATION.size:
        # fast path: the five doubles in field order and nothing else, as NAS-Bench-101 writes
        packed = _PACKED_EVALUATION.unpack(data)
        if packed[::2] == _PACKED_KEYS:
            return EvaluationData(*packed[1::2])
    values = list(_EVALUATION_DEFAULTS)
    for number, wire, value in _fields(data):
        if number <= _DOUBLE_FIELDS:
            _expect_wire("EvaluationData", number, wire, _FIXED64)
            values[number - 1] = value
        elif number == _CHECKPOINT_PATH:
            _expect_wire("EvaluationData", number, wire, _LENGTH_DELIMITED)
            values[number - 1] = bytes(value).decode("utf-8")  # type: ignore[arg-type]
    return EvaluationData(*values)


def decode_model_metrics(data: bytes) -> ModelMetrics:
    """Decode one serialized ModelMetrics message."""
    evaluations = []
    parameters, total_time = 0, 0.0
    for number, wire, value in _fields(data):
        if number == 1:
            _expect_wire("ModelMetrics", number, wire, _LENGTH_DELIMITED)
            evaluations.append(decode_evaluation_data(value))  # type: ignore[arg-type]
        elif number == 2:
            _expect_wire("ModelMetrics", number, wire, _VARINT)
            parameters = _as_int32(value)  # type: ignore[arg-type]
        elif number == 3:
            _expect_wire("ModelMetrics", number, wire, _FIXED64)
            total_time = value  # type: ignore[assignment]
    return ModelMetrics(tuple(evaluations), parameters, total_time)


def _as_int32(value: int) -> int:
    """A varint-encoded int32 (negative values arrive as 64-bit two's complement)."""
    value &= 0xFFFFFFFF
    return value - (1 << 32) if value >= 1 << 31 else value
