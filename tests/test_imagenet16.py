"""ImageNet16-120 from the official pickle format: 120-class filter, file order, normalisation."""

from __future__ import annotations

import pickle

import numpy as np
import pytest
import torch

from image_files import IMAGENET16_TRAIN_FILES, imagenet16_files, planar_rows
from naswot_db.builder.datasets import DatasetError, get_dataset, load_batch
from naswot_db.builder.datasets.batches import batch_positions, pool_positions
from naswot_db.builder.datasets.imagenet16 import ImageNet16_120

# labels as stored: 1-based; everything above 120 must be dropped
LABELS = [1, 121, 120, 500, 7, 1000, 64, 121]


@pytest.fixture()
def files(tmp_path):
    folder, contents = imagenet16_files(tmp_path / "ImageNet16", np.random.default_rng(3),
                                        per_file=5, labels_cycle=LABELS)
    return tmp_path, contents


def _expected_pool(contents):
    images = np.concatenate([imgs for imgs, _ in contents])
    labels = np.concatenate([np.asarray(lbls) for _, lbls in contents])
    keep = labels <= 120
    return images[keep], labels[keep]


def test_registry_name_and_reference_normalisation():
    dataset = get_dataset("imagenet16-120")
    assert isinstance(dataset, ImageNet16_120) and dataset.name == "ImageNet16-120"
    assert dataset.mean == pytest.approx((0.48109804, 0.45749020, 0.40788235))
    assert dataset.std == pytest.approx((0.24792157, 0.24023529, 0.25525490))


def test_pool_keeps_labels_1_to_120_in_file_order(files):
    root, contents = files
    images, labels = ImageNet16_120().training_pool(root)
    expected_images, expected_labels = _expected_pool(contents)
    # 50 images, labels cycle through 8 values of which 4 are <= 120
    assert len(labels) == 25
    np.testing.assert_array_equal(labels, expected_labels)
    assert labels.min() == 1 and labels.max() == 120  # 1-based labels kept as stored
    np.testing.assert_array_equal(images, expected_images)  # planar rows -> HWC, order kept
    assert ImageNet16_120().pool_size(root) == 25


def test_load_images_is_totensor_then_normalize(files):
    root, contents = files
    expected_images, _ = _expected_pool(contents)
    positions = np.array([24, 0, 5])
    tensor = ImageNet16_120().load_images(root, positions)
    assert tensor.shape == (3, 3, 16, 16) and tensor.dtype == torch.float32
    pixel = expected_images[24, 4, 9]  # HWC pixel at row 4, column 9
    mean = np.array([122.68, 116.66, 104.01]) / 255
    std = np.array([63.22, 61.26, 65.09]) / 255
    np.testing.assert_allclose(tensor[0, :, 4, 9].numpy(), (pixel / 255 - mean) / std, atol=1e-6)


def test_folder_itself_or_its_parent_can_be_the_root(files):
    root, _ = files
    dataset = ImageNet16_120()
    assert dataset.pool_size(root / "ImageNet16") == dataset.pool_size(root) == 25


def test_load_batch_draws_from_the_filtered_pool(files):
    root, contents = files
    batch = load_batch(get_dataset("ImageNet16-120"), root, batch_seed=0, batch_size=8)
    positions = batch_positions(pool_positions(ImageNet16_120(), root, "all"), 0, 8)
    expected_images, _ = _expected_pool(contents)
    assert batch.images.shape == (8, 3, 16, 16)
    first = (expected_images[positions[0]] / 255.0 - ImageNet16_120.mean) / ImageNet16_120.std
    np.testing.assert_allclose(batch.images[0].permute(1, 2, 0).numpy(), first, atol=1e-6)
    assert len(set(positions.tolist())) == 8 and positions.max() < 25
    again = ImageNet16_120().load_images(root, positions)
    assert torch.equal(batch.images, again)
    assert not np.array_equal(positions, np.arange(8))  # seeded draw, not the first 8
    

def test_missing_training_file_is_one_clear_error(files):
    root, _ = files
    (root / "ImageNet16" / "train_data_batch_7").unlink()
    with pytest.raises(DatasetError, match="missing ImageNet16 training file .*train_data_batch_7"):
        ImageNet16_120().pool_size(root)


def test_no_files_at_all(tmp_path):
    with pytest.raises(DatasetError, match="no ImageNet16 training files under"):
        ImageNet16_120().pool_size(tmp_path)


def test_corrupt_file_names_the_file(files):
    root, _ = files
    (root / "ImageNet16" / "train_data_batch_3").write_bytes(b"\x80\x04garbage")
    with pytest.raises(DatasetError, match="cannot read .*train_data_batch_3"):
        ImageNet16_120().pool_size(root)


@pytest.mark.parametrize("entry, message", [
    ({"data": np.zeros((4, 3072), np.uint8), "labels": [1, 2, 3, 4]}, "N x 768 uint8"),
    ({"data": np.zeros((4, 768), np.float32), "labels": [1, 2, 3, 4]}, "N x 768 uint8"),
    ({"data": np.zeros((4, 768), np.uint8), "labels": [1, 2]}, "one label per image"),
    ({"data": np.zeros((4, 768), np.uint8)}, "'labels'"),
])
def test_wrong_contents_are_refused(files, entry, message):
    root, _ = files
    with open(root / "ImageNet16" / IMAGENET16_TRAIN_FILES[9], "wb") as handle:
        pickle.dump(entry, handle)
    with pytest.raises(DatasetError, match=f"train_data_batch_10: .*{message}"):
        ImageNet16_120().pool_size(root)


def test_pool_without_any_of_the_120_classes(tmp_path):
    imagenet16_files(tmp_path / "ImageNet16", np.random.default_rng(0), per_file=2,
                     labels_cycle=[121, 999])
    with pytest.raises(DatasetError, match="no training image .* label in 1..120"):
        ImageNet16_120().pool_size(tmp_path)


def test_planar_layout_helper_round_trip():
    # guards the fixture writer itself: row = R plane, then G, then B
    image = np.arange(16 * 16 * 3, dtype=np.uint8).reshape(1, 16, 16, 3)
    row = planar_rows(image)[0]
    assert row[0] == image[0, 0, 0, 0] and row[256] == image[0, 0, 0, 1]
    assert row[1] == image[0, 0, 1, 0]


def test_labels_are_the_stored_ones_minus_one_as_the_reference_loader_gives(files):
    root, contents = files
    batch = load_batch(get_dataset("ImageNet16-120"), root, 0, 8, with_labels=True)
    positions = batch_positions(pool_positions(ImageNet16_120(), root, "all"), 0, 8)
    _, stored = _expected_pool(contents)
    assert batch.labels.dtype == torch.int64
    assert batch.labels.tolist() == (stored[positions] - 1).tolist()
