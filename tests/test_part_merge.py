"""The builder's rolling merge: every K parts a writer writes become one part with the same
rows, hidden originals are not read, a running compaction postpones merges, a failing merge
keeps the originals, a merge killed before its marker still reads each key once, and a real
build with the default K merges, records and resumes exactly."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner
from test_build import build_args

from naswot_db.builder.runner.part_merge import LARGE_PART_ROWS, MERGE_PARTS, PartMerge
from naswot_db.builder.runner.run import stored_pairs
from naswot_db.builder.runner.scoring_loop import ChunkWriter, ScoringJob
from naswot_db.cli import main
from naswot_db.query import connect
from naswot_db.query.score_grid import load_chosen_grid
from naswot_db.query.selection import open_source
from naswot_db.schema import SCORES, part_files, read_table, write_part
from naswot_db.schema.checks import check_findings
from naswot_db.schema.compaction import compact_partition
from naswot_db.schema.dedup import superseded_marker, superseded_names
from naswot_db.schema.locks import exclusive
from naswot_db.schema.layout import loose_parts, partition_dir
from naswot_db.schema.storage import run_rows_present

ARCHS, PAIRS = 10, ((0, 0), (1, 0))  # two rows per arch, one part per arch
NEVER = 1 << 30  # a merge size no writer reaches: merging off


def job(root: Path, prefix: str = "run-a") -> ScoringJob:
    """What the build hands its part writer (no network is scored here)."""
    return ScoringJob(
        space="nb201", scores=("naswot",), root=root, arch_ids=np.arange(ARCHS),
        pending={"naswot": {pair: np.ones(ARCHS, bool) for pair in PAIRS}},
        positions=np.arange(ARCHS), init_seeds=[0, 1], batch_seeds=[0], images={}, blank=None,
        labels={}, num_classes=10, config_ids={"naswot": "cfg"}, device="cpu", precision="fp32", chunk_archs=1,
        part_prefix=prefix, static={"dataset": "cifar10", "batch_size": 16, "run_id": prefix})


def arch_rows(arch_id: int) -> list[dict]:
    """One arch's rows as the scoring loop makes them (a singular one included)."""
    rng = np.random.default_rng(arch_id)
    return [{"score": "naswot", "config_id": "cfg", "arch_id": arch_id, "init_seed": init_seed,
             "batch_seed": batch_seed,
             "value": -np.inf if arch_id == 3 else float(rng.normal(1500, 50)),
             "status": "singular" if arch_id == 3 else "ok", "error": None,
             "reference_raises": False, "time_s": float(rng.uniform(0.1, 0.3))}
            for init_seed, batch_seed in PAIRS]


def write_archs(writer: ChunkWriter, archs) -> None:
    for arch_id in archs:
        writer.add(arch_rows(arch_id))
    writer.flush()


def stored(root: Path) -> list[tuple]:
    table = read_table(root, "scores")
    return sorted(zip(*(table[c].to_pylist() for c in table.column_names)))


def keys_and_rows(root: Path, view: str) -> tuple[int, int]:
    """(distinct keys, rows) of ``view``."""
    with connect(root) as connection:
        return connection.execute(
            f"SELECT count(DISTINCT (arch_id, init_seed, batch_seed)), count(*) FROM {view} "
            "WHERE space = 'nb201'").fetchall()[0]


def names(root: Path) -> list[str]:
    return [p.stem for p in part_files(root, SCORES, "nb201")]


