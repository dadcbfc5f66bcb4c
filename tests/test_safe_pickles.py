"""A crafted pickle or .pth in any benchmark or dataset format is refused before its code runs."""

from __future__ import annotations

import bz2
import os
import pickle
from pathlib import Path

import pytest
import torch
from click.testing import CliRunner
from conftest import write_cifar10
from image_files import imagenet16_files
from nats_files import write_fast_mode_dir

from naswot_db.builder.datasets.base import DatasetError
from naswot_db.builder.datasets.imagenet16 import read_labelled_images
from naswot_db.builder.formats.pickles import load_pickle
from naswot_db.cli import main
from naswot_db.core.errors import NaswotDbError


class _Payload:
    """Unpickling this runs a shell command that creates ``marker``."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return os.system, (f"touch {self.marker}",)


def _snapshot(root: Path) -> dict[str, bytes]:
    return {str(p): p.read_bytes() for p in root.rglob("*") if p.is_file()} if root.exists() else {}


def _refused(args: list[str], marker: Path, root: Path) -> str:
    before = _snapshot(root)
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 1, result.output
    assert result.output.startswith("Error: ") and result.output.count("\n") == 1, result.output
    assert not marker.exists(), "the pickle's payload ran"
    assert _snapshot(root) == before
    return result.output


def test_the_payload_runs_under_plain_pickle(tmp_path):
    """The crafted object really is an attack: plain pickle.load runs it."""
    marker = tmp_path / "ran"
    pickle.loads(pickle.dumps(_Payload(marker)))
    assert marker.exists()


def test_crafted_cifar_pickle_does_not_run(tmp_path):
    data_root, marker, root = tmp_path / "cifar", tmp_path / "ran", tmp_path / "db"
    write_cifar10(data_root, files=1)
    with open(data_root / "cifar-10-batches-py" / "data_batch_1", "wb") as handle:
        pickle.dump({b"data": _Payload(marker), b"labels": [0]}, handle, protocol=2)
    output = _refused(["build", "--space", "nb201", "--dataset", "cifar10", "--root", str(root),
                       "--data-root", str(data_root), "--limit", "1", "--quiet"], marker, root)
    assert "data_batch_1" in output and "posix.system" in output


def test_crafted_imagenet16_pickle_does_not_run(tmp_path):
    import numpy as np

    folder, _ = imagenet16_files(tmp_path / "in16", np.random.default_rng(0), 2, [1, 2])
    marker = tmp_path / "ran"
    target = folder / "train_data_batch_1"
    target.write_bytes(pickle.dumps({"data": _Payload(marker), "labels": [1]}, protocol=2))
    with pytest.raises(DatasetError, match="posix.system"):
        read_labelled_images(target)
    assert not marker.exists()


@pytest.mark.parametrize("poisoned", ["meta.pickle.pbz2", "000001.pickle.pbz2"])
def test_crafted_nats_fast_mode_pickle_does_not_run(tmp_path, poisoned):
    meta = [f"|nor_conv_3x3~0|+|none~0|none~1|+|none~0|none~1|skip_connect~2|{i}" for i in range(3)]
    source = write_fast_mode_dir(tmp_path / "NATS-tss-v1_0-3ffb9-simple", meta, [0, 1],
                                 {"200": (200, [777])})
    marker = tmp_path / "ran"
    with bz2.open(source / poisoned, "wb") as handle:
        pickle.dump({"meta_archs": _Payload(marker)}, handle, protocol=4)
    root = tmp_path / "db"
    _refused(["ingest", "--space", "nb201", "--source", str(source), "--root", str(root)],
             marker, root)


def test_crafted_nats_single_file_does_not_run(tmp_path):
    source, marker, root = tmp_path / "NATS-tss-v1_0-3ffb9-full.pickle.pbz2", tmp_path / "ran", \
        tmp_path / "db"
    with bz2.open(source, "wb") as handle:
        pickle.dump({"meta_archs": [], "arch2infos": {0: _Payload(marker)}}, handle, protocol=4)
    _refused(["ingest", "--space", "nb201", "--source", str(source), "--root", str(root)],
             marker, root)


def test_crafted_nb201_pth_does_not_run(tmp_path):
    source, marker, root = tmp_path / "NAS-Bench-201-v1_0-e61699.pth", tmp_path / "ran", \
        tmp_path / "db"
    torch.save({"meta_archs": [], "arch2infos": {0: _Payload(marker)}}, source)
    output = _refused(["ingest", "--space", "nb201", "--source", str(source), "--root",
                       str(root)], marker, root)
    assert source.name in output


def test_other_callables_are_refused_by_name(tmp_path):
    path = tmp_path / "evil.pickle"
    path.write_bytes(b"cbuiltins\neval\n(S'1+1'\ntR.")  # protocol 0: eval("1+1")
    with pytest.raises(NaswotDbError, match="builtins.eval"):
        load_pickle(path, "a test pickle", NaswotDbError)
