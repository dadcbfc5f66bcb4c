"""One third-party package adds a score, a space (with its encoding and mutation), a search method
and an export, registered through the public entry point groups only: each appears in the help
and runs in ``build``, ``corr``, ``search --method``, REA and ``export`` of fresh CLI processes,
with no edit to any file of the project."""

from __future__ import annotations

import csv
import io
import os
import shutil
import subprocess
import sys

import pytest
from scipy.stats import spearmanr

from naswot_db.core.scores import SCORE_PLUGIN_GROUP
from naswot_db.core.spaces import SPACE_PLUGIN_GROUP
from naswot_db.distribution.exports.formats import EXPORT_GROUP
from naswot_db.query.searches.methods import SEARCH_METHOD_GROUP
from naswot_db.schema import read_table

from test_method_export_plugins import TOY_PACKAGE
from test_space_plugins import ARCH_STRS, PLUGIN, _ground_truth

TOY_SCORE = '''
import torch

from naswot_db.builder.scoring import Scorer


class ToyWidth(Scorer):
    """Output channels summed over the network's convolutions: needs no data."""

    name = "toy-width"
    citation = "a test plug-in score"
    needs_batch = False

    def compute(self, model, images, labels, *, allow_tf32):
        return float(sum(m.out_channels for m in model.modules()
                         if isinstance(m, torch.nn.Conv2d)))
'''


@pytest.fixture(scope="module")
def env(tmp_path_factory) -> dict[str, str]:
    """An environment where one distribution installs the four plug-ins."""
    site = tmp_path_factory.mktemp("site")
    shutil.copytree(PLUGIN, site / "toy_space", ignore=shutil.ignore_patterns("__pycache__"))
    (site / "toy_extras").mkdir()
    (site / "toy_extras" / "__init__.py").write_text(TOY_PACKAGE + TOY_SCORE)
    dist_info = site / "toy_extras-0.1.dist-info"
    dist_info.mkdir()
    (dist_info / "METADATA").write_text("Metadata-Version: 2.1\nName: toy-extras\nVersion: 0.1\n")
    (dist_info / "entry_points.txt").write_text(
        f"[{SPACE_PLUGIN_GROUP}]\ntoy = toy_space.descriptor:INFO\n\n"
        f"[{SCORE_PLUGIN_GROUP}]\ntoy-width = toy_extras:ToyWidth\n\n"
        f"[{SEARCH_METHOD_GROUP}]\nfirst-arch = toy_extras:FIRST_ARCH\n\n"
        f"[{EXPORT_GROUP}]\narch-ids = toy_extras:ARCH_IDS\n")
    return {**os.environ, "OMP_NUM_THREADS": "1",
            "PYTHONPATH": os.pathsep.join([str(site), os.environ.get("PYTHONPATH", "")])}


def _cli(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    done = subprocess.run([sys.executable, "-m", "naswot_db", *args], env=env,
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    return done


def _unwrapped(text: str) -> str:
    return " ".join(text.split()).replace("- ", "-")


def test_every_plugin_kind_is_in_the_help(env):
    build = _unwrapped(_cli(env, "build", "--help").stdout)
    assert "toy (a test plug-in)" in build and "installed plug-ins: toy-width" in build
    assert "installed plug-ins: toy-width" in _unwrapped(_cli(env, "corr", "--help").stdout)
    assert "first-arch (trains the arch of lowest id once)" in _unwrapped(
        _cli(env, "search", "--help").stdout)
    assert "arch-ids: the scored arch ids, one a line." in _unwrapped(
        _cli(env, "export", "--help").stdout)


def test_the_score_builds_the_space_and_corr_search_rea_and_export_read_it(env, tmp_path):
    root = tmp_path / "db"
    test_accuracy = _ground_truth(root)
    _cli(env, "build", "--space", "toy", "--dataset", "cifar10", "--score", "toy-width",
         "--root", str(root), "--quiet")
    rows = read_table(root, "scores", space="toy").to_pylist()
    widths = {row["arch_id"]: row["value"] for row in rows}
    assert {row["score"] for row in rows} == {"toy-width"}
    assert widths == {arch_id: float(sum(map(int, arch_str.split(":"))))
                      for arch_id, arch_str in enumerate(ARCH_STRS)}

    corr = _cli(env, "corr", "--root", str(root), "--space", "toy", "--score", "toy-width",
                "--target", "cifar10:test@10", "--format", "csv")
    [row] = list(csv.DictReader(io.StringIO(corr.stdout)))
    ids = sorted(widths)
    expected = spearmanr([widths[i] for i in ids], [test_accuracy[i] for i in ids])[0]
    assert float(row["spearman"]) == pytest.approx(expected, abs=1e-9)

    searched = _cli(env, "search", "--root", str(root), "--space", "toy", "--method",
                    "first-arch,rea", "--runs", "4", "--budget-s", "1500", "--format", "csv")
    by_method = {r["method"]: r for r in csv.DictReader(io.StringIO(searched.stdout))}
    assert list(by_method) == ["first-arch", "rea"]
    assert float(by_method["first-arch"]["cifar10/test mean"]) == pytest.approx(
        test_accuracy[0], abs=1e-9)
    assert 0 < float(by_method["rea"]["evaluations_mean"])

    exported = _cli(env, "export", "--format", "arch-ids", "--space", "toy", "--root", str(root),
                    "-o", str(tmp_path / "out"))
    path = tmp_path / "out" / "toy-arch-ids.txt"
    assert exported.stdout == f"wrote {path}\n"
    assert path.read_text().split() == [str(i) for i in ids]