def test_a_writer_merges_every_k_parts_into_one_with_the_same_rows(tmp_path):
    plain, merged = tmp_path / "plain", tmp_path / "merged"
    write_archs(ChunkWriter(job(plain), merge_parts=NEVER), range(ARCHS))
    write_archs(ChunkWriter(job(merged), merge_parts=3), range(ARCHS))

    assert stored(merged) == stored(plain) and len(stored(plain)) == 2 * ARCHS
    assert names(merged) == ["run-a-00009", "run-a-merge-00000", "run-a-merge-00001",
                             "run-a-merge-00002"]
    directory = partition_dir(merged, SCORES, "nb201")
    originals = {f"run-a-{i:05d}.parquet" for i in range(9)}
    assert superseded_names(directory) == originals  # on disk for readers in flight, hidden
    assert all((directory / name).exists() for name in originals)
    assert [pq.read_metadata(p).num_rows for p in part_files(merged, SCORES, "nb201")] == \
        [2, 6, 6, 6]
    assert keys_and_rows(merged, "score_rows") == (2 * ARCHS, 2 * ARCHS)  # each key once
    assert len(loose_parts(merged, "nb201")) == 4  # merged parts are loose
    assert run_rows_present(merged, "nb201", "run-a") == 2 * ARCHS
    done = stored_pairs(merged, "nb201", "cifar10", 16, {"naswot": "cfg"})["naswot"]
    assert {pair: ids.tolist() for pair, ids in done.items()} == \
        {pair: list(range(ARCHS)) for pair in PAIRS}  # a resume skips every merged row
    assert check_findings(merged) == []


def test_merges_wait_for_a_running_compaction_and_skip_what_it_took(tmp_path):
    writer = ChunkWriter(job(tmp_path), merge_parts=3)
    with exclusive(tmp_path, "compact-nb201", "a compaction of nb201"):
        for arch_id in range(4):
            writer.add(arch_rows(arch_id))
    assert names(tmp_path) == [f"run-a-{i:05d}" for i in range(4)]  # nothing merged meanwhile
    writer.add(arch_rows(4))  # the compaction is over: the five pending parts become one
    assert names(tmp_path) == ["run-a-merge-00000"]

    writer.add(arch_rows(5))
    writer.add(arch_rows(6))
    compact_partition(tmp_path, "nb201")  # takes the merged part and the two pending ones
    writer.add(arch_rows(7))  # only this one of the pending three is still visible
    assert len(part_files(tmp_path, SCORES, "nb201")) == 2 and names(tmp_path)[1] == "run-a-00007"
    assert keys_and_rows(tmp_path, "score_rows") == (16, 16)
    assert check_findings(tmp_path) == []


def test_a_failing_merge_keeps_the_originals_and_the_writer_goes_on(tmp_path):
    plain = tmp_path / "plain"
    write_archs(ChunkWriter(job(plain), merge_parts=NEVER), range(ARCHS))
    root = tmp_path / "db"
    blocker = superseded_marker(partition_dir(root, SCORES, "nb201"), "run-a-merge-00000")
    blocker.mkdir(parents=True)  # the first merge cannot write its marker
    writer = ChunkWriter(job(root), merge_parts=3)
    with pytest.warns(RuntimeWarning, match=r"merging 3 nb201 score parts failed \(IsADirectory"):
        write_archs(writer, range(ARCHS))
    blocker.rmdir()
    assert names(root) == ["run-a-00000", "run-a-00001", "run-a-00002", "run-a-00009",
                           "run-a-merge-00001", "run-a-merge-00002"]  # its merged part removed
    assert stored(root) == stored(plain)
    assert keys_and_rows(root, "score_rows") == (2 * ARCHS, 2 * ARCHS)
    assert check_findings(root) == []


