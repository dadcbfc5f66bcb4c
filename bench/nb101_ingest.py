"""Benchmark: ingest a full-size synthetic NAS-Bench-101 file and print time and peak memory.

Writes ``--archs`` cells of the space (real hashes and cells, synthetic metrics) x ``--repeats``
training runs in the real
``nasbench_only108.tfrecord`` format (TFRecord frames with masked CRC32C, JSON payload, base64
ModelMetrics with three evaluations, as in the real file: about 390 bytes a frame), then runs
``naswot-db ingest --space nb101`` on it in a fresh process and reports that process's wall
time and peak resident memory.

    OMP_NUM_THREADS=1 python bench/nb101_ingest.py            # 423,624 hashes, ~500 MB
    python bench/nb101_ingest.py --archs 20000 --keep DIR     # smaller, keep the files
"""

from __future__ import annotations

import argparse
import base64
import json
import resource
import struct
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from naswot_db.builder.formats.crc32c import crc32c_many, mask
from naswot_db.builder.spaces.nb101.space import shipped_arch_table

_EVALUATION = struct.Struct("<BdBdBdBdBd")
_BATCH = 50_000


def space_cells(count: int) -> list[tuple[str, str, str]]:
    """(module hash, raw adjacency, raw ops) of the first ``count`` cells of the shipped space:
    real hashes (ingest refuses others) with the records' '0'/'1' and comma-joined encoding."""
    archs = shipped_arch_table().slice(0, count)
    cells = []
    for module_hash, encoding in zip(archs.column("arch_str").to_pylist(),
                                     archs.column("encoding").to_pylist()):
        cell = json.loads(encoding)
        cells.append((module_hash, "".join(str(e) for row in cell["adjacency"] for e in row),
                      ",".join(cell["ops"])))
    return cells


def metrics_b64(rng_values: np.ndarray, params: int) -> str:
    """ModelMetrics with evaluations at epoch 0, 54 and 108 (proto2 wire format)."""
    body = b""
    for step, (train_time, train, valid, test) in enumerate(rng_values.reshape(3, 4)):
        evaluation = _EVALUATION.pack(0x09, 54.0 * step, 0x11, train_time, 0x19, train,
                                      0x21, valid, 0x29, test)
        body += bytes([0x0A, len(evaluation)]) + evaluation
    body += bytes([0x10]) + _varint(params) + struct.pack("<Bd", 0x19, 1.1 * float(rng_values[0]))
    return base64.b64encode(body).decode()


def _varint(value: int) -> bytes:
    out = bytearray()
    while value >= 0x80:
        out.append(value & 0x7F | 0x80)
        value >>= 7
    out.append(value)
    return bytes(out)


def frames(payloads: list[bytes]) -> bytes:
    """TFRecord frames of ``payloads``, CRCs computed in one vectorised pass."""
    lengths = np.array([len(p) for p in payloads], dtype=np.int64)
    headers = lengths.astype("<u8").tobytes()
    data = b"".join(payloads)
    length_crcs = mask(crc32c_many(np.frombuffer(headers, np.uint8),
                                   np.arange(len(payloads)) * 8, np.full(len(payloads), 8)))
    data_starts = np.concatenate([[0], np.cumsum(lengths)[:-1]])
    data_crcs = mask(crc32c_many(np.frombuffer(data, np.uint8), data_starts, lengths))
    out = bytearray()
    for i, payload in enumerate(payloads):
        out += headers[8 * i:8 * i + 8]
        out += struct.pack("<I", int(length_crcs[i]))
        out += payload
        out += struct.pack("<I", int(data_crcs[i]))
    return bytes(out)


def write_file(path: Path, archs: int, repeats: int, seed: int = 0) -> None:
    rng = np.random.default_rng(seed)
    with open(path, "wb") as handle:
        payloads: list[bytes] = []
        for module_hash, raw_adjacency, raw_ops in space_cells(archs):
            params = int(rng.integers(200_000, 50_000_000))
            values = rng.random((repeats, 12))
            for repeat in range(repeats):
                payloads.append(json.dumps([module_hash, 108, raw_adjacency, raw_ops,
                                            metrics_b64(values[repeat], params)]).encode())
            if len(payloads) >= _BATCH:
                handle.write(frames(payloads))
                payloads = []
        if payloads:
            handle.write(frames(payloads))


_INGEST = """
import sys, time
from pathlib import Path
from naswot_db.builder.ingest import ingest_ground_truth
start = time.perf_counter()
counts = ingest_ground_truth("nb101", Path(sys.argv[1]), Path(sys.argv[2]))
print(counts, f"{time.perf_counter() - start:.1f}")
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--archs", type=int, default=423_624)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--keep", type=Path, default=None, help="folder to keep the files in")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        folder = args.keep or Path(scratch)
        folder.mkdir(parents=True, exist_ok=True)
        source = folder / "nasbench_only108.tfrecord"
        start = time.perf_counter()
        write_file(source, args.archs, args.repeats)
        print(f"wrote {source.stat().st_size / 1e6:.0f} MB ({args.archs} hashes x "
              f"{args.repeats} repeats) in {time.perf_counter() - start:.1f} s")
        start = time.perf_counter()
        done = subprocess.run([sys.executable, "-c", _INGEST, str(source), str(folder / "db")],
                              check=True, capture_output=True, text=True)
        wall = time.perf_counter() - start
        peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        counts, inner = done.stdout.split("} ")
        print(f"ingest: {wall:.1f} s wall (ingest call {inner.strip()} s), peak RSS "
              f"{peak_mb:.0f} MB; (archs, accuracy rows) = {counts}}}")


if __name__ == "__main__":
    main()
