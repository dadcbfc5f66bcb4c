"""naswot-db pack and fetch: a built root travels over a real HTTP server and arrives intact;
corrupt, truncated, escaping, foreign and conflicting archives leave the root as it was."""

from __future__ import annotations

import hashlib
import io
import json
import shutil
import subprocess
import sys
import tarfile
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner

from naswot_db.testing.archive_server import serve
from distribution_roots import add_nb101, build_nb201, own_tables, snapshot
from naswot_db.cli import main
from naswot_db.distribution.archive import (MANIFEST_DIGEST_NAME, MANIFEST_NAME, ArchiveError,
                                            manifest_bytes)
from naswot_db.distribution.download import DownloadError, partial_path
from naswot_db.distribution.fetch import fetch
from naswot_db.distribution.merge import MergeConflictError
from naswot_db.distribution.pack import PackSelection, pack
from naswot_db.schema import SCHEMA_VERSION, read_table, write_part
from naswot_db.testing.query_tables import accuracy_part, score_part, write


@pytest.fixture(scope="module")
def built_root(tmp_path_factory) -> Path:
    """A real NB201 build (4 archs x 2 init seeds) with ground truth, plus NB101 parts."""
    folder = tmp_path_factory.mktemp("built")
    root = folder / "db"
    build_nb201(root, folder / "cifar")
    add_nb101(root)
    return root


@pytest.fixture(scope="module")
def archive(built_root, tmp_path_factory) -> Path:
    return pack(built_root, tmp_path_factory.mktemp("packed") / "db.tar").archive


def _fetch(source: str, root: Path, tmp_path: Path) -> object:
    return fetch(source, root, download_dir=tmp_path / "downloads", progress=False)


def _cli(*args: str):
    return CliRunner().invoke(main, list(args))


def test_packed_root_served_over_http_arrives_identical(built_root, archive, tmp_path):
    before = snapshot(built_root)
    with serve({"db.tar": archive}) as served:
        summary = _fetch(served.url("db.tar"), tmp_path / "fresh", tmp_path)
    assert own_tables(tmp_path / "fresh") == own_tables(built_root)
    assert {(p.table, p.space): p.added for p in summary.partitions} == {
        ("archs", "nb201"): 4, ("accuracies", "nb201"): 48, ("scores", "nb201"): 8,
        ("archs", "nb101"): 2, ("accuracies", "nb101"): 4, ("scores", "nb101"): 2, ("runs", None): 1}
    assert snapshot(built_root) == before, "pack and fetch only read the source root"
    assert not list((tmp_path / "downloads").iterdir()), "a merged download is removed"
    again = _fetch(str(archive), tmp_path / "fresh", tmp_path)
    assert all(p.added == 0 for p in again.partitions)
    assert own_tables(tmp_path / "fresh") == own_tables(built_root)


def test_manifest_lists_every_file_with_checksums_counts_runs_and_citations(built_root, archive):
    with tarfile.open(archive) as tar:
        names = tar.getnames()
        manifest = json.loads(tar.extractfile(MANIFEST_NAME).read())
        contents = {m.name: tar.extractfile(m).read() for m in tar.getmembers()}
    assert names[:2] == [MANIFEST_NAME, MANIFEST_DIGEST_NAME]
    assert contents[MANIFEST_DIGEST_NAME].decode().strip() == \
        hashlib.sha256(contents[MANIFEST_NAME]).hexdigest()
    assert manifest["schema_version"] == SCHEMA_VERSION
    assert sorted(f["path"] for f in manifest["files"]) == sorted(names[2:])
    for entry in manifest["files"]:
        assert entry["sha256"] == hashlib.sha256(contents[entry["path"]]).hexdigest()
        assert entry["size"] == len(contents[entry["path"]])
    assert manifest["rows"]["scores"] == {"nb201": 8, "nb101": 2}
    run = read_table(built_root, "runs").to_pylist()[0]
    assert [r["run_id"] for r in manifest["runs"]] == [run["run_id"]]
    assert manifest["runs"][0]["device"] == run["device"]
    assert set(manifest["citations"]) == {"nb201", "nb101", "naswot"}
    assert archive.with_name("db.tar.sha256").read_text().split()[0] == \
        hashlib.sha256(archive.read_bytes()).hexdigest()


