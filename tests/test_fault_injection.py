"""Fault injection: concurrent builds, kill -9 of parent / one worker / the whole group at
random moments, kills during ingest and during compact.  Each scenario ends with exactly the
expected keys, each once, and ``naswot-db check`` clean.

Real processes, real signals, real Parquet.  Run with ``-m slow`` (CI runs everything).
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import duckdb
import pyarrow.parquet as pq
import pytest
from conftest import write_cifar10
from nats_files import sss_meta_archs, write_fast_mode_dir
from naswot_db.testing.query_tables import score_part, write

from naswot_db.core.errors import NaswotDbError
from naswot_db.query import connect
from naswot_db.schema.checks import check_findings
from naswot_db.schema.layout import partition_dir
from naswot_db.schema.tables import SCORES

pytestmark = pytest.mark.slow

ENV = {**os.environ, "OMP_NUM_THREADS": "1"}
SEED = int.from_bytes(os.urandom(4), "little")  # printed by failing asserts via RNG
RNG = random.Random(SEED)
ARCHS, INIT_SEEDS = 12, 2  # --limit 12 --init-seeds 0-1: 24 keys


@pytest.fixture
def cifar(tmp_path) -> Path:
    root = tmp_path / "cifar"
    write_cifar10(root)
    return root


def build_command(root: Path, cifar: Path, *extra: str) -> list[str]:
    return [sys.executable, "-m", "naswot_db", "build", "--space", "nb201", "--dataset",
            "cifar10", "--root", str(root), "--data-root", str(cifar), "--batch-size", "4",
            "--limit", str(ARCHS), "--init-seeds", f"0-{INIT_SEEDS - 1}", "--chunk-size", "1",
            "--quiet", *extra]


def start(command: list[str]) -> subprocess.Popen:
    return subprocess.Popen(command, env=ENV, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, start_new_session=True)


def raw_score_rows(root: Path) -> int:
    directory = partition_dir(root, SCORES, "nb201")
    return sum(pq.read_metadata(p).num_rows for p in directory.glob("*.parquet")
               if not p.name.startswith("."))


def wait_for_parts(root: Path, process: subprocess.Popen, at_least: int = 1) -> None:
    directory = partition_dir(root, SCORES, "nb201")
    deadline = time.monotonic() + 180
    while len([p for p in directory.glob("*.parquet")]) < at_least:
        assert process.poll() is None, process.communicate()
        assert time.monotonic() < deadline
        time.sleep(0.02)


def children(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        found += [int(c) for c in (task / "children").read_text().split()]
    return found


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return False
    return state not in ("Z", "X")


def assert_exact_keys_once(root: Path, archs: int = ARCHS, init_seeds: int = INIT_SEEDS) -> None:
    expected = {(a, i) for a in range(archs) for i in range(init_seeds)}
    with connect(root) as connection:
        keys = connection.execute(
            "SELECT arch_id, init_seed FROM scores WHERE space = 'nb201'").fetchall()
    assert sorted(keys) == sorted(expected), f"seed {SEED}"
    assert raw_score_rows(root) == len(expected), f"seed {SEED}: duplicate rows on disk"
    assert check_findings(root) == [], f"seed {SEED}"


def restart(root: Path, cifar: Path, *extra: str) -> str:
    done = subprocess.run(build_command(root, cifar, *extra), env=ENV, capture_output=True,
                          text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_concurrent_identical_builds_store_each_key_once(tmp_path, cifar):
    root = tmp_path / "db"
    processes = [start(build_command(root, cifar)) for _ in range(2)]
    results = [(p.wait(timeout=600), *p.communicate()) for p in processes]
    codes = sorted(code for code, _, _ in results)
    assert codes[0] == 0, results
    refused = [err for code, _, err in results if code == 1]
    for err in refused:  # the later one is told who holds the build, in one line
        assert "is already running on" in err and "pid" in err, err
        assert [line for line in err.splitlines() if line.startswith("Error")] == \
            err.strip().splitlines()[-1:]
    assert codes[1] in (0, 1)
    print(f"concurrent builds: exit codes {codes}, {raw_score_rows(root)} rows for "
          f"{ARCHS * INIT_SEEDS} keys")
    assert_exact_keys_once(root)


@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGTERM])
def test_killing_the_parent_kills_its_workers(tmp_path, cifar, sig):
    root = tmp_path / "db"
    parent = start(build_command(root, cifar, "--workers", "2"))
    wait_for_parts(root, parent)
    time.sleep(RNG.uniform(0, 0.5))
    workers = children(parent.pid)
    os.kill(parent.pid, sig)
    parent.wait(timeout=60)
    deadline = time.monotonic() + 10
    while any(alive(w) for w in workers) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not any(alive(w) for w in workers), f"workers outlived their parent (seed {SEED})"
    rows = raw_score_rows(root)
    time.sleep(1.0)
    assert raw_score_rows(root) == rows, "something still writes after the build died"
    print(f"{sig.name} of the parent: {rows} rows when killed")
    restart(root, cifar, "--workers", "2")
    assert_exact_keys_once(root)


def test_killing_one_worker_fails_the_build_and_a_restart_completes(tmp_path, cifar):
    root = tmp_path / "db"
    parent = start(build_command(root, cifar, "--workers", "2"))
    wait_for_parts(root, parent)
    time.sleep(RNG.uniform(0, 0.5))
    workers = children(parent.pid)
    assert workers
    os.kill(RNG.choice(workers), signal.SIGKILL)
    code = parent.wait(timeout=120)
    _, err = parent.communicate()
    if code != 0:  # the other worker may have finished everything already
        assert err.strip().splitlines()[-1].startswith("Error: build worker(s)"), err
    print(f"kill of one worker: build exit {code}, {raw_score_rows(root)} rows")
    restart(root, cifar, "--workers", "2")
    assert_exact_keys_once(root)


def test_killing_the_whole_group_then_restarting(tmp_path, cifar):
    root = tmp_path / "db"
    for attempt in range(3):  # killed at several random moments, restarted each time
        parent = start(build_command(root, cifar, "--workers", "2"))
        time.sleep(RNG.uniform(0.5, 6.0))
        os.killpg(parent.pid, signal.SIGKILL)
        parent.wait(timeout=60)
        print(f"group kill {attempt}: {raw_score_rows(root)} rows")
    restart(root, cifar, "--workers", "2")
    assert_exact_keys_once(root)


def _ground_truth_pair(root: Path) -> tuple[int, int, set[str]]:
    with connect(root) as connection:
        archs = connection.execute(
            "SELECT count(*) FROM archs WHERE space = 'nats-sss'").fetchall()[0][0]
        accuracies, sources = connection.execute(
            "SELECT count(*), list(DISTINCT source) FROM accuracies "
            "WHERE space = 'nats-sss'").fetchall()[0]
    return archs, accuracies, set(sources or [])


def test_a_killed_ingest_leaves_the_old_or_the_new_ground_truth(tmp_path):
    meta = sss_meta_archs()
    budgets = {"12": (12, [777]), "90": (90, [777])}
    small = write_fast_mode_dir(tmp_path / "a" / "NATS-sss-v1_0-50262-simple", meta,
                                list(range(5)), budgets)
    large = write_fast_mode_dir(tmp_path / "b" / "NATS-sss-v1_0-50262-simple", meta,
                                list(range(60)), budgets)
    root = tmp_path / "db"

    def ingest(source: Path) -> subprocess.Popen:
        return start([sys.executable, "-m", "naswot_db", "ingest", "--space", "nats-sss",
                      "--source", str(source), "--root", str(root)])

    assert ingest(small).wait(timeout=300) == 0
    complete = {5: _ground_truth_pair(root)}
    assert ingest(large).wait(timeout=300) == 0
    complete[60] = _ground_truth_pair(root)
    assert ingest(small).wait(timeout=300) == 0
    archs_dir = root / "archs" / "space=nats-sss"
    seen = set()
    for attempt in range(8):
        process = ingest(large if attempt % 2 == 0 else small)
        before = set(archs_dir.iterdir())
        if attempt < 4:  # the moment the first new table part lands: between the two writes
            while set(archs_dir.iterdir()) == before and process.poll() is None:
                pass
        else:
            time.sleep(RNG.uniform(0.5, 4.0))
        process.kill()
        process.wait()
        state = _ground_truth_pair(root)
        assert state in complete.values(), f"a mix after a kill (seed {SEED}): {state}"
        seen.add(state[0])
    print(f"killed ingests left {sorted(seen)} archs (each a complete ground truth)")
    assert ingest(large).wait(timeout=300) == 0
    assert _ground_truth_pair(root) == complete[60]
    assert check_findings(root) == []


def _many_parts(root: Path, parts: int, archs: int) -> int:
    """``parts`` parts of ``archs`` rows (one init seed each) plus 20 duplicate parts."""
    for seed in range(parts):
        write(root, "scores", score_part("toy", list(range(archs)), [float(seed)] * archs,
                                         init_seed=seed), "toy")
    for seed in range(20):
        write(root, "scores", score_part("toy", list(range(archs)), [float(seed)] * archs,
                                         init_seed=seed), "toy")
    return parts * archs


def test_kills_during_compact_and_readers_during_it_see_each_key_once(tmp_path):
    root = tmp_path / "db"
    expected = _many_parts(root, 300, 400)
    counts: list[tuple[int, int]] = []
    stop, grace_zero = threading.Event(), threading.Event()
    vanished: list[str] = []

    def read_while_compacting() -> None:
        while not stop.is_set():
            try:
                with connect(root) as connection:
                    counts.append(connection.execute(
                        "SELECT count(*), count(DISTINCT (arch_id, init_seed)) FROM scores "
                        "WHERE space = 'toy'").fetchall()[0])
            except (duckdb.Error, NaswotDbError) as exc:
                # only `compact --grace 0` deletes parts a query listed a moment before: such a
                # query fails (run it again); with a grace time none does
                assert grace_zero.is_set(), exc
                vanished.append(str(exc).splitlines()[0])

    reader = threading.Thread(target=read_while_compacting)
    reader.start()
    try:
        for attempt in range(3):
            process = start([sys.executable, "-m", "naswot_db", "compact", "--root", str(root)])
            time.sleep(RNG.uniform(0.3, 3.0))
            process.kill()
            process.wait()
        grace_zero.set()
        done = subprocess.run([sys.executable, "-m", "naswot_db", "compact", "--root",
                               str(root), "--grace", "0"], env=ENV, capture_output=True,
                              text=True, timeout=600)
        assert done.returncode == 0, done.stderr
    finally:
        stop.set()
        reader.join()
    assert counts and set(counts) == {(expected, expected)}, f"seed {SEED}: {set(counts)}"
    directory = partition_dir(root, SCORES, "toy")
    assert sum(pq.read_metadata(p).num_rows for p in directory.glob("*.parquet")) == expected
    assert check_findings(root) == []
    print(f"compact killed 3 times: {len(counts)} reads during it, each {expected} keys once; "
          f"{len(vanished)} reads during --grace 0 found a part deleted")
