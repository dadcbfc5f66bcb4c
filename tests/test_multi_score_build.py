"""One build, many scores: a suite build stores exactly the rows of one build per score, resumes
and extends per score, runs the same in --workers processes, and needs no images when no score
does; bad score lists are one error line before anything is written."""

from __future__ import annotations

import json
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
from click.testing import CliRunner

from naswot_db.builder.datasets.download import DATA_ENV
from naswot_db.builder.runner import BuildConfig, BuildError, run_build
from naswot_db.cli import main
from naswot_db.schema import read_table
from naswot_db.schema.locks import LockHeldError, exclusive
from naswot_db.core.scores import expand_scores, suite_zero_names

from killed_builds import kill_after_parts, one_thread_env
from plugin_scores import (EvalNoise, LabelRank, OneStepLoss, OutputNorm, PositiveOutputs,
                           register_for_test)

ROW = ("score", "config_id", "arch_id", "init_seed", "batch_seed", "value", "status", "error",
       "reference_raises", "dataset", "batch_size")
# every kind of score a build hands different things: real (naswot, jacov), labels, a changed
# network, no data, and one reading the state other scores leave behind
SUITE = ("naswot", "jacov", "label-rank", "one-step-loss", "output-norm", "eval-noise")


@pytest.fixture
def plugins(monkeypatch):
    register_for_test(monkeypatch, LabelRank, OneStepLoss, OutputNorm, PositiveOutputs, EvalNoise)


def build(root: Path, score: str, data_root: Path | None, **extra):
    settings = {"arch_ids": [5, 9], "init_seeds": [0, 1], "batch_seeds": [0, 1],
                "batch_size": 6} | extra
    return run_build(BuildConfig(space="nb201", dataset="cifar10", root=root,
                                 data_root=data_root, score=score, device="cpu", progress=False,
                                 **settings))


def rows(root: Path) -> list[tuple]:
    table = read_table(root, "scores", space="nb201")
    return sorted(zip(*(table.column(name).to_pylist() for name in ROW)), key=repr)


def by_score(stored: list[tuple]) -> dict[str, list[tuple]]:
    grouped: dict[str, list[tuple]] = {}
    for row in stored:
        grouped.setdefault(row[0], []).append(row)
    return grouped


def test_a_suite_build_stores_bit_for_bit_the_rows_of_one_build_per_score(plugins, tmp_path,
                                                                         cifar10_root):
    suite = build(tmp_path / "suite", ",".join(SUITE), cifar10_root, arch_ids=[9])
    stored = by_score(rows(tmp_path / "suite"))
    assert list(suite.config_ids) == list(SUITE) and suite.rows_written == len(SUITE) * 4
    for score in SUITE:
        alone = build(tmp_path / score, score, cifar10_root, arch_ids=[9])
        assert alone.config_ids == {score: suite.config_ids[score]}  # its own config id
        assert rows(tmp_path / score) == stored[score], score
        assert {row[6] for row in stored[score]} == {"ok"}, score
    assert len({row[5] for row in stored["eval-noise"]}) == 4  # every scoring tells apart
    run = read_table(tmp_path / "suite", "runs").to_pylist()[0]
    described = json.loads(run["config"])
    assert described["config_ids"] == suite.config_ids and run["rows_written"] == 24
    assert run["config_id"] == ",".join(suite.config_ids.values())


def test_suite_zero_proxies_sharing_passes_store_their_one_score_rows(tmp_path, cifar10_root):
    """grad_norm and snip share one cross-entropy backward, jacov and epe_nas one input
    gradient, on the network with a class head; naswot and nwot score the one-unit network
    (whose passes must not take a loss on labels); synflow changes weights.  Each score's rows
    equal its one-score build's, with its own config id."""
    scores = ("naswot", "nwot", "grad_norm", "snip", "jacov", "epe_nas", "synflow")
    settings = {"arch_ids": [9], "init_seeds": [0], "batch_seeds": [0, 1], "batch_size": 8}
    suite = build(tmp_path / "suite", ",".join(scores), cifar10_root, **settings)
    stored = by_score(rows(tmp_path / "suite"))
    for score in scores:
        alone = build(tmp_path / score, score, cifar10_root, **settings)
        assert alone.config_ids == {score: suite.config_ids[score]}
        assert rows(tmp_path / score) == stored[score], score
        assert {row[6] for row in stored[score]} == {"ok"}, score