def test_a_merge_killed_before_its_marker_reads_each_key_once(tmp_path):
    write_archs(ChunkWriter(job(tmp_path), merge_parts=NEVER), range(3))
    originals = part_files(tmp_path, SCORES, "nb201")
    write_part(tmp_path, "scores", pa.concat_tables([pq.read_table(p) for p in originals]),
               space="nb201", part_name="run-a-merge-00000")  # killed here: no marker
    assert keys_and_rows(tmp_path, "score_rows") == (6, 12)  # both sets visible
    assert keys_and_rows(tmp_path, "scores") == (6, 6)  # the views count each key once
    with connect(tmp_path) as connection:
        values = connection.execute("SELECT arch_id, init_seed, value FROM scores "
                                    "ORDER BY ALL").fetchall()
    assert values == sorted((r["arch_id"], r["init_seed"], r["value"])
                            for a in range(3) for r in arch_rows(a))
    with open_source(tmp_path) as source:  # what search and corr read: the same values
        _, grid = load_chosen_grid(source, "nb201", "cifar10", "naswot")
    assert grid.arch_ids.tolist() == [0, 1, 2] and grid.replicates == list(PAIRS)
    assert grid.values.tolist() == [[r["value"] for r in arch_rows(a)] for a in range(3)]
    assert check_findings(tmp_path) == [
        "scores/space=nb201: 6 score keys stored more than once (6 extra rows; queries count "
        "each once, `naswot-db compact` drops them)"]
    compact_partition(tmp_path, "nb201")
    assert check_findings(tmp_path) == [] and keys_and_rows(tmp_path, "score_rows") == (6, 6)


def test_a_build_merges_its_parts_as_it_goes_and_resumes_exactly(tmp_path, cifar10_root):
    root, archs = tmp_path / "db", 2 * MERGE_PARTS + 1  # --chunk-size 1: two merges, one part
    runner = CliRunner()
    # one process (65 scorings would get one per thread by default): its parts and merges
    args = build_args(root, cifar10_root, "--limit", str(archs), "--chunk-size", "1",
                      "--workers", "1")
    result = runner.invoke(main, args)
    assert result.exit_code == 0, result.output
    assert f"{archs} rows written" in result.output and "compacted" not in result.output
    visible = part_files(root, SCORES, "nb201")
    [run_id] = set(read_table(root, "scores")["run_id"].to_pylist())
    assert [p.stem for p in visible] == [f"{run_id}-{archs - 1:05d}", f"{run_id}-merge-00000",
                                         f"{run_id}-merge-00001"]
    directory = partition_dir(root, SCORES, "nb201")
    hidden = sorted(directory / name for name in superseded_names(directory))
    assert [p.stem for p in hidden] == [f"{run_id}-{i:05d}" for i in range(archs - 1)]
    as_written = pa.concat_tables([pq.read_table(p) for p in [*hidden, visible[0]]])
    as_merged = pa.concat_tables([pq.read_table(p) for p in visible[1:] + visible[:1]])
    assert as_merged.equals(as_written)  # the same rows, in the same order
    assert keys_and_rows(root, "score_rows") == (archs, archs)
    assert check_findings(root) == []  # the run's recorded count matches its merged rows

    again = runner.invoke(main, args)
    assert again.exit_code == 0 and f"0 rows written, {archs} already stored" in again.output
    assert part_files(root, SCORES, "nb201") == visible


def test_a_large_part_is_left_as_it_is(tmp_path):
    write_archs(ChunkWriter(job(tmp_path), merge_parts=NEVER), range(3))
    small, *large = part_files(tmp_path, SCORES, "nb201")
    merge = PartMerge(tmp_path, "nb201", "run-a", merge_parts=2)
    for part in large:  # as big as a large --chunk-size makes them: never merged
        merge.add(part, LARGE_PART_ROWS)
    assert merge.pending == [] and names(tmp_path) == ["run-a-00000", "run-a-00001", "run-a-00002"]
    merge.add(small, 2)
    assert merge.pending == [small]


def test_worker_processes_merge_their_own_parts(tmp_path, cifar10_root):
    root, archs = tmp_path / "db", 2 * MERGE_PARTS + 6  # one worker writes 35 parts at least
    result = CliRunner().invoke(main, build_args(root, cifar10_root, "--limit", str(archs),
                                                 "--chunk-size", "1", "--workers", "2"))
    assert result.exit_code == 0, result.output
    merged = [n for n in names(root) if "-merge-" in n]
    assert merged and all("-w0-merge-" in n or "-w1-merge-" in n for n in merged)
    assert keys_and_rows(root, "score_rows") == (archs, archs)
    assert check_findings(root) == []
