"""A third-party search space, installed in a temporary folder and registered through the entry
point group ``naswot_db.spaces`` only (tests/plugins/toy_space: one descriptor file with its
encoding, one Space class file): it is a --space value in the help, builds, and runs REA and the
NASLib export, with no edit to any file of the project."""

from __future__ import annotations

import dataclasses
import itertools
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from naswot_db.core import spaces as space_catalogue
from naswot_db.core.names import UnknownNameError
from naswot_db.query.searches import simulate_budget_search
from naswot_db.query.searches.ground_truth import Fitness, load_evaluation_tables
from naswot_db.query.searches.mutations import mutation_for
from naswot_db.query.selection import open_source
from naswot_db.query.targets import Target, install_labels
from naswot_db.schema import read_table
from naswot_db.testing.query_tables import accuracy_part, arch_part, score_part, write

PLUGIN = Path(__file__).parent / "plugins" / "toy_space"
WIDTHS = (4, 8, 16)
ARCH_STRS = [":".join(map(str, widths)) for widths in itertools.product(WIDTHS, repeat=3)]
FITNESS = Fitness("cifar10", "valid", 10)
TARGETS = [Target("cifar10", "test", 10, "cifar10/test")]


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    """A folder holding the toy space's package and a distribution naming it as an entry point."""
    folder = tmp_path_factory.mktemp("site")
    shutil.copytree(PLUGIN, folder / "toy_space", ignore=shutil.ignore_patterns("__pycache__"))
    _dist_info(folder, "toy_space_plugin", "toy = toy_space.descriptor:INFO")
    return folder


@pytest.fixture
def installed(site, monkeypatch):
    """The toy space installed in this process too (the catalogue restored afterwards)."""
    monkeypatch.syspath_prepend(str(site))
    spaces = space_catalogue._SPACES
    monkeypatch.setattr(spaces, "_entries", dict(spaces._entries))
    monkeypatch.setattr(spaces, "_aliases", dict(spaces._aliases))
    monkeypatch.setattr(spaces, "_broken", {})
    monkeypatch.setattr(spaces, "_plugins_loaded", False)
    yield
    for name in [name for name in sys.modules if name.split(".")[0] == "toy_space"]:
        monkeypatch.delitem(sys.modules, name)