def test_pack_compacts_and_deduplicates_parts(built_root, tmp_path):
    root = tmp_path / "db"
    shutil.copytree(built_root, root)
    duplicate = score_part("nb101", [0, 1], [10.5, float("-inf")])
    write(root, "scores", duplicate, "nb101")  # the same rows a second time, in a second part
    summary = pack(root, tmp_path / "a.tar")
    rows = {(e.table, e.space): e.rows for e in summary.files}
    assert rows[("scores", "nb101")] == 2 and rows[("scores", "nb201")] == 8
    assert len(summary.files) == 7, "one file per table partition"


def test_pack_selection_takes_the_spaces_ground_truth_and_runs(built_root, tmp_path):
    nb101 = pack(built_root, tmp_path / "nb101.tar", PackSelection(spaces=("NB101",)))
    assert {(e.table, e.space) for e in nb101.files} == {
        ("archs", "nb101"), ("accuracies", "nb101"), ("scores", "nb101")}
    by_config = pack(built_root, tmp_path / "cfg.tar",
                     PackSelection(dataset="cifar10", config_id="cfg"))
    assert {(e.table, e.space) for e in by_config.files} == {
        ("archs", "nb101"), ("accuracies", "nb101"), ("scores", "nb101")}
    built = pack(built_root, tmp_path / "built.tar", PackSelection(spaces=("nb201",)))
    assert ("runs", None) in {(e.table, e.space) for e in built.files}


def test_pack_refuses_an_output_inside_the_root_and_an_empty_selection(built_root, tmp_path):
    result = _cli("pack", "--root", str(built_root), "-o", str(built_root / "x.tar"))
    assert result.exit_code == 1 and "outside the root" in result.output
    result = _cli("pack", "--root", str(built_root), "--space", "nats-sss", "-o",
                  str(tmp_path / "x.tar"))
    assert result.exit_code == 1 and "nothing to pack" in result.output
    assert not (tmp_path / "x.tar").exists()


def _flip_byte(archive: Path, member: str, target: Path) -> Path:
    data = bytearray(archive.read_bytes())
    with tarfile.open(archive) as tar:
        offset = tar.getmember(member).offset_data
    data[offset + 100] ^= 0x01
    target.write_bytes(bytes(data))
    return target


def test_flipped_byte_is_a_checksum_error_and_the_root_is_unchanged(archive, tmp_path):
    root = tmp_path / "db"
    add_nb101(root)
    before = snapshot(root)
    corrupt = _flip_byte(archive, "scores/space=nb201/scores.parquet", tmp_path / "bad.tar")
    with serve({"bad.tar": corrupt}) as served:
        result = _cli("fetch", served.url("bad.tar"), "--root", str(root), "--quiet",
                      "--download-dir", str(tmp_path / "downloads"))
    assert result.exit_code == 1
    assert result.output.startswith("Error: checksum mismatch for scores/space=nb201")
    assert len(result.output.strip().splitlines()) == 1
    assert snapshot(root) == before


def test_whole_archive_sha256_is_checked_when_given(archive, tmp_path):
    corrupt = _flip_byte(archive, "archs/space=nb201/archs.parquet", tmp_path / "bad.tar")
    good = hashlib.sha256(archive.read_bytes()).hexdigest()
    with pytest.raises(ArchiveError, match="checksum mismatch"):
        fetch(str(corrupt), tmp_path / "db", sha256=good, progress=False)
    assert not (tmp_path / "db").exists()
    fetch(str(archive), tmp_path / "db", sha256=good.upper(), progress=False)
    assert read_table(tmp_path / "db", "scores").num_rows == 10


def test_truncated_transfer_then_resumed(built_root, archive, tmp_path):
    root, downloads = tmp_path / "db", tmp_path / "downloads"
    half = archive.stat().st_size // 2
    with serve({"db.tar": archive}) as served:
        served.cut_after = half
        url = served.url("db.tar")
        result = _cli("fetch", url, "--root", str(root), "--quiet", "--download-dir",
                      str(downloads))
        assert result.exit_code == 1 and "run the same command again to resume" in result.output
        assert not root.exists(), "nothing is written before the whole archive is verified"
        assert partial_path(url, downloads).stat().st_size == half
        result = _cli("fetch", url, "--root", str(root), "--quiet", "--download-dir",
                      str(downloads))
        assert result.exit_code == 0, result.output
        assert served.requests[-1]["Range"] == f"bytes={half}-"
    assert own_tables(root) == own_tables(built_root)


