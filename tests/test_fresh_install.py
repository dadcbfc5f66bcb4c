"""A fresh install answers the paper's NB201 search from the shipped tables, and finds its root
from any working directory without writing one."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest
from naswot_db.testing.query_tables import score_part, write

from naswot_db.query.info import root_info
from naswot_db.schema import SCHEMA_VERSION, SCORES, default_root, part_files, shipped_root
from naswot_db.schema.storage import ROOT_ENV


def _fresh_env(home: Path) -> dict[str, str]:
    """The environment of a new user: an empty home, no root or XDG folder configured."""
    env = {k: v for k, v in os.environ.items()
           if k not in (ROOT_ENV, "XDG_DATA_HOME", "NASWOT_DB_VALIDATION_DATA")}
    env["HOME"] = str(home)
    return env


def _naswot_db(home: Path, cwd: Path, *args: str,
               timeout: int = 120) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "naswot_db", *args], cwd=cwd,
                          env=_fresh_env(home), capture_output=True, text=True, timeout=timeout)


def _shipped_scores() -> set[str]:
    """The scores of the NB201 files shipped in data/shipped, read from the files themselves."""
    return {name for part in part_files(shipped_root(), SCORES, "nb201")
            for name in pq.read_table(part, columns=["score"]).column("score").to_pylist()}


@pytest.fixture
def fresh(tmp_path) -> tuple[Path, Path]:
    home, cwd = tmp_path / "home", tmp_path / "cwd"
    home.mkdir()
    cwd.mkdir()
    return home, cwd


def test_search_and_info_work_with_no_build(fresh):
    home, cwd = fresh
    search = _naswot_db(home, cwd, "search", "--space", "nb201", "--n", "10,100,1000")
    assert search.returncode == 0, search.stderr
    lines = search.stdout.splitlines()
    assert "shipped with naswot-db, config e546981146c498f7" in lines[0]
    naswot = [line for line in lines if line.startswith("NASWOT")]
    assert [line.split()[1] for line in naswot] == ["10", "100", "1000"]
    # C10 test of the shipped build, as PROVENANCE.md records it
    assert [line.split()[5:8] for line in naswot] == [
        ["92.45", "±", "1.26"], ["92.79", "±", "0.98"], ["92.90", "±", "0.74"]]
    assert "does not exist" in search.stderr

    info = _naswot_db(home, cwd, "info", "--format", "json")
    assert info.returncode == 0, info.stderr
    described = json.loads(info.stdout)
    assert described["exists"] is False
    assert Path(described["root"]).is_relative_to(home)  # the per-user data folder
    assert [(s["space"], s["config_id"], s["replicates"], s["ok"], s["singular"], s["origin"])
            for s in described["scores"] if s["score"] == "naswot"] == [
        ("nb201", "e546981146c498f7", 1, 15_424, 201, "shipped")]
    assert {(s["score"], s["archs"], s["origin"]) for s in described["scores"]} == {
        (score, 15_625, "shipped") for score in _shipped_scores()}
    assert {(g["dataset"], g["split"], g["epochs"], g["origin"])
            for g in described["ground_truth"]} >= {("cifar10-valid", "x-valid", 200, "shipped"),
                                                     ("cifar10", "ori-test", 200, "shipped")}
    assert not any(home.rglob("*")) and not any(cwd.iterdir())  # queries never write


def test_corr_all_ranks_every_shipped_score_and_names_them(fresh):
    home, cwd = fresh
    out = _naswot_db(home, cwd, "corr", "--space", "nb201", "--score", "all",
                     "--target", "cifar10-valid:x-valid", "--format", "csv")
    assert out.returncode == 0, out.stderr
    board = pd.read_csv(io.StringIO(out.stdout))
    shipped = _shipped_scores()
    assert set(board["score"]) == shipped and set(board["origin"]) == {"shipped"}
    assert (board["n"] > 15_000).all()  # the whole space, less its singular and NaN rows
    note = next(line for line in out.stderr.splitlines() if "shipped with naswot-db;" in line)
    assert all(f"{score} of nb201 on cifar10" in note for score in shipped)


def test_search_table_loads_neither_pandas_nor_the_budgeted_searches(fresh):
    """pandas alone costs a fresh process more than the whole search (bench/cli_latency.py):
    the plain search table is drawn, rendered and printed without it."""
    home, cwd = fresh
    probe = ("import runpy, sys\n"
             "sys.argv = ['naswot-db', 'search', '--space', 'nb201', '--n', '10']\n"
             "try:\n    runpy.run_module('naswot_db', run_name='__main__')\n"
             "except SystemExit:\n    pass\n"
             "print(sorted(m for m in ('pandas', 'torch', 'naswot_db.query.searches.simulate',"
             " 'naswot_db.query.searches.rea') if m in sys.modules))\n")
    done = subprocess.run([sys.executable, "-c", probe], cwd=cwd, env=_fresh_env(home),
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "NASWOT" in done.stdout and done.stdout.splitlines()[-1] == "[]"


def test_default_root_is_the_same_from_any_directory(tmp_path, monkeypatch):
    monkeypatch.delenv(ROOT_ENV, raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    roots = []
    for folder in (tmp_path, shipped_root(), Path(__file__).parent):
        monkeypatch.chdir(folder)
        roots.append(default_root())
    assert roots == [tmp_path / "xdg" / "naswot-db"] * 3  # never the package's own folder
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv(ROOT_ENV, "relative/db")
    assert default_root() == tmp_path / "relative" / "db"  # made absolute when read


def test_table_info_lists_shipped_and_own_rows(tmp_path):
    write(tmp_path, "scores", score_part("nats-sss", [0, 1, 2], [1.0, float("-inf"), float("nan")],
                                         init_seed=3), "nats-sss")
    described = root_info(tmp_path)
    scores = described.scores.set_index("space")
    assert scores.loc["nats-sss", ["replicates", "ok", "singular", "error", "origin"]].tolist() == [
        1, 1, 1, 1, "built"]
    assert set(scores.loc[["nb201"], "origin"]) == {"shipped"}  # one row per shipped score
    assert described.header() == f"root {tmp_path}: schema version {SCHEMA_VERSION}"


def test_every_search_method_answers_from_the_shipped_tables(fresh):
    """``search --method all --runs 500`` on a fresh install: REA and AREA on the shipped
    12-epoch seed means, charged the modelled cost, beside the paper's rows (README, "REA and
    AREA": the figures below are this table's)."""
    home, cwd = fresh
    out = _naswot_db(home, cwd, "search", "--space", "nb201", "--method", "all", "--runs", "500")
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    assert all("(seed mean; no per-seed values stored), cost modelled: op-count fit, "
               "TIME-MODEL.md" in line for line in lines[1:4])
    rows = {line[:26].strip(): line[26:].split() for line in lines[6:]}
    assert rows["REA"][:3] == ["91.15", "±", "0.42"]
    assert rows["REA (paper, 500 runs)"][:3] == ["91.19", "±", "0.31"]
    assert rows["AREA (paper, 50 runs)"][:3] == ["91.20", "±", "0.27"]
    assert rows["random search"][:3] == ["90.94", "±", "0.36"]
    assert not any(home.rglob("*")) and not any(cwd.iterdir())


