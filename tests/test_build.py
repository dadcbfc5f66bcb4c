"""naswot-db build: rows, resume, shards, provenance, bad input, a killed build."""

from __future__ import annotations

import json
import multiprocessing
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from click.testing import CliRunner

from naswot_db.builder import get_space, naswot_score
from naswot_db.builder.datasets import get_dataset, load_batch
from naswot_db.builder.runner.workers import claimed_positions
from naswot_db.cli import main
from naswot_db.schema import read_table
from naswot_db.schema.storage import MANIFEST_NAME

from killed_builds import kill_after_parts, one_thread_env


def build_args(root: Path, data_root: Path, *extra: str) -> list[str]:
    return ["build", "--space", "nb201", "--dataset", "cifar10", "--root", str(root),
            "--data-root", str(data_root), "--batch-size", "4", "--quiet", *extra]


def snapshot(root: Path) -> dict[str, bytes]:
    if not root.exists():
        return {}
    return {str(p.relative_to(root)): p.read_bytes() for p in root.rglob("*") if p.is_file()}


def test_build_stores_one_row_per_arch_and_seed_and_resumes(tmp_path, cifar10_root):
    root = tmp_path / "db"
    runner = CliRunner()
    first = runner.invoke(main, build_args(root, cifar10_root, "--limit", "3", "--init-seeds", "0-1"))
    assert first.exit_code == 0, first.output
    scores = read_table(root, "scores")
    assert scores.num_rows == 6
    assert sorted(zip(scores["arch_id"].to_pylist(), scores["init_seed"].to_pylist())) == [
        (a, s) for a in range(3) for s in range(2)]
    again = runner.invoke(main, build_args(root, cifar10_root, "--limit", "3", "--init-seeds", "0-1"))
    assert again.exit_code == 0 and "0 rows written, 6 already stored" in again.output
    assert read_table(root, "scores").num_rows == 6
    more = runner.invoke(main, build_args(root, cifar10_root, "--limit", "4", "--init-seeds", "0-1"))
    assert "2 rows written, 6 already stored" in more.output
    assert read_table(root, "scores").num_rows == 8


def test_stored_value_equals_direct_score(tmp_path, cifar10_root):
    root = tmp_path / "db"
    result = CliRunner().invoke(main, build_args(root, cifar10_root, "--arch-ids", "11",
                                                 "--init-seeds", "1", "--batch-seeds", "2"))
    assert result.exit_code == 0, result.output
    row = read_table(root, "scores").to_pylist()[0]
    batch = load_batch(get_dataset("cifar10"), cifar10_root, 2, 4)
    torch.manual_seed(1)
    expected = naswot_score(get_space("nb201").build_model(11), batch.images)
    assert row["value"] == pytest.approx(expected, abs=1e-9)
    assert (row["status"], row["batch_seed"], row["dataset"]) == ("ok", 2, "cifar10")
    run = read_table(root, "runs").to_pylist()[0]
    assert run["run_id"] == row["run_id"] and run["finished_at"] is not None
    assert json.loads(run["data_fingerprint"]) == {"2": batch.fingerprint}
    assert json.loads(run["config"])["init_seeds"] == [1]
    assert run["precision"] == "fp32" and run["rows_written"] == 1


def test_shards_partition_the_selection(tmp_path, cifar10_root):
    root = tmp_path / "db"
    runner = CliRunner()
    for shard in ("1/2", "2/2"):
        result = runner.invoke(main, build_args(root, cifar10_root, "--limit", "5", "--shard", shard))
        assert result.exit_code == 0, result.output
    assert sorted(read_table(root, "scores")["arch_id"].to_pylist()) == [0, 1, 2, 3, 4]


@pytest.mark.parametrize("args, message", [
    (["--space", "nb999"], "unknown space"),
    (["--dataset", "mnist"], "unknown dataset"),
    (["--shard", "5/4"], "invalid shard"),
    (["--init-seeds", "4-2"], "end before start"),
    (["--arch-ids", "99999"], "not in space"),
    (["--device", "cuda:7"], "cuda"),
    (["--batch-size", "0"], "batch-size"),
])
def test_bad_input_is_one_error_line_and_root_unchanged(tmp_path, cifar10_root, args, message):
    root = tmp_path / "db"
    CliRunner().invoke(main, build_args(root, cifar10_root, "--limit", "1"))
    before = snapshot(root)
    base = build_args(root, cifar10_root, "--limit", "1")
    for flag, value in zip(args[::2], args[1::2]):
        if flag in base:
            base[base.index(flag) + 1] = value
        else:
            base += [flag, value]
    result = CliRunner().invoke(main, base)
    assert result.exit_code != 0
    assert message in result.output
    assert "Traceback" not in result.output and len(result.output.strip().splitlines()) == 1
    assert snapshot(root) == before