def test_grasp_and_the_jacobian_on_the_loss_pass_forward_store_their_one_score_rows(
        tmp_path, cifar10_root):
    """epe_nas, fisher and grasp plan their passes on one forward of the loss pass (the build
    restores the network's buffers between them); each score's rows equal its one-score
    build's, bit for bit."""
    scores = ("epe_nas", "fisher", "grasp")
    settings = {"arch_ids": [9], "init_seeds": [0], "batch_seeds": [0], "batch_size": 8}
    build(tmp_path / "suite", ",".join(scores), cifar10_root, **settings)
    stored = by_score(rows(tmp_path / "suite"))
    for score in scores:
        build(tmp_path / score, score, cifar10_root, **settings)
        assert rows(tmp_path / score) == stored[score], score
        assert {row[6] for row in stored[score]} == {"ok"}, score


def test_the_next_init_seed_starts_in_the_modes_of_a_fresh_build(plugins, tmp_path,
                                                                 cifar10_root):
    """The network is re-drawn in place for init seed 1 after eval-noise left it in eval mode;
    label-rank (which sets no mode) must still see it in train mode, as built."""
    settings = {"arch_ids": [9], "batch_seeds": [0]}
    build(tmp_path / "both", "label-rank,eval-noise", cifar10_root, **settings)
    build(tmp_path / "alone", "label-rank", cifar10_root, **settings)
    assert by_score(rows(tmp_path / "both"))["label-rank"] == rows(tmp_path / "alone")


def test_a_one_score_build_resumes_a_suite_build_and_the_other_way(plugins, tmp_path,
                                                                   cifar10_root):
    root = tmp_path / "db"
    build(root, "naswot", cifar10_root, arch_ids=[5, 9, 11])
    build(root, "label-rank", cifar10_root, arch_ids=[5])
    suite = build(root, "naswot,label-rank,output-norm", cifar10_root, arch_ids=[5, 9, 11, 14])
    # stored: naswot 3 archs, label-rank 1 arch, output-norm none; x 4 seed pairs
    assert (suite.rows_written, suite.rows_skipped) == (4 * (1 + 3 + 4), 4 * (3 + 1))
    assert build(root, "label-rank", cifar10_root, arch_ids=[5, 9, 11, 14]).rows_written == 0
    keys = Counter(row[:5] for row in rows(root))
    assert len(keys) == 3 * 4 * 4 and set(keys.values()) == {1}
    assert {(row[0], row[1]) for row in rows(root)} == set(suite.config_ids.items())


def test_adding_a_score_to_a_root_scores_only_the_new_one(plugins, tmp_path, cifar10_root):
    root = tmp_path / "db"
    build(root, "naswot,label-rank", cifar10_root)
    before = rows(root)
    more = build(root, "naswot,label-rank,jacov", cifar10_root)
    assert (more.rows_written, more.rows_skipped) == (8, 16)
    after = rows(root)
    assert set(before) < set(after) and {row[0] for row in set(after) - set(before)} == {"jacov"}
    build(tmp_path / "jacov", "jacov", cifar10_root)
    assert by_score(after)["jacov"] == rows(tmp_path / "jacov")


def test_worker_processes_store_the_one_process_rows(plugins, tmp_path, cifar10_root):
    scores = "naswot,label-rank,positive-outputs"
    one = build(tmp_path / "one", scores, cifar10_root, arch_ids=None, limit=5)
    two = build(tmp_path / "two", scores, cifar10_root, arch_ids=None, limit=5, workers=2)
    assert one.rows_written == two.rows_written == 3 * 5 * 4
    assert rows(tmp_path / "two") == rows(tmp_path / "one")


def test_a_build_of_scores_needing_no_data_reads_no_images(plugins, tmp_path, monkeypatch):
    """No --data-root and no dataset anywhere: nothing is downloaded or read, and each score's
    rows equal its one-score build's, keyed as data-free ('no data' in the config id)."""
    monkeypatch.setenv(DATA_ENV, str(tmp_path / "cache"))  # a download would land here
    summary = build(tmp_path / "db", "output-norm,positive-outputs", None)
    assert summary.rows_written == 16 and summary.errors == 0
    assert not (tmp_path / "cache").exists()
    alone = build(tmp_path / "alone", "positive-outputs", None)
    assert alone.config_ids["positive-outputs"] == summary.config_ids["positive-outputs"]
    assert by_score(rows(tmp_path / "db"))["positive-outputs"] == rows(tmp_path / "alone")
    fingerprints = json.loads(read_table(tmp_path / "db", "runs")["data_fingerprint"][0].as_py())
    assert set(fingerprints) == {"0", "1"}


