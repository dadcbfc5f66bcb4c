"""CIFAR loading, normalisation and the documented batch function."""

from __future__ import annotations

import hashlib
import pickle

import numpy as np
import pytest
import torch

from naswot_db.builder.datasets import DatasetError, get_dataset, load_batch
from naswot_db.builder.datasets.batches import batch_positions, nb201_train_positions, pool_positions

from conftest import write_cifar10


def documented_batch(pool_size: int, batch_seed: int, batch_size: int) -> list[int]:
    """The definition in builder/datasets/batches.py, written out independently."""
    def key(p: int) -> bytes:
        return hashlib.sha256(f"naswot-db:{batch_seed}:{p}".encode()).digest()
    return sorted(range(pool_size), key=key)[:batch_size]


def drawn_positions(dataset: str, root, batch_seed: int, batch_size: int) -> np.ndarray:
    """The training-pool positions of a batch (``--split all``)."""
    pool = pool_positions(get_dataset(dataset), root, "all")
    return batch_positions(pool, batch_seed, batch_size)


@pytest.mark.parametrize("bytes_keys", [True, False])
def test_batch_is_the_documented_function_and_normalised(tmp_path, bytes_keys):
    pixels = write_cifar10(tmp_path, images_per_file=30, files=2, bytes_keys=bytes_keys)
    batch = load_batch(get_dataset("cifar10"), tmp_path, batch_seed=7, batch_size=16)
    expected_positions = documented_batch(60, 7, 16)
    assert drawn_positions("cifar10", tmp_path, 7, 16).tolist() == expected_positions
    first = pixels[expected_positions[0]]  # H, W, C uint8
    mean = np.array([125.3, 123.0, 113.9]) / 255
    std = np.array([63.0, 62.1, 66.7]) / 255
    expected = (first.transpose(2, 0, 1) / 255.0 - mean[:, None, None]) / std[:, None, None]
    assert batch.images.dtype == torch.float32
    np.testing.assert_allclose(batch.images[0].numpy(), expected, atol=1e-6)


def test_smaller_batch_is_a_prefix_and_seeds_differ(cifar10_root):
    dataset = get_dataset("cifar10")
    big = load_batch(dataset, cifar10_root, 0, 16)
    small = load_batch(dataset, cifar10_root, 0, 8)
    other = load_batch(dataset, cifar10_root, 1, 8)
    assert torch.equal(small.images, big.images[:8])
    assert drawn_positions("cifar10", cifar10_root, 1, 8).tolist() != \
        drawn_positions("cifar10", cifar10_root, 0, 8).tolist()
    assert small.fingerprint != other.fingerprint
    assert load_batch(dataset, cifar10_root, 0, 8).fingerprint == small.fingerprint


def test_cifar100_uses_its_own_statistics(tmp_path):
    folder = tmp_path / "cifar-100-python"
    folder.mkdir()
    data = np.full((4, 3072), 255, dtype=np.uint8)
    with open(folder / "train", "wb") as handle:
        pickle.dump({b"data": data, b"fine_labels": [0] * 4, b"coarse_labels": [0] * 4}, handle)
    batch = load_batch(get_dataset("cifar100"), tmp_path, 0, 4)
    assert batch.images[0, 0, 0, 0].item() == pytest.approx((1 - 129.3 / 255) / (68.2 / 255), abs=1e-6)


def test_nb201_split_is_the_shipped_train_half():
    positions = nb201_train_positions()
    assert len(positions) == 25000 and len(set(positions.tolist())) == 25000
    assert positions.min() >= 0 and positions.max() < 50000


def test_split_pointing_past_the_images_is_an_error(cifar10_root):
    with pytest.raises(DatasetError, match="--split all"):
        load_batch(get_dataset("cifar10"), cifar10_root, 0, 8, split="nb201-train")


def test_missing_root_names_the_expected_files(tmp_path):
    with pytest.raises(DatasetError, match="cifar-10-batches-py"):
        load_batch(get_dataset("cifar10"), tmp_path / "nowhere", 0, 8)


def test_corrupt_file_is_a_clear_error(tmp_path):
    folder = tmp_path / "cifar-10-batches-py"
    folder.mkdir()
    (folder / "data_batch_1").write_bytes(b"not a pickle")
    with pytest.raises(DatasetError, match="corrupt"):
        load_batch(get_dataset("cifar10"), tmp_path, 0, 8)


def test_batch_larger_than_pool_is_an_error(cifar10_root):
    with pytest.raises(DatasetError, match="batch size"):
        load_batch(get_dataset("cifar10"), cifar10_root, 0, 1000)


def test_unknown_dataset_lists_known_ones():
    with pytest.raises(DatasetError, match="cifar100"):
        get_dataset("mnist")


def test_labels_come_from_the_pickles_when_a_score_needs_them(tmp_path):
    write_cifar10(tmp_path, images_per_file=10, files=1)
    folder = tmp_path / "cifar-10-batches-py"
    with open(folder / "data_batch_1", "rb") as handle:
        record = pickle.load(handle)
    record[b"labels"] = [i % 10 for i in range(10)]
    with open(folder / "data_batch_1", "wb") as handle:
        pickle.dump(record, handle)
    batch = load_batch(get_dataset("cifar10"), tmp_path, 2, 6, with_labels=True)
    assert batch.labels.tolist() == [p % 10 for p in drawn_positions("cifar10", tmp_path, 2, 6)]
    assert load_batch(get_dataset("cifar10"), tmp_path, 2, 6).labels is None
