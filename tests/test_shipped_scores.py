"""The NB201 scores shipped in data/shipped: what the file holds, and (with the validation data)
that a rebuild of a seeded sample of archs reproduces them bit for bit."""

from __future__ import annotations

import json

import numpy as np
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner
from conftest import validation_data
from naswot_db.testing.query_tables import score_part, write

from naswot_db.cli import main
from naswot_db.query import connect
from naswot_db.schema import SCHEMA_VERSION, SCORES, part_files, read_table, shipped_root

CONFIG_ID = "e546981146c498f7"
ARCHS = 15_625
SAMPLE = 32  # seeded sample rebuilt by the validation test


def _shipped() -> dict[str, np.ndarray]:
    parts = [part for part in part_files(shipped_root(), SCORES, "nb201")
             if "naswot" in pq.read_table(part, columns=["score"]).column("score").to_pylist()]
    assert len(parts) == 1  # one compressed file of NASWOT scores
    table = pq.read_table(parts[0])
    assert pq.ParquetFile(parts[0]).metadata.row_group(0).column(0).compression == "ZSTD"
    return {name: table.column(name).to_numpy(zero_copy_only=False) for name in table.column_names}


def test_shipped_file_is_the_full_build_of_one_configuration():
    rows = _shipped()
    assert np.array_equal(rows["arch_id"], np.arange(ARCHS))
    assert set(rows["config_id"]) == {CONFIG_ID}
    assert set(zip(rows["init_seed"], rows["batch_seed"])) == {(0, 0)}
    assert set(rows["batch_size"]) == {128} and set(rows["dataset"]) == {"cifar10"}
    status, counts = np.unique(rows["status"], return_counts=True)
    assert dict(zip(status, counts)) == {"ok": 15_424, "singular": 201}
    assert np.isneginf(rows["value"][rows["status"] == "singular"]).all()
    assert set(rows["schema_version"]) == {SCHEMA_VERSION}


def test_rebuilt_sample_equals_the_shipped_values_bit_for_bit(tmp_path):
    """The build command of PROVENANCE.md, on a seeded sample of archs (both statuses)."""
    images = validation_data() / "cifar10-jpeg"
    shipped = _shipped()
    rng = np.random.default_rng(11)
    singular = np.flatnonzero(shipped["status"] == "singular")
    sample = np.union1d(rng.choice(ARCHS, SAMPLE - 2, replace=False), singular[:2])
    root = tmp_path / "db"
    result = CliRunner().invoke(main, [
        "build", "--space", "nb201", "--dataset", "cifar10", "--data-root", str(images),
        "--root", str(root), "--arch-ids", ",".join(map(str, sample)), "--quiet"])
    assert result.exit_code == 0, result.output
    rebuilt = read_table(root, "scores", "nb201").sort_by("arch_id")
    assert np.array_equal(rebuilt.column("arch_id").to_numpy(), sample)
    assert set(rebuilt.column("config_id").to_pylist()) == {CONFIG_ID}
    assert rebuilt.column("status").to_pylist() == shipped["status"][sample].tolist()
    ours = rebuilt.column("value").to_numpy()
    assert np.array_equal(ours.view(np.int64), shipped["value"][sample].view(np.int64))


@pytest.mark.parametrize("flag", [[], ["--format", "markdown"]])
def test_search_caption_says_the_scores_are_shipped(tmp_path, flag):
    result = CliRunner().invoke(main, ["search", "--root", str(tmp_path / "none"), "--n", "10",
                                       "--runs", "20", *flag])
    assert result.exit_code == 0, result.output
    caption = result.stdout.splitlines()[0]
    assert f"1 replicate shipped with naswot-db, config {CONFIG_ID}" in caption
    assert "does not exist" in result.stderr


def test_corr_on_a_fresh_root_uses_the_shipped_scores(tmp_path):
    result = CliRunner().invoke(main, ["corr", "--root", str(tmp_path / "none"), "--space",
                                       "nb201", "--target", "cifar10-valid:x-valid", "--format",
                                       "json"])
    assert result.exit_code == 0, result.output
    (row,) = json.loads(result.stdout)
    assert (row["config_id"], row["origin"], row["used"]) == (CONFIG_ID, "shipped", 15_424)
    assert round(row["kendall_tau"], 3) == 0.584  # PROVENANCE.md's figure (paper: 0.574)


def test_own_nb201_scores_replace_the_shipped_ones_for_that_root(tmp_path):
    write(tmp_path, "scores", score_part("nb201", [0, 1, 2], [3.0, 1.0, 2.0]), "nb201")
    result = CliRunner().invoke(main, ["search", "--root", str(tmp_path), "--n", "3", "--runs",
                                       "5", "--no-replace", "--replicate", "0,0"])
    assert result.exit_code == 0, result.output
    assert "shipped with naswot-db, config" not in result.output  # the scores are the root's
    assert "config cfg" in result.stdout
    assert "from 3 archs" in result.stdout  # the root's own three, none of the shipped 15,625
    info = json.loads(CliRunner().invoke(main, ["info", "--root", str(tmp_path), "--format",
                                                "json"]).stdout)
    assert [(s["space"], s["archs"], s["origin"]) for s in info["scores"]] == [
        ("nb201", 3, "built")]
    assert {g["origin"] for g in info["ground_truth"]} == {"shipped"}  # labels stay shipped


def test_a_40_arch_build_of_the_shipped_configuration_adds_to_it(tmp_path):
    """The trap of issue #24 item 15: 40 own rows of the shipped configuration change those 40
    keys and leave a search pool of 15,625 archs, and every output counts both origins."""
    own = np.arange(40, dtype=float) + 1000.0
    write(tmp_path, "scores", score_part("nb201", list(range(40)), own, config_id=CONFIG_ID,
                                         batch_size=128), "nb201")
    runner = CliRunner()
    result = runner.invoke(main, ["search", "--root", str(tmp_path), "--n", "10", "--runs", "5"])
    assert result.exit_code == 0, result.output
    assert f"config {CONFIG_ID}: 15,585 score rows shipped with naswot-db, 40 the root's own" \
        in result.stdout
    assert f"from {ARCHS} archs" in result.stdout
    with connect(tmp_path) as connection:
        stored = dict(connection.sql("SELECT arch_id, value FROM scores WHERE space = 'nb201' "
                                     "AND arch_id < 41").fetchall())
    assert [stored[i] for i in range(40)] == own.tolist()  # the root's row wins on its key
    assert stored[40] == _shipped()["value"][40]  # the shipped row of every other key stays
    values = runner.invoke(main, ["sql", "SELECT count(*) FROM scores", "--root", str(tmp_path)])
    assert values.exit_code == 0, values.output
    assert "15,585 rows shipped with naswot-db, 40 the root's own" in values.stderr
    info = json.loads(runner.invoke(main, ["info", "--root", str(tmp_path), "--format",
                                           "json"]).stdout)
    assert [(s["archs"], s["origin"], s["shipped_rows"], s["own_rows"])
            for s in info["scores"]] == [(ARCHS, "shipped+own", ARCHS - 40, 40)]
    corr = json.loads(runner.invoke(main, ["corr", "--root", str(tmp_path), "--space", "nb201",
                                           "--target", "cifar10-valid:x-valid", "--format",
                                           "json"]).stdout)
    assert [(r["origin"], r["shipped_rows"], r["own_rows"]) for r in corr] == [
        ("shipped+own", ARCHS - 40, 40)]
