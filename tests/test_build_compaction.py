"""The compaction at the end of a build: many small parts become one compaction with the same
rows; few parts, --no-compact, a compaction already running and a failing one leave the parts
as they are, and the build still succeeds."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner
from naswot_db.testing.query_tables import score_part, write
from test_build import build_args

from naswot_db.cli import main
from naswot_db.schema import SCORES, part_files, read_table
from naswot_db.schema.checks import check_findings
from naswot_db.schema.compaction import compact_partition
from naswot_db.schema.dedup import is_one_compaction
from naswot_db.schema.locks import exclusive, lock_path
from naswot_db.schema.layout import loose_parts
from naswot_db.schema.storage import run_rows_present

# --chunk-size 1: one part per arch; three runs of fewer parts than a writer merges leave
# 6 loose parts, just over the build's limit of 4 (--compact-above)
COMPACT_ABOVE = 4
SEEDS = 3
ARCHS = (COMPACT_ABOVE + 2) // SEEDS


def rows(root: Path) -> list[tuple]:
    table = read_table(root, "scores")
    return sorted(zip(*(table[c].to_pylist() for c in ("arch_id", "init_seed", "value",
                                                       "status", "run_id"))))


def build(root: Path, cifar10_root: Path, *extra: str) -> str:
    result = CliRunner().invoke(main, build_args(root, cifar10_root, "--chunk-size", "1",
                                                 "--compact-above", str(COMPACT_ABOVE), *extra))
    assert result.exit_code == 0, result.output
    return result.output


def test_a_build_of_many_parts_ends_compacted_with_the_same_rows_and_resumes(tmp_path,
                                                                             cifar10_root):
    root = tmp_path / "db"
    keys = ARCHS * SEEDS
    for seed in range(SEEDS):
        output = build(root, cifar10_root, "--limit", str(ARCHS), "--init-seeds", str(seed),
                       "--no-compact")
        assert "compacted" not in output
    assert len(loose_parts(root, "nb201")) == keys
    written = rows(root)
    assert len(written) == keys
    every_seed = ("--limit", str(ARCHS), "--init-seeds", f"0-{SEEDS - 1}")

    with exclusive(root, "compact-nb201", "a compaction of nb201"):  # another one is running
        output = build(root, cifar10_root, *every_seed)
    assert "Note: nb201 scores not compacted (a compaction of nb201 is already running" in output
    assert len(loose_parts(root, "nb201")) == keys

    blocker = lock_path(root, "compact-nb201")
    blocker.unlink()
    blocker.mkdir()  # the compaction cannot open its lock: it fails, the build does not
    output = build(root, cifar10_root, *every_seed)
    assert "Note: compacting the nb201 scores failed (IsADirectoryError" in output
    assert len(loose_parts(root, "nb201")) == keys and rows(root) == written
    blocker.rmdir()

    output = build(root, cifar10_root, *every_seed)  # resumed: nothing to score
    assert f"0 rows written, {keys} already stored" in output
    assert f"compacted nb201 scores: {keys} parts, {keys} rows -> 1 parts, {keys} rows" in output
    parts = part_files(root, SCORES, "nb201")
    assert is_one_compaction(parts) and len(parts) == 1
    assert rows(root) == written
    assert check_findings(root) == []  # every run's record still matches its rows

    output = build(root, cifar10_root, "--limit", str(ARCHS + 1),  # resumes from the compaction
                   "--init-seeds", f"0-{SEEDS - 1}")
    assert f"{SEEDS} rows written, {keys} already stored" in output and "compacted" not in output
    assert len(loose_parts(root, "nb201")) == 1
    after = rows(root)
    assert len(after) == keys + SEEDS and set(written) <= set(after)


def test_a_build_of_few_parts_leaves_them_alone(tmp_path, cifar10_root):
    root = tmp_path / "db"
    output = build(root, cifar10_root, "--limit", "3", "--init-seeds", "0-1")
    assert "compacted" not in output and "Note" not in output
    parts = part_files(root, SCORES, "nb201")
    assert len(parts) == 3 and parts == loose_parts(root, "nb201")


def test_a_run_counts_its_rows_in_its_own_and_in_compacted_parts(tmp_path):
    """A run whose first parts another build's compaction merged while it ran records all."""
    for start in (0, 10):
        write(tmp_path, "scores", score_part("nb201", range(start, start + 10), [1.0] * 10),
              "nb201")
    compact_partition(tmp_path, "nb201")
    write(tmp_path, "scores", score_part("nb201", range(20, 25), [1.0] * 5), "nb201")
    assert len(loose_parts(tmp_path, "nb201")) == 1
    assert run_rows_present(tmp_path, "nb201", "run") == 25
    assert run_rows_present(tmp_path, "nb201", "other") == 0
