"""Every command takes every accepted spelling of a space and means the same canonical space."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

import nats_files as nf
from naswot_db.cli import main
from naswot_db.schema import read_table
from naswot_db.schema.layout import spaces_in
from naswot_db.schema.tables import SCORES

SPELLINGS = {
    "nats-sss": ["nats-sss", "nats_sss", "NATS-SSS", "Nats_Sss"],
    "nb201": ["nb201", "NB201"],
}
_BUDGETS = {"90": (90, [777, 888])}


def _run(*args: str) -> str:
    result = CliRunner().invoke(main, list(args))
    assert result.exit_code == 0, result.output
    return result.output


@pytest.fixture(scope="module")
def root(tmp_path_factory) -> tuple:
    """A root with NATS-sss ground truth for archs 0-3 and their scores, built as ``nats_sss``."""
    folder = tmp_path_factory.mktemp("spellings")
    from conftest import write_cifar10

    write_cifar10(folder / "cifar")
    source = nf.write_fast_mode_dir(folder / "NATS-sss-v1_0-50262-simple", nf.sss_meta_archs(),
                                    [0, 1, 2, 3], _BUDGETS)
    root = folder / "db"
    _run("ingest", "--space", "NATS_SSS", "--source", str(source), "--root", str(root))
    return root, folder / "cifar"


@pytest.mark.parametrize("spelling", SPELLINGS["nats-sss"])
def test_build_then_query_with_every_spelling(root, spelling, tmp_path):
    db, cifar = root
    output = _run("build", "--space", spelling, "--dataset", "cifar10", "--root", str(db),
                  "--data-root", str(cifar), "--batch-size", "8", "--arch-ids", "0-3", "--quiet")
    assert "rows written" in output
    assert spaces_in(db, SCORES) == ["nats-sss"]  # one partition, whatever the spelling
    assert read_table(db, "scores", space="nats-sss").num_rows == 4  # built once, then resumed
    search = _run("search", "--space", spelling, "--root", str(db), "--n", "2", "--runs", "5")
    assert search.startswith("nats-sss, naswot scores on cifar10") and "NASWOT" in search
    corr = json.loads(_run("corr", "--space", spelling, "--root", str(db), "--format", "json"))
    assert {row["space"] for row in corr} == {"nats-sss"}
    png = tmp_path / "scatter.png"
    _run("plot", "scatter", "--space", spelling, "--root", str(db), "-o", str(png))
    assert png.stat().st_size > 0
    _run("plot", "search", "--space", spelling, "--root", str(db), "--n", "2", "--runs", "5",
         "-o", str(tmp_path / "search.png"))
    packed = _run("pack", "--space", spelling, "--root", str(db), "-o", str(tmp_path / "a.tar"))
    assert "space=nats-sss" in packed
    _run("export", "--format", "csv", "--space", spelling, "--root", str(db),
         "-o", str(tmp_path / "csv"))
    assert [p.name for p in (tmp_path / "csv").iterdir()] == ["nats-sss.csv"]
    assert "nats-sss" in _run("compact", "--space", spelling, "--root", str(db))


@pytest.mark.parametrize("spelling", SPELLINGS["nb201"])
def test_shipped_space_answers_every_spelling(spelling, tmp_path):
    db = tmp_path / "empty-root"
    search = _run("search", "--space", spelling, "--root", str(db), "--n", "10", "--runs", "5")
    assert "NASWOT" in search and "nb201" in search


def test_error_hints_are_commands_that_run(root):
    db, _ = root
    result = CliRunner().invoke(main, ["search", "--space", "NATS_SSS", "--dataset", "cifar100",
                                       "--root", str(db)])
    assert result.exit_code == 1
    assert "`naswot-db build --space nats-sss --dataset cifar100 --root" in result.output
