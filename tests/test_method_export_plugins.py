"""A third-party search method and export format, installed through their entry points only.

The toy package and its distribution metadata are written to a temporary folder; fresh CLI
processes find both through the groups ``naswot_db.search_methods`` and ``naswot_db.exports``,
list them in ``--help`` and run them.  No file of the project is edited.
"""

from __future__ import annotations

import csv
import io
import os
import subprocess
import sys

import pytest

from naswot_db.distribution.exports.formats import EXPORT_GROUP
from naswot_db.query.searches.methods import SEARCH_METHOD_GROUP
from naswot_db.testing.search_tables import write_space

# A budgeted method that trains the space's first arch (lowest id) once in every run, and a
# format that lists the scored arch ids of a space: both small enough to predict exactly.
TOY_PACKAGE = '''
from pathlib import Path

import numpy as np

from naswot_db.distribution.exports.formats import ExportFormat, ExportRequest
from naswot_db.query.searches.methods import BudgetJob, SearchMethod
from naswot_db.query.searches.simulation import HistoryBuilder, evaluate


def _first_arch(job: BudgetJob):
    rows = np.zeros(job.runs, dtype=np.int64)
    fitness, cost = evaluate(job.tables, rows, np.zeros(job.runs))
    history = HistoryBuilder(job.runs)
    history.add(np.arange(job.runs), rows, fitness, cost)
    return history.build(np.zeros(job.runs))


FIRST_ARCH = SearchMethod(name="first-arch", label="first arch", colour="C5",
                          help="trains the arch of lowest id once", run=_first_arch)


def _arch_ids(request: ExportRequest) -> list[Path]:
    space = request.space or "nb201"
    ids = request.source.connection.execute(
        "SELECT DISTINCT arch_id FROM scores WHERE space = ? ORDER BY arch_id", [space]).fetchall()
    request.output.mkdir(parents=True, exist_ok=True)
    path = request.output / f"{space}-arch-ids.txt"
    path.write_text("".join(f"{arch_id}\\n" for (arch_id,) in ids))
    return [path]


ARCH_IDS = ExportFormat(name="arch-ids", help="the scored arch ids, one a line", write=_arch_ids)
'''


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    """A root with a searchable space, and an environment where the toy package is installed."""
    folder = tmp_path_factory.mktemp("plugins")
    root = folder / "db"
    written = write_space(root, "nb201")
    site = folder / "site"
    (site / "toy_plugins").mkdir(parents=True)
    (site / "toy_plugins" / "__init__.py").write_text(TOY_PACKAGE)
    dist_info = site / "toy_plugins-0.1.dist-info"
    dist_info.mkdir()
    (dist_info / "METADATA").write_text("Metadata-Version: 2.1\nName: toy-plugins\n"
                                        "Version: 0.1\n")
    (dist_info / "entry_points.txt").write_text(
        f"[{SEARCH_METHOD_GROUP}]\nfirst-arch = toy_plugins:FIRST_ARCH\n\n"
        f"[{EXPORT_GROUP}]\narch-ids = toy_plugins:ARCH_IDS\n")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(
        [str(site), os.environ.get("PYTHONPATH", "")])}
    return root, written, env


def _cli(env, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "naswot_db", *args], env=env,
                          capture_output=True, text=True)


def _unwrapped(text: str) -> str:
    """Help text as one line (click wraps it to the terminal's width, also after a hyphen)."""
    return " ".join(text.split()).replace("- ", "-")


def test_an_installed_search_method_is_listed_and_runs(installed, tmp_path):
    root, written, env = installed
    shown = _cli(env, "search", "--help")
    assert shown.returncode == 0
    assert "first-arch (trains the arch of lowest id once)" in _unwrapped(shown.stdout)
    out = _cli(env, "search", "--root", str(root), "--method", "first-arch,rea", "--runs", "4",
               "--budget-s", "2000", "--format", "csv")
    assert out.returncode == 0, out.stderr
    rows = {row["method"]: row for row in csv.DictReader(io.StringIO(out.stdout))}
    assert list(rows) == ["first-arch", "rea"]
    first = rows["first-arch"]
    expected = written["targets"][("cifar10", "ori-test")][int(written["arch_ids"].min())]
    assert (first["runs"], first["evaluations_mean"], first["C10 test std"]) == ("4", "1.0", "0.0")
    assert float(first["C10 test mean"]) == pytest.approx(expected, abs=1e-9)
    labelled = _cli(env, "search", "--root", str(root), "--method", "first-arch", "--runs", "2")
    assert labelled.returncode == 0 and labelled.stdout.splitlines()[3].startswith("first arch")
    figure = tmp_path / "anytime.png"
    drawn = _cli(env, "plot", "anytime", "--root", str(root), "--method", "first-arch",
                 "--runs", "2", "-o", str(figure))
    assert drawn.returncode == 0, drawn.stderr
    assert figure.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    plain = _cli({k: v for k, v in env.items() if k != "PYTHONPATH"}, "search", "--root",
                 str(root), "--method", "first-arch")
    assert plain.returncode == 1 and plain.stderr.startswith(
        "Error: unknown search method 'first-arch'; choose from best-of-n, random, rea, area")


def test_an_installed_export_is_listed_and_writes(installed, tmp_path):
    root, written, env = installed
    shown = _cli(env, "export", "--help")
    assert shown.returncode == 0
    assert "arch-ids: the scored arch ids, one a line." in _unwrapped(shown.stdout)
    out = _cli(env, "export", "--format", "ARCH-IDS", "--root", str(root), "-o", str(tmp_path))
    assert out.returncode == 0, out.stderr
    path = tmp_path / "nb201-arch-ids.txt"
    assert out.stdout == f"wrote {path}\n"
    assert path.read_text().split() == [str(i) for i in sorted(written["arch_ids"])]
    unknown = _cli(env, "export", "--format", "arch-idz", "--root", str(root), "-o",
                   str(tmp_path))
    assert unknown.returncode == 1 and unknown.stderr == (
        "Error: unknown export format 'arch-idz'; choose from naslib, syne-tune, csv, "
        "parquet, arch-ids\n")
