"""Streaming TFRecord reader with both CRC checks, without TensorFlow.

A TFRecord file is a sequence of frames (all little-endian)::

    u64 length | u32 masked_crc32c(length bytes) | data[length] | u32 masked_crc32c(data)

The file is read in chunks of about ``chunk_bytes``; the frames of a chunk are located with
one cheap Python step each, then both CRCs of all of them are checked at once (vectorised
CRC32C), so a 2 GB file streams through bounded memory.  Any bad frame raises
:class:`TFRecordError` naming the file and the frame's byte offset, before a single record of
the chunk that holds it is handed out.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .ground_truth import SpaceError
from .crc32c import crc32c, crc32c_many, mask

_LENGTH = struct.Struct("<Q")
_HEADER_BYTES = 12  # u64 length + u32 length CRC
_FOOTER_BYTES = 4  # u32 data CRC
DEFAULT_CHUNK_BYTES = 8 << 20


class TFRecordError(SpaceError):
    """A TFRecord file that is truncated or fails a CRC check."""


@dataclass(frozen=True)
class RecordChunk:
    """Consecutive verified records: their file offsets and their data inside ``buffer``."""

    buffer: bytes
    offsets: np.ndarray  # file offset of each frame
    starts: np.ndarray  # position of each record's data in buffer
    lengths: np.ndarray

    def __len__(self) -> int:
        return len(self.offsets)

    def records(self) -> Iterator[tuple[int, bytes]]:
        """(file offset of the frame, record data) in file order."""
        view = memoryview(self.buffer)
        for offset, start, length in zip(self.offsets.tolist(), self.starts.tolist(),
                                         self.lengths.tolist()):
            yield offset, bytes(view[start:start + length])


def _stored_u32(buffer: np.ndarray, positions: np.ndarray) -> np.ndarray:
    """Little-endian u32 at each position of a uint8 buffer."""
    value = np.zeros(len(positions), dtype=np.uint32)
    for byte in range(4):
        value |= buffer[positions + byte].astype(np.uint32) << np.uint32(8 * byte)
    return value


def _length_crc_error(path: Path, data: bytes, pos: int, file_offset: int
                      ) -> TFRecordError | None:
    stored = struct.unpack_from("<I", data, pos + 8)[0]
    if int(mask(crc32c(data[pos:pos + 8]))) != stored:
        return TFRecordError(f"{path}: corrupt record at byte offset {file_offset}: "
                             "the length field fails its CRC32C check")
    return None


def _verify(path: Path, chunk: RecordChunk) -> None:
    buffer = np.frombuffer(chunk.buffer, dtype=np.uint8)
    header_starts = chunk.starts - _HEADER_BYTES
    length_ok = (mask(crc32c_many(buffer, header_starts, np.full(len(chunk), 8)))
                 == _stored_u32(buffer, header_starts + 8))
    data_ok = (mask(crc32c_many(buffer, chunk.starts, chunk.lengths))
               == _stored_u32(buffer, chunk.starts + chunk.lengths))
    bad = np.flatnonzero(~(length_ok & data_ok))
    if len(bad):
        first = int(bad[0])
        what = ("the length field fails its CRC32C check" if not length_ok[first]
                else f"its {int(chunk.lengths[first])} data bytes fail their CRC32C check")
        raise TFRecordError(f"{path}: corrupt record at byte offset {int(chunk.offsets[first])}: "
                            f"{what}")


def _locate_frames(path: Path, data: bytes, base_offset: int, file_size: int
                   ) -> tuple[RecordChunk, int, TFRecordError | None]:
    """The whole frames at the start of ``data`` (not yet verified), where they end, and the
    problem with the frame after them, if any.

    A frame that runs past ``data`` is left for the next read once its length has passed its
    CRC (an unchecked length must not decide how far to read) and fits in the file.
    """
    offsets, starts, lengths = [], [], []
    pos = 0
    problem = None
    at_end = base_offset + len(data) == file_size
    while pos + _HEADER_BYTES <= len(data):
        (length,) = _LENGTH.unpack_from(data, pos)
        frame_end = pos + _HEADER_BYTES + length + _FOOTER_BYTES
        if frame_end > len(data):
            problem = _length_crc_error(path, data, pos, base_offset + pos)
            if problem is None and base_offset + frame_end > file_size:
                problem = TFRecordError(
                    f"{path}: truncated record at byte offset {base_offset + pos}: the frame "
                    f"needs {frame_end - pos} bytes, the file ends after "
                    f"{file_size - base_offset - pos}")
            break
        offsets.append(base_offset + pos)
        starts.append(pos + _HEADER_BYTES)
        lengths.append(length)
        pos = frame_end
    if problem is None and at_end and pos < len(data):
        problem = TFRecordError(
            f"{path}: truncated record at byte offset {base_offset + pos}: only "
            f"{len(data) - pos} bytes left, less than a {_HEADER_BYTES}-byte header")
    chunk = RecordChunk(data, np.array(offsets, dtype=np.int64),
                        np.array(starts, dtype=np.int64), np.array(lengths, dtype=np.int64))
    return chunk, pos, problem


def read_record_chunks(path: Path, chunk_bytes: int = DEFAULT_CHUNK_BYTES
                       ) -> Iterator[RecordChunk]:
    """Verified chunks of records of the TFRecord file at ``path``, in file order."""
    try:
        file_size = path.stat().st_size
        handle = open(path, "rb")
    except OSError as exc:
        raise TFRecordError(f"cannot read {path}: {exc}") from exc
    with handle:
        pending = b""
        pending_offset = 0  # file offset of pending[0]
        while True:
            block = handle.read(chunk_bytes)
            data = pending + block if pending else block
            if not data:
                return
            chunk, consumed, problem = _locate_frames(path, data, pending_offset, file_size)
            # a corrupt length among the whole frames misaligns what follows: report it first
            _verify(path, chunk)
            if problem is not None:
                raise problem
            if len(chunk):
                yield chunk
            pending = data[consumed:]
            pending_offset += consumed
