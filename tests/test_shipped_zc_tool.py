"""``tools/make_shipped_nb201_zc.py``: a real build's rows become one compact shipped file per
score configuration, with its provenance section, and an unfinished build is refused."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner
from conftest import write_cifar10

from naswot_db.cli import main
from naswot_db.schema import SCHEMA_VERSION, SCORES, read_table, shipped_root

TOOL = Path(__file__).resolve().parents[1] / "tools" / "make_shipped_nb201_zc.py"
SCORES_BUILT = ("flops", "meco", "synflow")
ARCHS = 4


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    """A finished build of archs 0..3 (the tool is told the space has four)."""
    base = tmp_path_factory.mktemp("zc")
    write_cifar10(base / "cifar")
    result = CliRunner().invoke(main, [
        "build", "--space", "nb201", "--dataset", "cifar10", "--score", ",".join(SCORES_BUILT),
        "--root", str(base / "db"), "--data-root", str(base / "cifar"), "--batch-size", "8",
        "--arch-ids", f"0-{ARCHS - 1}", "--quiet"])
    assert result.exit_code == 0, result.output
    return base / "db"


def run_tool(root: Path, shipped: Path, *extra: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(TOOL), str(root), "--score",
                           ",".join(SCORES_BUILT), "--command", "naswot-db build CMD",
                           "--commit", "c0ffee1", "--shipped", str(shipped), *extra],
                          capture_output=True, text=True, timeout=300)


@pytest.fixture
def shipped(tmp_path) -> Path:
    folder = tmp_path / "shipped"
    folder.mkdir()
    shutil.copy(shipped_root() / "PROVENANCE.md", folder / "PROVENANCE.md")
    return folder


def test_each_score_becomes_one_compact_file_of_the_build_rows(built, shipped):
    done = run_tool(built, shipped, "--archs", str(ARCHS))
    assert done.returncode == 0, done.stderr
    rows = read_table(built, "scores").to_pandas()
    files = sorted((shipped / "scores" / "space=nb201").glob("*.parquet"))
    assert len(files) == len(SCORES_BUILT)
    for score, path in zip(SCORES_BUILT, files):
        own = rows[rows["score"] == score].sort_values("arch_id")
        assert path.name == f"nb201-cifar10-{score}-{own['config_id'].iloc[0]}.parquet"
        table = pq.read_table(path)
        assert table.schema.names == SCORES.file_schema().names
        assert pq.ParquetFile(path).metadata.row_group(0).column(0).compression == "ZSTD"
        assert set(table.column("schema_version").to_pylist()) == {SCHEMA_VERSION}
        assert table.column("arch_id").to_pylist() == list(range(ARCHS))
        assert np.array_equal(table.column("value").to_numpy().view(np.int64),
                              own["value"].to_numpy().view(np.int64))  # bit for bit
        assert table.column("time_s").to_pylist() == own["time_s"].tolist()
    text = (shipped / "PROVENANCE.md").read_text()
    section = text[text.index("## NB201 cifar10 scores: flops, meco, synflow"):]
    assert "naswot-db build CMD" in section and "commit c0ffee1" in section
    assert "CPUs (`nproc`)" in section and rows["run_id"].iloc[0] in section
    assert all(config in section for config in rows["config_id"].unique())
    assert text.startswith(shipped_root().joinpath("PROVENANCE.md").read_text().rstrip("\n"))

    again = run_tool(built, shipped, "--archs", str(ARCHS))  # a rerun replaces its section
    assert again.returncode == 0, again.stderr
    rerun = (shipped / "PROVENANCE.md").read_text()
    assert rerun.count("## NB201 cifar10 scores: flops, meco, synflow (") == 1
    assert rerun.startswith(shipped_root().joinpath("PROVENANCE.md").read_text().rstrip("\n"))


def test_an_unfinished_build_is_refused_before_any_write(built, shipped):
    done = run_tool(built, shipped, "--archs", str(ARCHS + 1))
    assert done.returncode == 1
    assert done.stderr.strip().splitlines() == [
        "Error: flops replicate 0,0 holds 4 rows, not one per arch 0..4: the build is not "
        "finished"]
    assert not (shipped / "scores").exists()
    assert (shipped / "PROVENANCE.md").read_text() == (
        shipped_root() / "PROVENANCE.md").read_text()
