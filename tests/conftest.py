"""Shared fixtures: small dataset files in the official formats, the golden scores file."""

from __future__ import annotations

import json
import os
import pickle
from pathlib import Path

import numpy as np
import pytest

GOLDEN_ENV = "NASWOT_DB_VALIDATION_DATA"


def validation_data() -> Path:
    """``$NASWOT_DB_VALIDATION_DATA`` or skip the calling test."""
    folder = os.environ.get(GOLDEN_ENV)
    if not folder or not Path(folder).is_dir():
        pytest.skip(f"set {GOLDEN_ENV} to the shared validation data folder")
    return Path(folder)


def write_cifar10(root: Path, images_per_file: int = 40, files: int = 2, bytes_keys: bool = True,
                  seed: int = 0) -> np.ndarray:
    """Write ``cifar-10-batches-py/data_batch_*`` pickles; return all pixels (N, 32, 32, 3)."""
    folder = root / "cifar-10-batches-py"
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    pixels = rng.integers(0, 256, size=(images_per_file * files, 3, 32, 32), dtype=np.uint8)
    for index in range(files):
        chunk = pixels[index * images_per_file:(index + 1) * images_per_file]
        labels = [(index * images_per_file + i) % 10 for i in range(len(chunk))]
        record = {"data": chunk.reshape(len(chunk), -1), "labels": labels,
                  "batch_label": f"training batch {index + 1} of 5",
                  "filenames": [f"img{i}.png" for i in range(len(chunk))]}
        if bytes_keys:
            record = {k.encode(): v for k, v in record.items()}
        with open(folder / f"data_batch_{index + 1}", "wb") as handle:
            pickle.dump(record, handle)
    return pixels.transpose(0, 2, 3, 1)


@pytest.fixture
def cifar10_root(tmp_path: Path) -> Path:
    root = tmp_path / "cifar"
    write_cifar10(root)
    return root


@pytest.fixture(scope="session")
def golden() -> dict:
    """The reference code's scores (a copy of shared/spec/golden-scores.json)."""
    here = Path(__file__).resolve().parent / "data" / "golden-scores.json"
    return json.loads(here.read_text())