@pytest.mark.parametrize("space, replicates, expected", [
    ("nats-tss", ["--init-seeds", "0-1"], ("15,625 nb201 archs x 2 replicate(s), skipping "
     "what the root stores; at the measured 0.31 s per arch (2 CPU cores, --workers 2) about "
     "1.3 h per replicate.")),
    ("nb101", [], ("423,624 nb101 archs x 1 replicate(s), skipping what the root stores; at "
     "the measured 0.34 s per arch (2 CPU cores, --workers 2) about 40.0 h per replicate.")),
    ("nats-sss", [], ("32,768 nats-sss archs x 1 replicate(s), skipping what the root stores; "
     "its time per arch is not measured yet; the progress bar estimates it.")),
    ("nb101-original", [], ("423,624 nb101-original archs x 1 replicate(s), skipping what the "
     "root stores; its time per arch is not measured yet; the progress bar estimates it.")),
])
def test_a_whole_space_build_first_says_what_it_queues_and_the_measured_time(
        tmp_path, cifar10_root, space, replicates, expected):
    """The note reads the space's descriptor (``measured_s_per_arch``); the build then stops at
    the root, written by a future schema version, before any work."""
    root = tmp_path / "db"
    root.mkdir()
    (root / MANIFEST_NAME).write_text(json.dumps({"schema_version": 999}))
    result = CliRunner().invoke(main, ["build", "--space", space, "--dataset", "cifar10",
                                       "--root", str(root), "--data-root", str(cifar10_root),
                                       "--quiet", *replicates])
    assert result.exit_code == 1
    note, error = result.stderr.splitlines()
    assert note == f"Note: no --limit or --arch-ids: this build queues all {expected}"
    assert error.startswith(f"Error: {root} was written with schema version 999")


def test_missing_data_root_is_an_error_and_writes_nothing(tmp_path):
    root = tmp_path / "db"
    result = CliRunner().invoke(main, build_args(root, tmp_path / "no-cifar", "--limit", "1"))
    assert result.exit_code == 1
    assert "no cifar10 training files" in result.output
    assert not root.exists()


def test_killed_build_restarts_to_exactly_the_expected_rows(tmp_path, cifar10_root):
    root = tmp_path / "db"
    args = [sys.executable, "-m", "naswot_db", *build_args(
        root, cifar10_root, "--limit", "30", "--init-seeds", "0-1", "--chunk-size", "1")]
    kill_after_parts(args, root, 3)
    killed_rows = read_table(root, "scores").num_rows
    assert 0 < killed_rows < 60
    subprocess.run(args, env=one_thread_env(), check=True, capture_output=True)
    scores = read_table(root, "scores")
    keys = list(zip(scores["arch_id"].to_pylist(), scores["init_seed"].to_pylist()))
    assert len(keys) == 60 and len(set(keys)) == 60
    assert set(scores["status"].to_pylist()) <= {"ok", "singular"}


def test_workers_store_the_same_scores_as_one_process(tmp_path, cifar10_root):
    runner = CliRunner()
    for name, workers in (("one", "1"), ("two", "2")):
        result = runner.invoke(main, build_args(tmp_path / name, cifar10_root, "--limit", "5",
                                                "--workers", workers))
        assert result.exit_code == 0, result.output
    one, two = (read_table(tmp_path / name, "scores").sort_by("arch_id") for name in ("one", "two"))
    assert one["arch_id"].to_pylist() == two["arch_id"].to_pylist() == [0, 1, 2, 3, 4]
    assert one["value"].to_pylist() == two["value"].to_pylist()
    # archs are claimed at run time, so either worker may have written any of them
    assert {p.name.split("-w")[1][0] for p in (tmp_path / "two").rglob("*-w*.parquet")} <= {"0", "1"}


def test_workers_claim_every_position_exactly_once():
    next_index = multiprocessing.get_context("spawn").Value("q", 0)
    positions = np.array([4, 8, 15, 16, 23, 42])
    first = claimed_positions(positions, next_index)
    second = claimed_positions(positions, next_index)
    taken = [next(first), next(second), next(second), next(first)]
    taken += list(first) + list(second)
    assert taken == [4, 8, 15, 16, 23, 42]


@pytest.mark.parametrize("archs, expected", [(10, 1), (60, 2)])
def test_without_workers_a_cpu_build_of_50_scorings_or_more_runs_one_process_per_thread(
        tmp_path, archs, expected):
    """The measured default: the second process's start-up costs more than it saves on a
    small build and less on a large one (ONE_PER_THREAD_FROM)."""
    from naswot_db.builder.runner import BuildConfig, run_build
    from naswot_db.builder.runner.devices import ONE_PER_THREAD_FROM

    assert 10 < ONE_PER_THREAD_FROM <= 60
    threads = torch.get_num_threads()
    torch.set_num_threads(2)
    try:
        run_build(BuildConfig(space="nb201", dataset="cifar10", root=tmp_path, score="params",
                              arch_ids=list(range(archs)), device="cpu", progress=False))
    finally:
        torch.set_num_threads(threads)
    config = json.loads(read_table(tmp_path, "runs")["config"][0].as_py())
    assert config["workers"] == expected
    assert len(config["worker_devices"]) == expected
    assert read_table(tmp_path, "scores").num_rows == archs
