"""Fault injection with hostile inputs (issue #24): a small file, archive or server must not
cost the machine more than a stated bound of memory and disk, and must end in one ``Error:``
line.  Each test runs the real CLI in a child process (:mod:`hostile`) and prints the peak RSS
and the bytes it wrote, which the README quotes.
"""

from __future__ import annotations

import bz2
import io
import json
import os
import pickle
import shutil
import signal
import subprocess
import sys
import tarfile
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from hostile import run_measured

from naswot_db.distribution.archive import manifest_bytes
from naswot_db.distribution.download import partial_path
from naswot_db.distribution.pack import pack
from naswot_db.testing.query_tables import score_part, write

pytestmark = pytest.mark.slow

MIB = 1 << 20
GIB = 1 << 30
# a CLI process that imports DuckDB and Arrow peaks near 200 MiB; every bound leaves room
# for that and nothing like the input's declared size
RSS_BOUND_MIB = 400


@pytest.fixture
def archive(tmp_path) -> Path:
    """A real, valid archive of a small root (three NB201 scores)."""
    root = tmp_path / "packed-root"
    write(root, "scores", score_part("nb201", [0, 1, 2], [1.0, 2.0, 3.0]), "nb201")
    return pack(root, tmp_path / "db.tar").archive


def _members(archive: Path) -> list[tuple[tarfile.TarInfo, bytes]]:
    with tarfile.open(archive) as tar:
        return [(m, tar.extractfile(m).read()) for m in tar.getmembers()]


def _retar(output: Path, members: list[tuple[tarfile.TarInfo, bytes]]) -> Path:
    with tarfile.open(output, "w", format=tarfile.PAX_FORMAT) as tar:
        for info, data in members:
            tar.addfile(info, io.BytesIO(data))
    return output


def _with_manifest(archive: Path, output: Path, edit: Callable[[bytes], bytes]) -> Path:
    """``archive`` with its manifest text edited and its digest matching the edit."""
    import hashlib

    members = _members(archive)
    text = edit(members[0][1])
    members[0][0].size = len(text)
    digest = hashlib.sha256(text).hexdigest().encode() + b"\n"
    members[0], members[1] = (members[0][0], text), (members[1][0], digest)
    return _retar(output, members)


def _sparse(name: str, declared: int, data: bytes) -> tuple[tarfile.TarInfo, bytes]:
    """A GNU sparse member (PAX 0.1) of ``declared`` bytes whose data is ``data``."""
    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.pax_headers = {"GNU.sparse.map": f"{declared - len(data)},{len(data)}",
                        "GNU.sparse.size": str(declared), "GNU.sparse.name": name}
    return info, data


def _fetch(tmp_path: Path, source: str, *extra: str):
    return run_measured(tmp_path, "fetch", source, "--root", str(tmp_path / "db"), "--quiet",
                        "--download-dir", str(tmp_path / "downloads"), *extra)


# ---------------------------------------------------------------- 1. sparse tar members

@pytest.mark.parametrize("lie_in_manifest", [False, True])
def test_sparse_member_declaring_10_gib_is_refused_before_a_byte_is_written(
        archive, tmp_path, lie_in_manifest):
    name = "scores/space=nb201/scores.parquet"
    if lie_in_manifest:  # the manifest agrees with the member: the archive cannot hold it
        archive = _with_manifest(archive, tmp_path / "lying.tar", lambda text: json.dumps(
            {**json.loads(text), "files": [{**f, "size": 10 * GIB} if f["path"] == name else f
                                           for f in json.loads(text)["files"]]}).encode())
    members = _members(archive)
    position = next(i for i, (m, _) in enumerate(members) if m.name == name)
    members[position] = _sparse(name, 10 * GIB, b"PAR1" * 128)
    hostile = _retar(tmp_path / "sparse.tar", members)
    assert hostile.stat().st_size < 20_000
    result = _fetch(tmp_path, str(hostile))
    result.assert_one_error_line("nothing was written")
    assert result.written_bytes < MIB and result.peak_rss_mib < RSS_BOUND_MIB
    assert not (tmp_path / "db").exists()


# ---------------------------------------------------------------- 6. hostile JSON

