"""Schema 2 -> 3: a root whose NB101 ids follow file order still opens, `check` says so, and a
migration (explicit or by the next write) renumbers archs, labels and scores by module hash,
atomically: an interrupted one is finished, never read half done."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from click.testing import CliRunner
from nb101_files import CELLS
from naswot_db.testing.query_tables import accuracy_part, arch_part, score_part, write

from naswot_db.schema.nb101_ids import space_ids
from naswot_db.cli import main
from naswot_db.query import connect
from naswot_db.schema import (SCHEMA_VERSION, SchemaVersionError, check_root, prepare_root,
                              read_table)
from naswot_db.schema.migration import STAGE_DIR, migrate
from naswot_db.schema.storage import MANIFEST_NAME

HASHES = [module_hash for module_hash, _, _ in CELLS]


def _old_root(root: Path, hashes: list[str] = HASHES) -> Path:
    """A version-2 root as the old ingest wrote it: NB101 ids 0..3 in file order."""
    ids = list(range(len(hashes)))
    write(root, "archs", arch_part("nb101", ids, hashes), "nb101")
    write(root, "accuracies", accuracy_part("nb101", ids, [90.0 + i for i in ids],
                                            dataset="cifar10", split="test", epochs=108), "nb101")
    write(root, "scores", score_part("nb101", ids, [100.0 + i for i in ids]), "nb101")
    write(root, "scores", score_part("nb101-original", ids, [200.0 + i for i in ids]),
          "nb101-original")
    (root / MANIFEST_NAME).write_text(json.dumps({"schema_version": 2}))
    return root


def _by_hash(root: Path, sql: str) -> dict[str, tuple]:
    return {row[0]: row[1:] for row in connect(root).execute(sql).fetchall()}


_JOINED = ("SELECT a.arch_str, a.arch_id, s.space, s.value, c.accuracy FROM scores s "
           "JOIN archs a ON a.arch_id = s.arch_id AND a.space = 'nb101' "
           "JOIN accuracies c ON c.arch_id = s.arch_id AND c.space = 'nb101' "
           "WHERE s.space = 'nb101'")


def test_an_old_root_opens_and_check_asks_for_the_migration(tmp_path):
    root = _old_root(tmp_path / "db")
    check_root(root)  # readable as it is
    assert _by_hash(root, _JOINED)[HASHES[2]][1:] == ("nb101", 102.0, 92.0)
    result = CliRunner().invoke(main, ["check", "--root", str(root)])
    assert result.exit_code == 1
    assert "numbers NB101 archs by file order" in result.output
    assert "naswot-db migrate" in result.output


def test_migrate_renumbers_archs_labels_and_scores_by_hash(tmp_path):
    root = _old_root(tmp_path / "db")
    before = _by_hash(root, _JOINED)
    result = CliRunner().invoke(main, ["migrate", "--root", str(root)])
    assert result.exit_code == 0, result.output
    assert json.loads((root / MANIFEST_NAME).read_text()) == {"schema_version": SCHEMA_VERSION}
    ids = space_ids()
    after = _by_hash(root, _JOINED)
    assert {h: row[0] for h, row in after.items()} == {h: ids[h] for h in HASHES}
    assert {h: row[1:] for h, row in after.items()} == {h: row[1:] for h, row in before.items()}
    original = read_table(root, "scores", space="nb101-original").to_pylist()
    assert {r["arch_id"]: r["value"] for r in original} == {
        ids[h]: 200.0 + i for i, h in enumerate(HASHES)}
    assert CliRunner().invoke(main, ["check", "--root", str(root)]).exit_code == 0
    assert not (root / STAGE_DIR).exists()


def test_a_root_in_hash_order_only_changes_its_manifest(tmp_path):
    ids = space_ids()
    ordered = sorted(HASHES, key=ids.get)
    root = tmp_path / "db"
    write(root, "archs", arch_part("nb101", [ids[h] for h in ordered], ordered), "nb101")
    (root / MANIFEST_NAME).write_text(json.dumps({"schema_version": 2}))
    part = next((root / "archs").rglob("*.parquet"))
    stamp = part.stat().st_mtime_ns
    prepare_root(root)  # what every writing command does first
    assert json.loads((root / MANIFEST_NAME).read_text()) == {"schema_version": SCHEMA_VERSION}
    assert part.stat().st_mtime_ns == stamp


def test_an_interrupted_migration_is_refused_by_readers_and_finished_by_the_next_writer(
        tmp_path, monkeypatch):
    root = _old_root(tmp_path / "db")
    expected = {h: row[1:] for h, row in _by_hash(root, _JOINED).items()}
    real_replace = os.replace
    calls = []

    def dies_on_the_second_rename(source, target):
        calls.append(target)
        if len(calls) == 2:
            raise KeyboardInterrupt  # killed between two renames
        real_replace(source, target)

    monkeypatch.setattr("naswot_db.schema.migration.os.replace", dies_on_the_second_rename)
    with pytest.raises(KeyboardInterrupt):
        prepare_root(root)
    monkeypatch.setattr("naswot_db.schema.migration.os.replace", real_replace)
    with pytest.raises(SchemaVersionError, match="interrupted.*naswot-db migrate"):
        check_root(root)
    result = CliRunner().invoke(main, ["sql", "SELECT 1", "--root", str(root)])
    assert result.exit_code == 1 and result.output.startswith("Error: ")
    assert CliRunner().invoke(main, ["migrate", "--root", str(root)]).exit_code == 0
    after = _by_hash(root, _JOINED)
    assert {h: row[1:] for h, row in after.items()} == expected
    ids = space_ids()
    assert {h: row[0] for h, row in after.items()} == {h: ids[h] for h in HASHES}


def test_a_migration_killed_before_its_commit_leaves_the_old_root(tmp_path, monkeypatch):
    root = _old_root(tmp_path / "db")
    before = sorted(p.read_bytes() for p in root.rglob("*.parquet"))

    def killed(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr("naswot_db.schema.migration.atomic_write_bytes", killed)
    with pytest.raises(KeyboardInterrupt):
        migrate(root, lambda: None)
    check_root(root)  # still a readable version-2 root
    assert sorted(p.read_bytes() for p in root.rglob("*.parquet")
                  if STAGE_DIR not in p.parts) == before
    monkeypatch.undo()
    prepare_root(root)
    assert not (root / STAGE_DIR).exists()
    assert json.loads((root / MANIFEST_NAME).read_text()) == {"schema_version": SCHEMA_VERSION}


def test_an_old_root_with_a_hash_outside_the_space_fails_in_one_line(tmp_path):
    root = _old_root(tmp_path / "db", HASHES[:3] + ["f" * 32])
    result = CliRunner().invoke(main, ["migrate", "--root", str(root)])
    assert result.exit_code == 1 and result.output.startswith("Error: ")
    assert "no cell of the space" in result.output
    assert json.loads((root / MANIFEST_NAME).read_text()) == {"schema_version": 2}
