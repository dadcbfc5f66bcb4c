"""Builds on every (space, dataset) pair of NB201 and NATS-sss, and cross-dataset queries.

Image files are small copies of the official formats written by the tests; each build scores
20 archs on a batch of 8, and one stored score is recomputed directly to tie the runner's rows
to the space's network and the dataset's batch.
"""

from __future__ import annotations

import math
import re

import duckdb
import numpy as np
import pytest
import torch
from click.testing import CliRunner

import nats_files as nf
from image_files import imagenet16_files, random_hwc_images, write_cifar100_train
from naswot_db.builder.datasets import DatasetError, get_dataset, load_batch
from naswot_db.builder.ingest import ingest_ground_truth
from naswot_db.builder.runner import BuildConfig, run_build
from naswot_db.builder.scoring.naswot import naswot_score
from naswot_db.builder.spaces import get_space
from naswot_db.builder.spaces.nb201 import benchmark_arch_strs
from naswot_db.cli import main

ARCHS = 20
BATCH = 8


@pytest.fixture(scope="module")
def data_root(tmp_path_factory):
    """ImageNet16 (labels 5 and 120 kept, 200 dropped) and CIFAR-100 under one data root."""
    root = tmp_path_factory.mktemp("data")
    rng = np.random.default_rng(11)
    imagenet16_files(root / "ImageNet16", rng, per_file=3, labels_cycle=[5, 200, 120])
    write_cifar100_train(root, random_hwc_images(rng, 24, 32))
    return root


def _build(space: str, dataset: str, root, data_root):
    return run_build(BuildConfig(space=space, dataset=dataset, root=root, data_root=data_root,
                                 init_seeds=[0], batch_seeds=[0], batch_size=BATCH, limit=ARCHS,
                                 device="cpu", progress=False))


def _parquet(root, table: str) -> str:
    """DuckDB table function over one table of a root (hive partitions give ``space``)."""
    return f"read_parquet('{root / table / '*' / '*.parquet'}', hive_partitioning = true)"


def _scores(root) -> list[dict]:
    return duckdb.sql(f"SELECT * FROM {_parquet(root, 'scores')} "
                      f"ORDER BY space, dataset, arch_id").df().to_dict("records")


@pytest.fixture(scope="module")
def built(tmp_path_factory, data_root):
    """One root holding 20-arch builds of every new (space, dataset) pair."""
    root = tmp_path_factory.mktemp("db")
    summaries = {pair: _build(*pair, root, data_root) for pair in
                 [("nats-sss", "ImageNet16-120"), ("nats-sss", "cifar100"), ("nb201", "cifar100"),
                  ("nb201", "ImageNet16-120")]}
    return root, summaries


@pytest.mark.parametrize("cli_space, space, dataset, check_arch", [
    ("nats-sss", "nats-sss", "ImageNet16-120", 19), ("nats-sss", "nats-sss", "cifar100", 4),
    ("nb201", "nb201", "cifar100", 7),
    ("nb201", "nb201", "ImageNet16-120", 13)])
def test_twenty_arch_build(built, data_root, cli_space, space, dataset, check_arch):
    root, summaries = built
    summary = summaries[(cli_space, dataset)]
    assert summary.rows_written == ARCHS and summary.errors == 0
    rows = [r for r in _scores(root) if r["space"] == space and r["dataset"] == dataset]
    assert [r["arch_id"] for r in rows] == list(range(ARCHS))
    assert {r["batch_size"] for r in rows} == {BATCH}
    # NB201 cells without an input-output path have a singular K (-inf); nothing else fails
    assert all((r["status"], r["value"] == -math.inf) in {("ok", False), ("singular", True)}
               for r in rows)
    assert sum(r["status"] == "ok" for r in rows) >= ARCHS // 2
    # the stored value is the score of the space's network on the dataset's batch 0
    images = load_batch(get_dataset(dataset), data_root, 0, BATCH).images
    torch.manual_seed(0)
    expected = naswot_score(get_space(space).build_model(check_arch), images)
    assert math.isfinite(expected) and rows[check_arch]["value"] == pytest.approx(expected, abs=1e-9)


def test_input_resolution_follows_the_dataset(built, data_root):
    # same archs, different images (16x16 vs 32x32): different scores
    root, _ = built
    by_key = {(r["dataset"], r["arch_id"]): r["value"] for r in _scores(root)
              if r["space"] == "nb201" and r["status"] == "ok"}
    ok = [i for i in range(ARCHS) if ("cifar100", i) in by_key]
    assert ok and all(by_key[("cifar100", i)] != by_key[("ImageNet16-120", i)] for i in ok)
    assert load_batch(get_dataset("ImageNet16-120"), data_root, 0, BATCH).images.shape[-1] == 16