@pytest.mark.parametrize("edit, message", [
    (lambda text: text.replace(b'"rows": 3', b'"rows": Infinity', 1), "Infinity"),
    (lambda text: text.replace(b'"rows": 3', b'"rows": 1e400', 1), "1e400"),
    (lambda text: text.replace(b'"rows": 3', b'"rows": -3', 1), "-3"),
    (lambda text: b"[" * 100_000 + b"]" * 100_000, "nested too deeply"),
])
def test_manifest_with_impossible_numbers_or_deep_nesting_is_one_error_line(
        archive, tmp_path, edit, message):
    hostile = _with_manifest(archive, tmp_path / "hostile.tar", edit)
    _fetch(tmp_path, str(hostile)).assert_one_error_line(message)
    assert not (tmp_path / "db").exists()


def test_nds_file_nested_100000_deep_is_one_error_line(tmp_path):
    source = tmp_path / "DARTS.json"
    source.write_text("[" * 100_000 + "]" * 100_000)
    run_measured(tmp_path, "ingest", "--space", "nds-darts", "--source", str(source), "--root",
                 str(tmp_path / "db")).assert_one_error_line("nested too deeply")


# ---------------------------------------------------------------- 3. pickle bombs

def _bz2_bomb(path: Path, expanded: int) -> Path:
    """A bz2 file of a pickle whose one string decompresses to ``expanded`` bytes: one header
    stream, then the same 1 MiB-of-zeros stream repeated (bz2 readers join streams)."""
    header = b"\x80\x04\x8d" + expanded.to_bytes(8, "little")  # BINUNICODE8 of that length
    zeros = bz2.compress(b"0" * MIB, 9)
    path.write_bytes(bz2.compress(header, 9) + zeros * (expanded // MIB))
    return path


def _nats_dir(tmp_path: Path, meta: bytes) -> Path:
    folder = tmp_path / "NATS-sss-v1_0-50262-simple"
    folder.mkdir()
    (folder / "meta.pickle.pbz2").write_bytes(meta)
    return folder


def test_bz2_pickle_bomb_stops_at_its_budget(tmp_path):
    bomb = _bz2_bomb(tmp_path / "bomb.pbz2", 4 * GIB)
    assert bomb.stat().st_size < 200_000
    source = _nats_dir(tmp_path, bomb.read_bytes())
    result = run_measured(tmp_path, "ingest", "--space", "nats-sss", "--source", str(source),
                          "--root", str(tmp_path / "db"))
    result.assert_one_error_line("meta.pickle.pbz2", "decompresses to more than")
    assert result.peak_rss_mib < RSS_BOUND_MIB
    assert not (tmp_path / "db").exists()


@pytest.mark.parametrize("call", [
    b"c__builtin__\nbytearray\nJ\x00\x5e\xd0\xb2\x85R.",  # bytearray(3_000_000_000)
    b"cbuiltins\nset\ncbuiltins\nrange\nJ\x00\xe4\x0bT\x85R\x85R.",  # set(range(1.4e9))
])
def test_allowlisted_callables_cannot_be_handed_a_size(tmp_path, call):
    source = _nats_dir(tmp_path, bz2.compress(b"\x80\x02" + call))
    result = run_measured(tmp_path, "ingest", "--space", "nats-sss", "--source", str(source),
                          "--root", str(tmp_path / "db"))
    result.assert_one_error_line("not with contents")
    assert result.peak_rss_mib < RSS_BOUND_MIB


def test_real_pickles_of_the_allowed_kinds_still_load(tmp_path):
    from naswot_db.builder.formats.pickles import load_pickle
    from naswot_db.core.errors import NaswotDbError

    value = {"b": bytearray(b"\x00\xff"), "s": {1, 2}, "f": frozenset({"x"})}
    for protocol in (2, 4, 5):
        path = tmp_path / f"p{protocol}.pbz2"
        path.write_bytes(bz2.compress(pickle.dumps(value, protocol=protocol)))
        assert load_pickle(path, "a test pickle", NaswotDbError, compressed=True) == value


# ---------------------------------------------------------------- 2. hostile HTTP servers

@contextmanager
def _hostile_server(body: Callable[[BaseHTTPRequestHandler], None]) -> Iterator[str]:
    """A real HTTP server on 127.0.0.1 whose every GET answers with ``body(handler)``."""
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args) -> None:
            pass

        def do_GET(self) -> None:  # noqa: N802 - http.server's naming
            try:
                body(self)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client hung up, as it should

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/db.tar"
    finally:
        server.shutdown()
        server.server_close()


def _streaming(length: str | None) -> Callable[[BaseHTTPRequestHandler], None]:
    """A body of zeros without end, announced as ``length`` bytes (None: no length)."""
    def body(handler: BaseHTTPRequestHandler) -> None:
        handler.send_response(200)
        if length is not None:
            handler.send_header("Content-Length", length)
        handler.end_headers()
        while True:
            handler.wfile.write(b"\0" * 65536)
    return body


def _trickle(handler: BaseHTTPRequestHandler) -> None:
    handler.send_response(200)
    handler.send_header("Content-Length", "1000")
    handler.end_headers()
    for _ in range(1000):
        handler.wfile.write(b"\0")
        handler.wfile.flush()
        time.sleep(0.5)


def test_endless_body_is_cut_at_max_bytes_and_the_partial_file_deleted(tmp_path):
    with _hostile_server(_streaming(None)) as url:
        result = _fetch(tmp_path, url, "--max-bytes", str(4 * MIB))
    result.assert_one_error_line("--max-bytes", "deleted")
    assert result.written_bytes < 5 * MIB and result.peak_rss_mib < RSS_BOUND_MIB
    assert not partial_path(url, tmp_path / "downloads").exists()


def test_huge_content_length_is_refused_before_a_byte_is_written(tmp_path):
    with _hostile_server(_streaming("1000000000000000")) as url:
        result = _fetch(tmp_path, url)  # the default --max-bytes
    result.assert_one_error_line("1000000000000000 bytes", "nothing was written")
    assert result.written_bytes < MIB
    assert not partial_path(url, tmp_path / "downloads").exists()


def test_trickling_server_meets_the_deadline_and_keeps_its_bytes_for_a_resume(tmp_path):
    started = time.monotonic()
    with _hostile_server(_trickle) as url:
        result = _fetch(tmp_path, url, "--timeout", "3")
    result.assert_one_error_line("--timeout", "resume")
    assert time.monotonic() - started < 30
    assert 0 < partial_path(url, tmp_path / "downloads").stat().st_size < 1000


# ---------------------------------------------------------------- 5. SQL without bounds

_CROSS_JOIN = "SELECT count(*) FROM scored a, scored b, scored c"  # 3.8e12 rows


def test_sql_timeout_stops_a_cross_join_with_one_line(tmp_path):
    result = run_measured(tmp_path, "sql", _CROSS_JOIN, "--root", str(tmp_path / "none"),
                          "--timeout", "2")
    result.assert_one_error_line("--timeout 2 s")
    assert result.peak_rss_mib < RSS_BOUND_MIB


def test_ctrl_c_during_a_query_is_one_line(tmp_path):
    process = subprocess.Popen(
        [sys.executable, "-m", "naswot_db", "sql", _CROSS_JOIN, "--root", str(tmp_path / "none")],
        cwd=tmp_path, stderr=subprocess.PIPE, text=True)
    assert process.stderr.readline().startswith("Note:")  # the query starts after the notes
    time.sleep(1.0)
    process.send_signal(signal.SIGINT)
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 1
    assert [line for line in stderr.splitlines() if not line.startswith("Note:")] == [
        "Error: interrupted (Ctrl-C); nothing was changed"]


def test_queries_have_a_memory_limit_and_spill_outside_the_working_folder(tmp_path):
    settings = ("SELECT current_setting('memory_limit') AS m, current_setting('temp_directory') "
                "AS t, current_setting('max_temp_directory_size') AS s")
    cwd = tmp_path / "cwd"
    cwd.mkdir()
    done = subprocess.run([sys.executable, "-m", "naswot_db", "sql", settings, "--root",
                           str(tmp_path / "none"), "--format", "csv"], cwd=cwd,
                          capture_output=True, text=True, timeout=300,
                          env={**os.environ, "NASWOT_DB_MEMORY_LIMIT": "128MB"})
    assert done.returncode == 0, done.stderr
    memory, spill, spill_size = done.stdout.splitlines()[1].split(",")
    assert memory == "122.0 MiB"  # DuckDB's spelling of 128 MB
    assert Path(spill).parent == Path(tempfile.gettempdir()) and not Path(spill).exists()
    assert spill_size == "8.0 GiB"
    assert list(cwd.iterdir()) == []


# ---------------------------------------------------------------- 4. rows beyond the bound

@pytest.fixture
def many_rows(tmp_path) -> Path:
    """A valid archive of 200,000 score rows (the test's stand-in for 100 million)."""
    import numpy as np

    root = tmp_path / "many"
    ids = np.arange(200_000)
    write(root, "scores", score_part("nb201", ids % 15_625, ids * 1e-3).set_column(
        5, "init_seed", [ids // 15_625]), "nb201")
    return pack(root, tmp_path / "many.tar").archive


def test_an_archive_of_more_rows_than_max_rows_is_refused_before_reading(many_rows, tmp_path):
    result = _fetch(tmp_path, str(many_rows), "--max-rows", "100000")
    result.assert_one_error_line("200,000 rows", "--max-rows")
    assert result.peak_rss_mib < RSS_BOUND_MIB and result.written_bytes < 4 * MIB


@pytest.mark.parametrize("stated", [3, 100_000_000])
def test_row_counts_the_manifest_misstates_are_refused_before_reading(many_rows, tmp_path,
                                                                     stated):
    lying = _with_manifest(many_rows, tmp_path / "lying.tar", lambda text: json.dumps(
        {**json.loads(text), "files": [{**f, "rows": stated} if f["table"] == "scores" else f
                                       for f in json.loads(text)["files"]]}).encode())
    result = _fetch(tmp_path, str(lying))  # the default --max-rows
    result.assert_one_error_line(*(["100,000,000 rows"] if stated > 3 else ["holds 200000 rows"]))
    assert result.peak_rss_mib < RSS_BOUND_MIB
    assert not (tmp_path / "db").exists()


def test_an_archive_within_the_bounds_still_merges(many_rows, tmp_path):
    result = _fetch(tmp_path, str(many_rows))
    assert result.returncode == 0, result.stderr
    assert "scores/nb201: 200000 rows added" in result.stdout


def test_a_merge_holds_a_batch_not_the_archive(tmp_path):
    """1,000,000 valid rows merge within 600 MiB: the merge streams them (442 MiB; it held them
    all before, 716 MiB; bench/fetch_memory.py)."""
    from naswot_db.schema import write_part
    from naswot_db.testing.query_tables import many_score_rows

    write_part(tmp_path / "big", "scores", many_score_rows(1_000_000), space="nb201")
    result = _fetch(tmp_path, str(pack(tmp_path / "big", tmp_path / "big.tar").archive))
    assert result.returncode == 0, result.stderr
    assert "scores/nb201: 1000000 rows added" in result.stdout
    assert result.peak_rss_mib < 600, result.peak_rss_mib


# ---------------------------------------------------------------- 7-8. impossible values

def _archive_with_scores(archive: Path, output: Path, rows) -> Path:
    """``archive`` with its scores file replaced by ``rows`` (written without the writers'
    checks, as a hostile packer would) and the manifest updated to match."""
    import hashlib

    import pyarrow.parquet as pq

    from naswot_db.schema import TABLES
    from naswot_db.schema.storage import conform

    buffer = io.BytesIO()
    pq.write_table(conform(TABLES["scores"], rows), buffer)
    data = buffer.getvalue()
    name = "scores/space=nb201/scores.parquet"
    members = _members(archive)
    position = next(i for i, (m, _) in enumerate(members) if m.name == name)
    members[position][0].size = len(data)
    members[position] = (members[position][0], data)
    replaced = _retar(output.with_suffix(".unsigned.tar"), members)
    return _with_manifest(replaced, output, lambda text: manifest_bytes(
        {**json.loads(text), "files": [
            {**f, "rows": rows.num_rows, "size": len(data),
             "sha256": hashlib.sha256(data).hexdigest()} if f["path"] == name else f
            for f in json.loads(text)["files"]]}))


def _set(rows, column: str, values):
    import pyarrow as pa

    index = rows.schema.get_field_index(column)
    return rows.set_column(index, rows.schema.field(index), pa.array(values,
                                                                     rows.schema.field(index).type))


@pytest.mark.parametrize("edit, rule", [
    (lambda rows: _set(rows, "arch_id", [0, 99_999_999, 2]), "arch_id is in"),
    (lambda rows: _set(rows, "arch_id", [0, -5, 2]), "arch_id is in"),
    (lambda rows: _set(rows, "value", [1.0, float("nan"), 3.0]), "value agrees with status"),
    (lambda rows: _set(rows, "value", [1.0, float("inf"), 3.0]), "value agrees with status"),
    (lambda rows: _set(rows, "status", ["ok", "pwned", "ok"]), "status is one of"),
    (lambda rows: _set(rows, "batch_size", [16, -16, 16]), "batch_size is in"),
    (lambda rows: _set(rows, "time_s", [0.5, -1.0, 0.5]), "time_s is finite"),
])
def test_fetch_refuses_impossible_score_values_and_writes_nothing(archive, tmp_path, edit, rule):
    hostile = _archive_with_scores(archive, tmp_path / "hostile.tar",
                                   edit(score_part("nb201", [0, 1, 2], [1.0, 2.0, 3.0])))
    _fetch(tmp_path, str(hostile)).assert_one_error_line(rule, "nothing was written")
    assert not (tmp_path / "db").exists()


def test_fetch_adds_a_row_the_archive_repeats_999_times_once(archive, tmp_path):
    import numpy as np

    repeated = score_part("nb201", np.zeros(1000, np.int64), np.full(1000, 7.0))
    result = _fetch(tmp_path, str(_archive_with_scores(archive, tmp_path / "r.tar", repeated)))
    assert result.returncode == 0, result.stderr
    assert "scores/nb201: 1 rows added, 0 already stored, 999 repeated rows dropped" in \
        result.stdout
    check = run_measured(tmp_path, "check", "--root", str(tmp_path / "db"))
    assert check.returncode == 0, check.stdout + check.stderr


def _nats_with(tmp_path: Path, edit: Callable[[dict], None]) -> Path:
    from nats_files import hp_states, sss_meta_archs, write_fast_mode_dir

    folder = write_fast_mode_dir(tmp_path / "NATS-sss-v1_0-50262-simple", sss_meta_archs(),
                                 [0, 1], {"01": (1, [777]), "12": (12, [777]),
                                          "90": (90, [777])})
    archs = sss_meta_archs()
    state = hp_states(1, archs[1], {"01": (1, [777]), "12": (12, [777]), "90": (90, [777])})
    edit(state["90"]["all_results"][("cifar10", 777)])
    from nats_files import dump_bz2_pickle

    dump_bz2_pickle(state, folder / "000001.pickle.pbz2")
    return folder


@pytest.mark.parametrize("edit, rule", [
    (lambda r: r["eval_acc1es"].update({"ori-test@89": float("inf")}), "accuracy is a percentage"),
    (lambda r: r["eval_acc1es"].update({"ori-test@89": 1e6}), "accuracy is a percentage"),
    (lambda r: r["train_times"].update({e: -30.0 for e in r["train_times"]}), "train_time_s"),
])
def test_ingest_refuses_impossible_accuracies_and_times_and_writes_nothing(tmp_path, edit, rule):
    source = _nats_with(tmp_path, edit)
    result = run_measured(tmp_path, "ingest", "--space", "nats-sss", "--source", str(source),
                          "--root", str(tmp_path / "db"))
    result.assert_one_error_line(rule, "nothing was written")
    assert not (tmp_path / "db" / "accuracies").exists()


def test_check_applies_the_same_rules_to_stored_parts(tmp_path):
    import pyarrow.parquet as pq

    from naswot_db.schema import TABLES
    from naswot_db.schema.layout import partition_dir
    from naswot_db.schema.storage import conform

    root = tmp_path / "db"
    write(root, "scores", score_part("nb201", [0, 1], [1.0, 2.0]), "nb201")
    smuggled = partition_dir(root, TABLES["scores"], "nb201") / "by-hand.parquet"
    pq.write_table(conform(TABLES["scores"], _set(score_part("nb201", [5, 6], [1.0, 2.0]),
                                                 "arch_id", [5, 99_999_999])), smuggled)
    result = run_measured(tmp_path, "check", "--root", str(root))
    assert result.returncode == 1
    assert f"{smuggled}: 1 row(s) break \"arch_id is in" in result.stdout


# ---------------------------------------------------------------- 9-11. interrupted builds

@pytest.fixture
def cifar(tmp_path) -> Path:
    from conftest import write_cifar10

    write_cifar10(tmp_path / "cifar")
    return tmp_path / "cifar"


def _build(root: Path, cifar: Path, *extra: str) -> list[str]:
    return [sys.executable, "-m", "naswot_db", "build", "--space", "nb201", "--dataset",
            "cifar10", "--root", str(root), "--data-root", str(cifar), "--batch-size", "4",
            "--chunk-size", "1", "--quiet", *extra]


def _start(command: list[str]) -> subprocess.Popen:
    return subprocess.Popen(command, env={**os.environ, "OMP_NUM_THREADS": "1"},
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True)


def _wait_for_parts(root: Path, process: subprocess.Popen, count: int) -> None:
    directory = root / "scores" / "space=nb201"
    deadline = time.monotonic() + 300
    while not directory.is_dir() or len(list(directory.glob("*.parquet"))) < count:
        assert process.poll() is None, process.communicate()
        assert time.monotonic() < deadline
        time.sleep(0.05)


def _check_clean(tmp_path: Path, root: Path) -> None:
    result = run_measured(tmp_path, "check", "--root", str(root))
    assert result.returncode == 0, result.stdout + result.stderr


def test_ctrl_c_of_a_workers_build_is_one_line_and_a_rerun_leaves_check_clean(tmp_path, cifar):
    root = tmp_path / "db"
    command = _build(root, cifar, "--limit", "60", "--init-seeds", "0-1", "--workers", "2")
    process = _start(command)
    _wait_for_parts(root, process, 4)
    os.killpg(process.pid, signal.SIGINT)  # as a terminal's Ctrl-C: the whole group
    _, stderr = process.communicate(timeout=120)
    assert process.returncode == 1
    assert stderr.strip().splitlines() == ["Aborted!"], stderr
    done = subprocess.run(command, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    _check_clean(tmp_path, root)


def test_a_run_whose_rows_were_removed_passes_check_after_rerun_and_compact(tmp_path, cifar):
    root = tmp_path / "db"
    command = _build(root, cifar, "--limit", "6", "--no-compact")
    assert subprocess.run(command, capture_output=True, timeout=600).returncode == 0
    lost = sorted((root / "scores" / "space=nb201").glob("*.parquet"))[0]
    lost.unlink()  # as a corrupt part's recovery does
    findings = run_measured(tmp_path, "check", "--root", str(root))
    assert findings.returncode == 1 and "records 6 rows written, 5 present" in findings.stdout
    assert subprocess.run(command, capture_output=True, timeout=600).returncode == 0
    compacted = run_measured(tmp_path, "compact", "--root", str(root))
    assert "recounted: 6 rows recorded, 5 present now" in compacted.stdout
    _check_clean(tmp_path, root)


def test_a_sharded_and_a_whole_build_of_one_configuration_exclude_each_other(tmp_path, cifar):
    root = tmp_path / "db"
    for first, second, refused in (
            (["--shard", "1/2"], [], "whole or sharded"),
            ([], ["--shard", "2/2"], "unsharded")):
        shutil.rmtree(root, ignore_errors=True)
        running = _start(_build(root, cifar, *first))  # the whole space: still running below
        _wait_for_parts(root, running, 1)
        other = subprocess.run(_build(root, cifar, "--limit", "4", *second),
                               capture_output=True, text=True, timeout=600)
        assert other.returncode == 1 and "is already running" in other.stderr, other.stderr
        assert refused in other.stderr
        running.kill()
        _, err = running.communicate()
        # a whole-space build says what it queues before it starts (item 15)
        assert err.startswith("Note: no --limit or --arch-ids: this build queues all 15,625 "
                              "nb201 archs x 1 replicate(s)"), err
    both = [_start(_build(root, cifar, "--limit", "4", "--shard", shard))
            for shard in ("1/2", "2/2")]  # shards of one configuration still run side by side
    assert [p.wait(timeout=600) for p in both] == [0, 0]


# ---------------------------------------------------------------- 13. a killed Ray driver

def _processes_in(folder: Path) -> list[str]:
    """Command names of the processes whose working folder is ``folder`` (a build's and every
    process it started: Ray's GCS, raylet, agents, workers)."""
    found = []
    for entry in os.listdir("/proc"):
        try:
            if entry.isdigit() and os.readlink(f"/proc/{entry}/cwd") == str(folder):
                found.append(Path(f"/proc/{entry}/cmdline").read_bytes().split(b"\0")[0]
                             .decode(errors="replace"))
        except OSError:
            continue
    return found


def test_no_process_of_a_killed_ray_drivers_instance_outlives_it_by_10_s(tmp_path, cifar):
    pytest.importorskip("ray")
    folder = tmp_path / "ray-build"
    folder.mkdir()
    root = tmp_path / "db"
    driver = subprocess.Popen(_build(root, cifar, "--limit", "400", "--engine", "ray",
                                     "--workers", "1"),
                              cwd=folder, env={**os.environ, "OMP_NUM_THREADS": "1"},
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _wait_for_parts(root, driver, 2)  # the actor is scoring
    assert any("ray::" in name for name in _processes_in(folder))  # agents, actor, workers
    driver.kill()
    driver.wait()
    killed = time.monotonic()
    while (left := _processes_in(folder)) and time.monotonic() - killed < 10:
        time.sleep(0.2)
    assert left == [], left  # they lingered 50 to 85 s (issue #24 item 13)


# ---------------------------------------------------------------- 14. what a user types

def test_an_empty_root_is_refused_and_the_working_folder_untouched(tmp_path, cifar):
    cwd = tmp_path / "cwd"
    cwd.mkdir()
    for args in (["sql", "SELECT 1", "--root", ""],
                 ["build", "--space", "nb201", "--dataset", "cifar10", "--root", "",
                  "--data-root", str(cifar), "--limit", "1", "--batch-size", "4"]):
        done = subprocess.run([sys.executable, "-m", "naswot_db", *args], cwd=cwd,
                              capture_output=True, text=True, timeout=300)
        assert done.returncode == 1 and done.stderr.strip().splitlines() == [
            "Error: Invalid value for '--root': is empty; give the root's folder"], done.stderr
    assert list(cwd.iterdir()) == []


def test_a_root_that_is_a_file_is_one_error_line(tmp_path, cifar):
    file = tmp_path / "a-file"
    file.write_text("not a root")
    result = run_measured(tmp_path, "build", "--space", "nb201", "--dataset", "cifar10",
                          "--data-root", str(cifar), "--limit", "1", "--batch-size", "4",
                          env={"NASWOT_DB_ROOT": str(file)})
    result.assert_one_error_line("is a file, not a folder")
    assert file.read_text() == "not a root"


def test_an_empty_shard_is_refused(tmp_path, cifar):
    run_measured(tmp_path, "build", "--space", "nb201", "--dataset", "cifar10", "--root",
                 str(tmp_path / "db"), "--data-root", str(cifar), "--shard", "").\
        assert_one_error_line("invalid shard ''")
    assert not (tmp_path / "db").exists()


def test_fitness_without_a_search_that_uses_it_is_refused(tmp_path):
    run_measured(tmp_path, "search", "--space", "nb201", "--method", "naswot", "--fitness",
                 "cifar10", "--root", str(tmp_path / "none")).assert_one_error_line("--fitness")


def test_dataset_case_and_nats_tss_are_accepted_as_everywhere_else(tmp_path):
    answers = [run_measured(tmp_path, "corr", "--space", space, "--dataset", dataset, "--root",
                            str(tmp_path / "none"), "--format", "csv")
               for space, dataset in (("nb201", "cifar10"), ("nats-tss", "CIFAR10"),
                                      ("NATS_TSS", "Cifar10"))]
    assert [a.returncode for a in answers] == [0, 0, 0], [a.stderr for a in answers]
    assert answers[0].stdout == answers[1].stdout == answers[2].stdout


def test_jacov_says_why_a_batch_has_no_correlation_matrix():
    import numpy as np

    from naswot_db.builder.scoring.jacov import jacov_from_jacobian

    jacobian = np.random.default_rng(0).normal(size=(4, 10))
    jacobian[2] = 0.0  # an image whose input gradient vanishes
    with pytest.raises(ValueError, match="input gradient of 1 of 4 images is constant"):
        jacov_from_jacobian(jacobian)


def test_a_corrupt_part_is_one_line_naming_it_in_pack_and_build(tmp_path, cifar):
    root = tmp_path / "db"
    write(root, "scores", score_part("nb201", [0, 1], [1.0, 2.0]), "nb201")
    part = next((root / "scores" / "space=nb201").glob("*.parquet"))
    part.write_bytes(part.read_bytes()[:100])  # torn, as a disk error leaves it
    for args in (["pack", "--root", str(root), "-o", str(tmp_path / "a.tar")],
                 ["build", "--space", "nb201", "--dataset", "cifar10", "--root", str(root),
                  "--data-root", str(cifar), "--limit", "2", "--batch-size", "4", "--quiet"]):
        run_measured(tmp_path, *args).assert_one_error_line(part.name, "unreadable Parquet",
                                                            "naswot-db check")