def test_nb101_is_listed_labelled_and_built_with_no_ingest(fresh, cifar10_root):
    home, cwd = fresh
    count = _naswot_db(home, cwd, "sql", "select count(*) AS n from archs where space = 'nb101'",
                       "--format", "csv")
    assert count.returncode == 0, count.stderr
    assert count.stdout.split() == ["n", "423624"]
    build = _naswot_db(home, cwd, "build", "--space", "nb101", "--dataset", "cifar10",
                       "--data-root", str(cifar10_root), "--limit", "3", "--root", "db",
                       "--batch-size", "8", "--quiet", timeout=600)  # a loaded CI machine
    assert build.returncode == 0, build.stderr
    joined = _naswot_db(home, cwd, "sql", "select arch_id, acc_split, acc_epochs, accuracy "
                        "from scored where space = 'nb101' order by arch_id", "--root", "db",
                        "--format", "json")
    assert joined.returncode == 0, joined.stderr
    rows = json.loads(joined.stdout)
    assert [row["arch_id"] for row in rows] == [0, 1, 2]
    assert all(row["acc_split"] == "test" and row["acc_epochs"] == 108 and
               50 < row["accuracy"] < 100 for row in rows)
    corr = _naswot_db(home, cwd, "corr", "--space", "nb101", "--root", "db")
    assert corr.returncode == 0, corr.stderr
    assert "ground truth shipped with naswot-db (nb101: NAS-Bench-101 108-epoch" in corr.stderr