def test_each_score_holds_its_own_lock(plugins, tmp_path, cifar10_root):
    root = tmp_path / "db"
    first = build(root, "naswot,label-rank", cifar10_root, arch_ids=[5])
    label_rank = first.config_ids["label-rank"]
    with exclusive(root, f"build-nb201-{label_rank}", "a one-score build of label-rank"):
        with pytest.raises(LockHeldError,
                           match="a build of label-rank on nb201/cifar10 .* is already running"):
            build(root, "naswot,label-rank", cifar10_root, arch_ids=[5, 9])
        assert build(root, "naswot", cifar10_root, arch_ids=[5, 9]).rows_written == 4
    assert len(rows(root)) == 8 + 4


def test_a_killed_suite_build_restarts_to_exactly_the_expected_rows(tmp_path, cifar10_root):
    root = tmp_path / "db"
    args = [sys.executable, "-m", "naswot_db", "build", "--space", "nb201", "--dataset",
            "cifar10", "--root", str(root), "--data-root", str(cifar10_root), "--batch-size",
            "6", "--quiet", "--score", "naswot,JACOV", "--limit", "12", "--init-seeds", "0-1",
            "--chunk-size", "1"]
    kill_after_parts(args, root, 2)
    killed = rows(root)
    assert 0 < len(killed) < 48
    rerun = subprocess.run(args, env=one_thread_env(), check=True, capture_output=True,
                           text=True)
    assert f"{48 - len(killed)} rows written, {len(killed)} already stored" in rerun.stdout
    stored = rows(root)
    assert set(killed) <= set(stored)
    keys = Counter(row[:5] for row in stored)
    assert len(keys) == 48 and set(keys.values()) == {1}
    assert {row[0] for row in stored} == {"naswot", "jacov"}


def snapshot(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in root.rglob("*") if p.is_file()}


@pytest.mark.parametrize("score, message", [
    ("naswot,nope", "unknown score 'nope'"),
    ("naswot,,jacov", "empty score name"),
])
def test_a_bad_score_list_is_one_error_line_before_any_write(tmp_path, cifar10_root, score,
                                                            message):
    root = tmp_path / "db"
    base = ["build", "--space", "nb201", "--dataset", "cifar10", "--root", str(root),
            "--data-root", str(cifar10_root), "--batch-size", "6", "--limit", "1", "--quiet"]
    assert CliRunner().invoke(main, base).exit_code == 0
    before = snapshot(root)
    result = CliRunner().invoke(main, [*base, "--score", score])
    assert result.exit_code == 1 and message in result.output
    assert len(result.output.strip().splitlines()) == 1 and "Traceback" not in result.output
    assert snapshot(root) == before


def test_a_config_names_its_scores_canonically_and_checks_its_settings(tmp_path):
    config = BuildConfig(space="nb201", dataset="cifar10", root=tmp_path,
                         score=" NASWOT,Jacov,naswot", init_seeds=[2, 0, 2], arch_ids=[9, 5])
    assert (config.score, config.scores) == ("naswot,jacov", ("naswot", "jacov"))
    assert (config.init_seeds, config.arch_ids) == ([0, 2], [5, 9])
    suite = BuildConfig(space="nb201", dataset="cifar10", root=tmp_path, score="suite-zero")
    assert suite.scores == tuple(suite_zero_names()) and len(suite.scores) == 13
    assert BuildConfig(space="nb201", dataset="cifar10", root=tmp_path,
                       score="all").scores == tuple(expand_scores("all"))
    for bad, message in (({"batch_size": 0}, "--batch-size must be >= 1"),
                         ({"precision": "fp8"}, "unknown precision"),
                         ({"batch_seeds": []}, "at least one init seed"),
                         ({"init_seeds": [-1]}, "init seeds must be >= 0"),
                         ({"chunk_size": 0}, "--chunk-size must be >= 1"),
                         ({"engine": "spark"}, "unknown engine")):
        with pytest.raises(BuildError, match=message):
            BuildConfig(space="nb201", dataset="cifar10", root=tmp_path, **bad)