def test_scores_of_one_dataset_join_accuracies_of_another(built, tmp_path):
    """Cross-dataset study in SQL: ImageNet16-120 scores against CIFAR-100 test accuracy."""
    root, _ = built
    source = nf.write_single_file(tmp_path / "NATS-tss-v1_0-3ffb9.pickle.pbz2",
                                  list(benchmark_arch_strs()), list(range(ARCHS)),
                                  {"200": (200, [777, 888])})
    ingest_ground_truth("nb201", source, root)
    rows = duckdb.sql(f"""
        SELECT s.arch_id, s.value, a.accuracy
        FROM {_parquet(root, 'scores')} s
        JOIN {_parquet(root, 'accuracies')} a USING (space, arch_id)
        WHERE s.space = 'nb201' AND s.dataset = 'ImageNet16-120'
          AND a.dataset = 'cifar100' AND a.split = 'x-test' AND a.epochs = 200 AND a.seed IS NULL
        ORDER BY s.arch_id""").fetchall()
    assert [r[0] for r in rows] == list(range(ARCHS))
    for arch_id, _, accuracy in rows:
        assert accuracy == pytest.approx(sum(
            nf.final_accuracy(arch_id, "cifar100", "x-test", s, 200) for s in (777, 888)) / 2)
    scores = {r["arch_id"]: r["value"] for r in _scores(root)
              if r["space"] == "nb201" and r["dataset"] == "ImageNet16-120"}
    assert [r[1] for r in rows] == [scores[i] for i in range(ARCHS)]
    [(sql_corr,)] = duckdb.sql(f"""
        SELECT corr(s.value, a.accuracy) FROM {_parquet(root, 'scores')} s
        JOIN {_parquet(root, 'accuracies')} a USING (space, arch_id)
        WHERE s.dataset = 'ImageNet16-120' AND a.dataset = 'cifar100' AND a.split = 'x-test'
          AND a.epochs = 200 AND a.seed IS NULL AND s.space = 'nb201'
          AND s.status = 'ok'""").fetchall()
    finite = [(value, accuracy) for _, value, accuracy in rows if math.isfinite(value)]
    assert sql_corr == pytest.approx(np.corrcoef(np.array(finite).T)[0, 1])


def test_missing_dataset_files_stop_the_build_before_writing(tmp_path):
    root = tmp_path / "db"
    with pytest.raises(DatasetError, match="no ImageNet16 training files under"):
        _build("nats-sss", "ImageNet16-120", root, tmp_path / "empty")
    assert not root.exists()


@pytest.mark.parametrize("space, dataset, damage, message", [
    ("nats-sss", "ImageNet16-120", "missing", "missing ImageNet16 training file .*train_data_batch_4"),
    ("nb201", "ImageNet16-120", "truncated", "cannot read .*train_data_batch_4"),
    ("nats-sss", "ImageNet16-120", "garbage", "cannot read .*train_data_batch_4"),
    ("nb201", "cifar100", "truncated", "cannot read .*cifar-100-python.train"),
    ("nb201", "cifar100", "garbage", "cannot read .*cifar-100-python.train"),
])
def test_cli_bad_dataset_file_is_one_error_line(tmp_path, space, dataset, damage, message):
    rng = np.random.default_rng(0)
    data = tmp_path / "data"
    imagenet16_files(data / "ImageNet16", rng, per_file=2, labels_cycle=[1])
    write_cifar100_train(data, random_hwc_images(rng, 10, 32))
    target = (data / "ImageNet16" / "train_data_batch_4" if dataset == "ImageNet16-120"
              else data / "cifar-100-python" / "train")
    if damage == "missing":
        target.unlink()
    elif damage == "truncated":
        target.write_bytes(target.read_bytes()[:200])
    else:  # garbage that makes the unpickler allocate a huge buffer (MemoryError)
        target.write_bytes(b"\x80\x02}q\x00(truncated")
    root = tmp_path / "db"
    result = CliRunner().invoke(main, ["build", "--space", space, "--dataset", dataset,
                                       "--root", str(root), "--data-root", str(data),
                                       "--limit", "2", "--batch-size", "4", "--quiet"])
    assert result.exit_code == 1
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: ")
    assert re.search(message, lines[0]), lines[0]
    assert not root.exists()