def test_resume_against_a_server_without_ranges_starts_over(built_root, archive, tmp_path):
    root, downloads = tmp_path / "db", tmp_path / "downloads"
    with serve({"db.tar": archive}) as served:
        served.cut_after, served.ranges = archive.stat().st_size // 3, False
        with pytest.raises(DownloadError, match="stopped after"):
            fetch(served.url("db.tar"), root, download_dir=downloads, progress=False)
        fetch(served.url("db.tar"), root, download_dir=downloads, progress=False)
    assert own_tables(root) == own_tables(built_root)


def test_missing_url_is_one_error_line(tmp_path):
    with serve({}) as served:
        result = _cli("fetch", served.url("gone.tar"), "--root", str(tmp_path / "db"),
                      "--quiet", "--download-dir", str(tmp_path / "downloads"))
    assert result.exit_code == 1 and result.output.strip().endswith("HTTP 404 Not Found")
    assert len(result.output.strip().splitlines()) == 1 and not (tmp_path / "db").exists()


def test_truncated_local_archive_is_refused(archive, tmp_path):
    cut = tmp_path / "cut.tar"
    cut.write_bytes(archive.read_bytes()[:archive.stat().st_size // 2])
    with pytest.raises(ArchiveError, match="truncated|not a complete"):
        fetch(str(cut), tmp_path / "db", progress=False)
    assert not (tmp_path / "db").exists()


def _tar(path: Path, members: list[tuple[tarfile.TarInfo, bytes]]) -> Path:
    with tarfile.open(path, "w") as tar:
        for info, data in members:
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data) if info.isfile() else None)
    return path


def _repacked(archive: Path, path: Path, edit_manifest=None, extra=()) -> Path:
    """``archive`` rewritten with its manifest edited (digest kept consistent) and extra
    members appended."""
    with tarfile.open(archive) as tar:
        members = [(m, tar.extractfile(m).read()) for m in tar.getmembers()]
    manifest = json.loads(members[0][1])
    if edit_manifest:
        edit_manifest(manifest)
    payload = manifest_bytes(manifest)
    members[0] = (tarfile.TarInfo(MANIFEST_NAME), payload)
    members[1] = (tarfile.TarInfo(MANIFEST_DIGEST_NAME),
                  hashlib.sha256(payload).hexdigest().encode())
    return _tar(path, [*members, *extra])


def _symlink(name: str, target: str) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.type, info.linkname = tarfile.SYMTYPE, target
    return info


@pytest.mark.parametrize("member, message", [
    (tarfile.TarInfo("../evil.parquet"), "escapes the root"),
    (tarfile.TarInfo("scores/../../evil.parquet"), "escapes the root"),
    (tarfile.TarInfo("/tmp/evil.parquet"), "escapes the root"),
    (_symlink("scores/space=nb201/scores.parquet", "/etc/passwd"), "link"),
    (tarfile.TarInfo("notes.txt"), "not a file of the naswot-db archive layout"),
])
def test_members_outside_the_layout_are_refused(archive, tmp_path, member, message):
    evil = _repacked(archive, tmp_path / "evil.tar", extra=[(member, b"x" * 10)])
    root = tmp_path / "inner" / "db"
    with serve({"evil.tar": evil}) as served:
        result = _cli("fetch", served.url("evil.tar"), "--root", str(root), "--quiet",
                      "--download-dir", str(tmp_path / "downloads"))
    assert result.exit_code == 1 and message in result.output
    assert not root.exists()
    assert not (tmp_path / "evil.parquet").exists() and not (tmp_path / "inner" /
                                                              "evil.parquet").exists()


def test_other_schema_version_is_refused(archive, tmp_path):
    old = _repacked(archive, tmp_path / "old.tar",
                    edit_manifest=lambda m: m.update(schema_version=SCHEMA_VERSION - 1))
    with pytest.raises(ArchiveError, match=f"schema version {SCHEMA_VERSION - 1}"):
        fetch(str(old), tmp_path / "db", progress=False)
    assert not (tmp_path / "db").exists()


