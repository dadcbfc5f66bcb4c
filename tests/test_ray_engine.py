"""--engine ray on a real local Ray cluster (2 CPUs): the local engine's rows, a killed actor,
per-arch progress, a score plug-in registered only in the driver."""

from __future__ import annotations

import dataclasses
import importlib
import json
import sys
import threading
import time
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from naswot_db.builder.runner import BuildConfig, BuildError, ray_engine, run_build
from naswot_db.cli import main
from naswot_db.schema import SCORES, part_files, read_table

from conftest import write_cifar10
from plugin_scores import LabelRank, PositiveOutputs, register_for_test

ray = pytest.importorskip("ray")
build_module = importlib.import_module("naswot_db.builder.runner.run")

KEY = ("arch_id", "init_seed", "batch_seed")
COLUMNS = (*KEY, "value", "status", "error", "reference_raises", "config_id")
ARCHS, INIT_SEEDS, BATCH = 20, [0, 1], 8


@pytest.fixture(scope="module")
def cluster():
    """One local Ray instance for the module; builds join it instead of starting their own."""
    ray.init(num_cpus=2, num_gpus=0, include_dashboard=False, log_to_driver=False)
    yield
    ray.shutdown()


@pytest.fixture(scope="module")
def data_root(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("cifar")
    write_cifar10(root)
    return root


def config(root: Path, data_root: Path, **extra) -> BuildConfig:
    return BuildConfig(space="nb201", dataset="cifar10", root=root, data_root=data_root,
                       init_seeds=INIT_SEEDS, batch_size=BATCH, limit=ARCHS, device="cpu",
                       progress=False, **extra)


def rows(root: Path) -> list[tuple]:
    table = read_table(root, "scores")
    return sorted(zip(*(table.column(name).to_pylist() for name in COLUMNS)))


@pytest.fixture(scope="module")
def local_rows(tmp_path_factory, data_root) -> list[tuple]:
    root = tmp_path_factory.mktemp("local")
    run_build(config(root, data_root))
    return rows(root)


def test_ray_build_stores_the_local_engines_rows(tmp_path, cluster, data_root, local_rows):
    root = tmp_path / "db"
    result = CliRunner().invoke(main, [
        "build", "--space", "nb201", "--dataset", "cifar10", "--root", str(root),
        "--data-root", str(data_root), "--init-seeds", "0-1", "--batch-size", str(BATCH),
        "--limit", str(ARCHS), "--device", "cpu", "--quiet", "--engine", "ray",
        "--workers", "2"])
    assert result.exit_code == 0, result.output
    assert f"{ARCHS * len(INIT_SEEDS)} rows written" in result.output
    assert rows(root) == local_rows  # bit-identical values, same keys
    run = read_table(root, "runs").to_pylist()[0]
    described = json.loads(run["config"])
    assert (described["engine"], described["workers"]) == ("ray", 2)
    assert len(described["worker_devices"]) == 2 and "cpu" in run["device"]
    again = run_build(config(root, data_root, engine="ray", workers=2))  # resume: nothing left
    assert (again.rows_written, again.rows_skipped) == (0, ARCHS * len(INIT_SEEDS))


def test_a_killed_actor_loses_no_row_and_writes_none_twice(tmp_path, cluster, data_root,
                                                           local_rows):
    root = tmp_path / "db"
    summaries = []
    build = threading.Thread(target=lambda: summaries.append(run_build(config(
        root, data_root, engine="ray", workers=2, chunk_size=1))))
    build.start()
    deadline = time.monotonic() + 120
    while not part_files(root, SCORES, "nb201") and time.monotonic() < deadline:
        time.sleep(0.01)  # the first chunk is stored: the build is under way
    victims = [name for name in ray.util.list_named_actors() if name.startswith("naswot-db-")]
    assert build.is_alive() and victims, "the build ended before an actor could be killed"
    ray.kill(ray.get_actor(sorted(victims)[0]))
    build.join()
    assert summaries and summaries[0].rows_written == ARCHS * len(INIT_SEEDS)
    stored = rows(root)
    assert Counter(row[:3] for row in stored).most_common(1)[0][1] == 1  # each key once
    assert stored == local_rows
    described = json.loads(read_table(root, "runs").to_pylist()[0]["config"])
    assert len(described["worker_devices"]) == 3  # the dead actor was replaced


def test_progress_moves_per_arch_not_per_chunk(tmp_path, cluster, data_root, monkeypatch):
    """Actors stream each arch's rows: the bar moves once per arch as its rows arrive, while a
    chunk holds 2 archs."""
    events = []
    add = ray_engine.ChunkWriter.add

    class RecordingBar(build_module.tqdm):
        def update(self, n=1):
            events.append(("bar", n))
            return super().update(n)

    def recording_add(writer, arch_rows):
        events.append(("rows", len(arch_rows)))
        add(writer, arch_rows)

    monkeypatch.setattr(build_module, "tqdm", RecordingBar)
    monkeypatch.setattr(ray_engine.ChunkWriter, "add", recording_add)
    one_seed = dataclasses.replace(config(tmp_path / "db", data_root, engine="ray", workers=2),
                                   init_seeds=[0])
    run_build(one_seed)
    assert len(ray_engine.chunks(np.arange(ARCHS), 2, one_seed.chunk_size)[0]) == 2
    assert events == [("rows", 1), ("bar", 1)] * ARCHS


def test_a_plugin_registered_in_the_driver_scores_on_the_actors(tmp_path, cluster, data_root,
                                                                monkeypatch):
    """Actors start with only the built-in scores and cannot import the test's module; the
    plug-in's class travels by value and gives the one-process build's rows."""
    register_for_test(monkeypatch, LabelRank)
    one_process, on_ray = tmp_path / "one", tmp_path / "ray"
    for root, engine in ((one_process, {}), (on_ray, {"engine": "ray", "workers": 2})):
        run_build(dataclasses.replace(config(root, data_root, score="label-rank", **engine),
                                      limit=10))
    assert rows(on_ray) == rows(one_process)
    assert {row[4] for row in rows(on_ray)} == {"ok"} and len({r[3] for r in rows(on_ray)}) > 1


def test_a_build_of_several_scores_on_ray_stores_the_local_rows(tmp_path, cluster, data_root,
                                                               monkeypatch):
    """Each actor scores every score of an arch (a built-in, a plug-in needing labels, one
    needing no data); the rows, keyed per score, equal the one-process build's."""
    register_for_test(monkeypatch, LabelRank, PositiveOutputs)
    scores = "naswot,label-rank,positive-outputs"
    one_process, on_ray = tmp_path / "one", tmp_path / "ray"
    for root, engine in ((one_process, {}), (on_ray, {"engine": "ray", "workers": 2})):
        summary = run_build(dataclasses.replace(config(root, data_root, score=scores, **engine),
                                                limit=6))
        assert summary.rows_written == 3 * 6 * len(INIT_SEEDS)
    stored = read_table(on_ray, "scores")
    assert rows(on_ray) == rows(one_process)
    assert sorted(set(stored["score"].to_pylist())) == sorted(scores.split(","))


def test_ray_actors_make_their_scorers_with_the_builds_settings(tmp_path, cluster, data_root):
    """A setting set in the driver (synflow's log) reaches the actors: their rows equal the
    one-process build's, under the set configuration, not the default's values."""
    settings = {"score": "synflow", "score_settings": ["synflow.log_compress=true"]}
    one_process, on_ray, default = tmp_path / "one", tmp_path / "ray", tmp_path / "default"
    for root, extra in ((one_process, settings), (on_ray, settings | {"engine": "ray",
                                                                      "workers": 2}),
                        (default, {"score": "synflow"})):
        run_build(dataclasses.replace(config(root, data_root, **extra), limit=4))
    assert rows(on_ray) == rows(one_process)
    assert {row[3] for row in rows(on_ray)}.isdisjoint(row[3] for row in rows(default))


def test_without_ray_the_engine_says_how_to_install_it(tmp_path, data_root, monkeypatch):
    monkeypatch.setitem(sys.modules, "ray", None)  # `import ray` now fails as if not installed
    root = tmp_path / "db"
    result = CliRunner().invoke(main, [
        "build", "--space", "nb201", "--dataset", "cifar10", "--root", str(root),
        "--data-root", str(data_root), "--limit", "2", "--engine", "ray"])
    assert result.exit_code == 1
    assert result.output.strip().splitlines() == [
        'Error: the Ray engine needs Ray: pip install "naswot-db[ray]" (or pip install ray)']
    assert not root.exists()


def test_requests_the_cluster_cannot_meet_are_one_error_before_any_row(tmp_path, cluster,
                                                                      data_root):
    root = tmp_path / "db"
    with pytest.raises(BuildError, match="needs 4 CPUs; the Ray cluster has 2"):
        run_build(config(root, data_root, engine="ray", workers=2, cpus_per_worker=2.0))
    with pytest.raises(BuildError, match="Ray worker: device 'cuda' requested but CUDA is not"):
        run_build(dataclasses.replace(config(root, data_root, engine="ray", workers=1),
                                      device="cuda"))
    assert not part_files(root, SCORES, "nb201")