def _dist_info(folder: Path, name: str, entry_points: str) -> None:
    dist_info = folder / f"{name}-0.1.dist-info"
    dist_info.mkdir()
    (dist_info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: 0.1\n")
    (dist_info / "entry_points.txt").write_text(
        f"[{space_catalogue.SPACE_PLUGIN_GROUP}]\n{entry_points}\n")


def _cli(site: Path | None, *args: str) -> subprocess.CompletedProcess:
    """``naswot-db ARGS`` in a fresh process, with the toy space installed when ``site``."""
    path = [str(site)] if site is not None else []
    env = {**os.environ, "OMP_NUM_THREADS": "1",
           "PYTHONPATH": os.pathsep.join([*path, os.environ.get("PYTHONPATH", "")])}
    return subprocess.run([sys.executable, "-m", "naswot_db", *args], env=env,
                          capture_output=True, text=True)


def _ground_truth(root: Path) -> dict[int, float]:
    """Every toy arch with two seeds' validation accuracy and training time, and the seed means
    of validation and test accuracy; the test means by arch id."""
    ids = np.arange(len(ARCH_STRS))
    write(root, "archs", arch_part("toy", ids, ARCH_STRS), "toy")
    rng = np.random.default_rng(3)
    valid = rng.uniform(40, 90, (2, ids.size))
    for seed in (0, 1):
        write(root, "accuracies", accuracy_part(
            "toy", ids, valid[seed], dataset="cifar10", split="valid", epochs=10, seed=seed,
            train_times=rng.uniform(50, 150, ids.size)), "toy")
    test = rng.uniform(40, 90, ids.size)
    for split, means in (("valid", valid.mean(axis=0)), ("test", test)):
        write(root, "accuracies", accuracy_part("toy", ids, means, dataset="cifar10",
                                                split=split, epochs=10), "toy")
    return dict(enumerate(test.tolist()))


def test_the_installed_space_is_a_space_value_of_the_help_and_builds(site, tmp_path,
                                                                     cifar10_root):
    help_text = _cli(site, "build", "--help")
    assert help_text.returncode == 0, help_text.stderr
    assert "toy (a test plug-in)" in " ".join(help_text.stdout.split())
    root = tmp_path / "db"
    built = _cli(site, "build", "--space", "Toy", "--dataset", "cifar10", "--data-root",
                 str(cifar10_root), "--root", str(root), "--batch-size", "6", "--limit", "4",
                 "--quiet")
    assert built.returncode == 0, built.stderr
    rows = read_table(root, "scores", space="toy").to_pylist()
    assert sorted(row["arch_id"] for row in rows) == [0, 1, 2, 3]
    assert {row["status"] for row in rows} == {"ok"}
    plain = _cli(None, "build", "--space", "toy", "--dataset", "cifar10", "--root",
                 str(tmp_path / "plain"))  # not installed
    assert plain.returncode != 0
    assert plain.stderr.startswith("Error: unknown space 'toy'")
    assert space_catalogue.SPACE_PLUGIN_GROUP in plain.stderr


def test_the_installed_space_refuses_a_score_its_network_lacks_before_any_write(site, tmp_path,
                                                                               cifar10_root):
    root = tmp_path / "db"
    refused = _cli(site, "build", "--space", "toy", "--dataset", "cifar10", "--data-root",
                   str(cifar10_root), "--root", str(root), "--score", "naswot,zen", "--limit",
                   "4", "--quiet")
    assert refused.returncode == 1 and not root.exists()
    assert refused.stderr == (
        "Error: score zen cannot run on space toy: it needs an nn.AdaptiveAvgPool2d global pool "
        "(it reads the features entering it), and its network pools with Tensor.mean, not an "
        "nn.AdaptiveAvgPool2d module\n")


def test_rea_mutates_the_installed_space_through_its_encoding(installed, tmp_path):
    root = tmp_path / "db"
    _ground_truth(root)
    with open_source(root) as source:
        install_labels(source.connection, "mean")
        tables = load_evaluation_tables(source, "toy", FITNESS, TARGETS)
    assert tables.size == len(ARCH_STRS)
    mutation = mutation_for(tables)
    parents = np.repeat(np.arange(tables.size), 20)
    children = mutation.mutate(parents, np.random.default_rng(0).random((parents.size,
                                                                         mutation.draws)))
    for parent, child in zip(parents, children):  # one layer changed to another width
        before, after = (tables.arch_strs[row].split(":") for row in (parent, child))
        assert sum(a != b for a, b in zip(before, after)) == 1


def test_rea_on_the_installed_space_in_a_fresh_process(installed, site, tmp_path):
    root = tmp_path / "db"
    test_accuracy = _ground_truth(root)
    searched = _cli(site, "search", "--root", str(root), "--space", "toy", "--method", "rea",
                    "--runs", "6", "--budget-s", "1500", "--format", "json")
    assert searched.returncode == 0, searched.stderr
    [row] = [r for r in json.loads(searched.stdout) if r["method"] == "rea"]
    expected = simulate_budget_search(root, method="rea", space="toy", runs=6,
                                      options=_budget(1500.0))
    chosen = [test_accuracy[int(arch)] for arch in expected.chosen]
    assert row["cifar10/test mean"] == pytest.approx(np.mean(chosen), rel=1e-12)
    assert expected.row()["cifar10/test mean"] == pytest.approx(np.mean(chosen), rel=1e-12)


def test_naslib_export_keys_the_installed_space_by_its_encoding(installed, site, tmp_path):
    root = tmp_path / "db"
    _ground_truth(root)
    write(root, "scores", score_part("toy", [0, 26], [1.5, 2.5]), "toy")
    exported = _cli(site, "export", "--root", str(root), "--format", "naslib", "--space", "toy",
                    "--output", str(tmp_path / "out"))
    assert exported.returncode == 0, exported.stderr
    entries = json.loads((tmp_path / "out" / "zc_toy.json").read_text())["cifar10"]
    assert sorted(entries) == ["(16, 16, 16)", "(4, 4, 4)"]
    assert entries["(16, 16, 16)"]["nwot"]["score"] == 2.5


def test_a_space_is_described_once(installed):
    info = space_catalogue.space_info("toy")
    with pytest.raises(ValueError, match="described twice"):
        space_catalogue.describe(space_catalogue.SpaceInfo(**{**info.__dict__,
                                                              "citation": "another"}))
    with pytest.raises(ValueError, match="alias 'nats-tss'"):
        space_catalogue.describe(space_catalogue.SpaceInfo(**{**info.__dict__, "name": "toy2",
                                                              "aliases": ("nats-tss",)}))
    with pytest.raises(UnknownNameError, match="unknown space 'toy3'"):
        space_catalogue.canonical_space("toy3")


def _budget(budget_s: float):
    from naswot_db.query.searches import BudgetOptions

    return BudgetOptions(budget_s=budget_s)


def test_a_broken_plugin_is_named_when_asked_for_and_spares_the_others(installed, tmp_path,
                                                                       monkeypatch):
    _dist_info(tmp_path, "broken_plugin", "broken = toy_space.descriptor:WIDTHS")
    monkeypatch.syspath_prepend(str(tmp_path))
    assert "toy" in space_catalogue.space_names() and "broken" not in space_catalogue.space_names()
    with pytest.raises(UnknownNameError, match="space plug-in 'toy_space.descriptor:WIDTHS' "
                                               r"\(entry point 'broken'\) cannot be loaded"):
        space_catalogue.canonical_space("broken")


@pytest.mark.parametrize("change, refusal", [
    ({"name": "nats-tss"}, "space 'nats-tss' is described twice"),  # nb201's alias
    ({"network_lacks": (("wings", "none"),)}, "lacks unknown network features {'wings'}"),
])
def test_a_space_named_as_an_alias_or_lacking_an_unknown_need_is_refused(installed, change,
                                                                         refusal):
    with pytest.raises(ValueError, match=re.escape(refusal)):
        space_catalogue.describe(dataclasses.replace(space_catalogue.space_info("toy"), **change))
    assert space_catalogue.canonical_space("nats-tss") == "nb201"