def test_unlisted_or_missing_files_are_refused(archive, tmp_path):
    def drop_scores(manifest):
        manifest["files"] = [f for f in manifest["files"] if f["table"] != "scores"]
    unlisted = _repacked(archive, tmp_path / "unlisted.tar", edit_manifest=drop_scores)
    with pytest.raises(ArchiveError, match="does not list"):
        fetch(str(unlisted), tmp_path / "db", progress=False)
    assert not (tmp_path / "db").exists()


def test_conflicting_ground_truth_is_refused(archive, tmp_path):
    root = tmp_path / "db"
    write(root, "accuracies", accuracy_part("nb201", [2], [12.5], dataset="cifar10",
                                            split="ori-test"), "nb201")
    write_part(root, "scores", score_part("nats-sss", [0], [1.0]), space="nats-sss")
    before = snapshot(root)
    result = _cli("fetch", str(archive), "--root", str(root), "--quiet")
    assert result.exit_code == 1
    assert "accuracies of space nb201 conflicts with the root's" in result.output
    assert "arch_id=2" in result.output and "12.5" in result.output
    assert snapshot(root) == before


def test_conflicting_scores_are_refused(archive, tmp_path):
    root = tmp_path / "db"
    add_nb101(root, values=(10.5, 3.0))  # arch 1 was singular (-inf) in the packed root
    with pytest.raises(MergeConflictError, match="scores of space nb101"):
        fetch(str(archive), root, progress=False)


def test_merge_adds_new_spaces_and_rows_and_keeps_the_roots(archive, built_root, tmp_path):
    root = tmp_path / "db"
    write(root, "scores", score_part("nats-sss", [0, 1], [1.0, 2.0]), "nats-sss")
    write(root, "accuracies", accuracy_part("nb101", [5], [70.0], dataset="cifar10",
                                            split="valid", epochs=108), "nb101")
    result = _cli("fetch", str(archive), "--root", str(root), "--quiet")
    assert result.exit_code == 0, result.output
    assert "accuracies/nb101: 4 rows added, 0 already stored" in result.output
    assert "Please cite (nb201)" in result.output
    accuracies = read_table(root, "accuracies", "nb101")
    assert sorted(set(accuracies["arch_id"].to_pylist())) == [0, 1, 5]
    assert read_table(root, "scores", "nats-sss").num_rows == 2
    parts = list((root / "accuracies" / "space=nb101").glob("*.parquet"))
    assert len(parts) == 1 and parts[0].name.startswith("gen"), "ground truth is a generation"
    assert pq.read_table(parts[0]).num_rows == 5


def test_pack_fetch_and_export_do_not_import_torch(archive, tmp_path):
    script = (
        "import sys\n"
        "from naswot_db.cli import main\n"
        "for args in (['fetch', sys.argv[1], '--root', sys.argv[2], '--quiet'],\n"
        "             ['pack', '--root', sys.argv[2], '-o', sys.argv[3]],\n"
        "             ['export', '--format', 'naslib', '--root', sys.argv[2], '-o', sys.argv[4]],\n"
        "             ['export', '--format', 'syne-tune', '--root', sys.argv[2], '-o',\n"
        "              sys.argv[4]]):\n"
        "    try:\n"
        "        main(args, standalone_mode=False)\n"
        "    except SystemExit:\n"
        "        pass\n"
        "print('torch' in sys.modules)\n")
    result = subprocess.run(
        [sys.executable, "-c", script, str(archive), str(tmp_path / "db"),
         str(tmp_path / "again.tar"), str(tmp_path / "out")],
        capture_output=True, text=True, timeout=120, check=True)
    assert result.stdout.strip().splitlines()[-1] == "False", result.stderr
    assert (tmp_path / "again.tar").is_file() and (tmp_path / "out" / "nb201").is_dir()


def test_fetch_is_refused_while_an_ingest_of_its_space_runs(archive, tmp_path):
    from naswot_db.schema.locks import LockHeldError, exclusive
    from naswot_db.schema.storage import prepare_root

    root = tmp_path / "busy"
    prepare_root(root)
    before = snapshot(root)
    with exclusive(root, "ingest-nb201", "an ingest of nb201"):
        with pytest.raises(LockHeldError, match="an ingest of nb201 is already running"):
            _fetch(str(archive), root, tmp_path)
    assert not any(own_tables(root).values())  # nothing merged
    _fetch(str(archive), root, tmp_path)  # and once the ingest is done, the fetch goes through
    assert snapshot(root) != before
