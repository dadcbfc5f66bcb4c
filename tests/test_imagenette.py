"""imagenette2: ImageFolder order and the reference's Resize(256)/CenterCrop(224) pipeline."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from naswot_db.builder.datasets import DatasetError, get_dataset, load_batch

from nds_files import write_imagenette

MEAN = np.array([0.485, 0.456, 0.406], dtype=np.float32)
STD = np.array([0.229, 0.224, 0.225], dtype=np.float32)


def _normalised(pixels_hwc: np.ndarray) -> np.ndarray:
    """ToTensor + Normalize, written out: CHW float32 of (p / 255 - mean) / std."""
    scaled = pixels_hwc.astype(np.float32) / np.float32(255)
    return ((scaled - MEAN) / STD).transpose(2, 0, 1)


def _save_png(path: Path, pixels: np.ndarray) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(pixels).save(path)


def test_pool_is_imagefolder_order(tmp_path):
    root = tmp_path / "imagenette2"
    for folder, name in [("n02", "b.JPEG"), ("n01", "z.jpeg"), ("n02", "a.PNG"), ("n01", "c.JPEG")]:
        _save_png(root / "train" / folder / name, np.zeros((8, 8, 3), np.uint8))
    (root / "train" / "n01" / "labels.csv").write_text("not an image")
    (root / "train" / "stray.JPEG").write_bytes(b"files outside class folders are ignored")
    dataset = get_dataset("imagenette2")
    assert dataset.pool_size(root) == 4
    assert [p.name for p in dataset._pool(root)] == ["c.JPEG", "z.jpeg", "a.PNG", "b.JPEG"]
    # the parent of the imagenette2 folder works as --data-root too
    assert dataset.pool_size(tmp_path) == 4


@pytest.mark.parametrize("height, top", [(301, 38), (303, 40)])
def test_center_crop_rounds_half_to_even_like_torchvision(tmp_path, height, top):
    """Shorter side already 256: no resampling, so the crop offsets are visible exactly."""
    pixels = np.random.default_rng(height).integers(0, 256, (height, 256, 3), dtype=np.uint8)
    root = tmp_path / "d"
    _save_png(root / "train" / "n01" / "img.png", pixels)
    images = get_dataset("imagenette2").load_images(root, np.array([0]))
    assert images.shape == (1, 3, 224, 224) and images.dtype == torch.float32
    expected = _normalised(pixels[top:top + 224, 16:240])
    np.testing.assert_array_equal(images[0].numpy(), expected)


def test_resize_shorter_side_to_256_truncates_the_longer_side(tmp_path):
    """300 x 397 (w x h) -> 256 x int(256 * 397 / 300) = 256 x 338, then rows 57..281."""
    rng = np.random.default_rng(1)
    pixels = rng.integers(0, 256, (397, 300, 3), dtype=np.uint8)
    wide = rng.integers(0, 256, (300, 397, 3), dtype=np.uint8)
    root = tmp_path / "d"
    _save_png(root / "train" / "n01" / "a.png", pixels)
    _save_png(root / "train" / "n01" / "b.png", wide)
    images = get_dataset("imagenette2").load_images(root, np.array([0, 1]))
    tall = np.asarray(Image.fromarray(pixels).resize((256, 338), Image.Resampling.BILINEAR))
    np.testing.assert_array_equal(images[0].numpy(), _normalised(tall[57:281, 16:240]))
    flat = np.asarray(Image.fromarray(wide).resize((338, 256), Image.Resampling.BILINEAR))
    np.testing.assert_array_equal(images[1].numpy(), _normalised(flat[16:240, 57:281]))


def test_grayscale_jpeg_becomes_three_equal_channels(tmp_path):
    root = tmp_path / "d"
    path = root / "train" / "n01" / "gray.JPEG"
    path.parent.mkdir(parents=True)
    Image.fromarray(np.full((256, 256), 200, np.uint8), mode="L").save(path)
    image = get_dataset("imagenette2").load_images(root, np.array([0]))[0]
    raw = image * torch.tensor(STD).view(3, 1, 1) + torch.tensor(MEAN).view(3, 1, 1)
    assert torch.allclose(raw, torch.full_like(raw, 200 / 255), atol=1e-5)


def test_batches_are_deterministic_and_errors_are_clear(tmp_path):
    root = write_imagenette(tmp_path / "imagenette2", per_class=3)
    dataset = get_dataset("imagenette2")
    first = load_batch(dataset, root, batch_seed=0, batch_size=4)
    again = load_batch(get_dataset("imagenette2"), root, batch_seed=0, batch_size=4)
    assert first.images.shape == (4, 3, 224, 224)
    assert first.fingerprint == again.fingerprint
    assert load_batch(dataset, root, batch_seed=1, batch_size=4).fingerprint != first.fingerprint
    with pytest.raises(DatasetError, match="needs --data-root"):
        dataset.resolve_root(None)
    with pytest.raises(DatasetError, match="no imagenette2 training folder"):
        dataset.pool_size(tmp_path / "nowhere")
    broken = tmp_path / "broken"
    (broken / "train" / "n01").mkdir(parents=True)
    (broken / "train" / "n01" / "bad.JPEG").write_bytes(b"not a jpeg")
    with pytest.raises(DatasetError, match="cannot decode image .*bad.JPEG"):
        dataset.load_images(broken, np.array([0]))


def test_labels_are_the_class_folder_indices(tmp_path):
    root = write_imagenette(tmp_path / "imagenette2", per_class=2, classes=3)
    dataset = get_dataset("imagenette2")
    assert dataset.load_labels(root, np.arange(6)).tolist() == [0, 0, 1, 1, 2, 2]
