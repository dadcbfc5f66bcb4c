"""NAS-Bench-101 without TensorFlow: TFRecord framing, CRC32C, ModelMetrics and ingest."""

from __future__ import annotations

import dataclasses
import json
import random
import struct
from pathlib import Path

import duckdb
import numpy as np
import pytest
from click.testing import CliRunner
from nb101_files import CELLS, Evaluation, Run, crc32c_bitwise, make_runs, write_runs, write_tfrecord

from naswot_db.builder.ingest import ingest_ground_truth
from naswot_db.builder.spaces import SpaceError, get_space
from naswot_db.schema.nb101_ids import space_ids
from naswot_db.builder.formats.crc32c import crc32c, crc32c_many
from naswot_db.builder.formats.nb101_protobuf import ProtobufError, decode_model_metrics
from naswot_db.builder.formats.tfrecord import TFRecordError, read_record_chunks
from naswot_db.cli import main
from naswot_db.query import connect
from naswot_db.schema import read_table


def read_all(path: Path, chunk_bytes: int = 1 << 20) -> list[tuple[int, bytes]]:
    return [record for chunk in read_record_chunks(path, chunk_bytes) for record in chunk.records()]


def test_crc32c_matches_the_bitwise_definition_for_every_length_mix():
    rng = np.random.default_rng(0)
    lengths = np.array([0, 1, 2, 3, 7, 8, 9, 255, 256, 1000, 4097])
    starts = np.concatenate([[0], np.cumsum(lengths)[:-1]])
    buffer = rng.integers(0, 256, int(lengths.sum()), dtype=np.uint8)
    expected = [crc32c_bitwise(buffer[s:s + n].tobytes()) for s, n in zip(starts, lengths)]
    assert crc32c_many(buffer, starts, lengths).tolist() == expected
    assert crc32c(b"123456789") == 0xE3069283  # the standard check value


def test_records_read_back_byte_for_byte_with_offsets_across_chunk_boundaries(tmp_path):
    rng = random.Random(1)
    payloads = [bytes(rng.randrange(256) for _ in range(rng.randrange(0, 300))) for _ in range(60)]
    path = write_tfrecord(tmp_path / "x.tfrecord", payloads)
    records = read_all(path, chunk_bytes=97)  # frames straddle every read boundary
    assert [data for _, data in records] == payloads
    expected_offsets = np.concatenate([[0], np.cumsum([16 + len(p) for p in payloads])[:-1]])
    assert [offset for offset, _ in records] == expected_offsets.tolist()


def test_model_metrics_decode_field_for_field():
    run = make_runs()[5]
    metrics = decode_model_metrics(run.metrics())
    assert metrics.trainable_parameters == run.params
    assert metrics.total_time == run.total_time
    assert len(metrics.evaluation_data) == 3
    for decoded, written in zip(metrics.evaluation_data, run.evaluations):
        assert decoded.current_epoch == written.epoch
        assert decoded.training_time == written.training_time
        assert decoded.train_accuracy == written.train_accuracy
        assert decoded.validation_accuracy == written.validation_accuracy
        assert decoded.test_accuracy == written.test_accuracy
        assert decoded.checkpoint_path == written.checkpoint_path


def test_model_metrics_decoding_follows_the_wire_format_rules():
    evaluation = (struct.pack("<Bd", 0x29, 0.93) + struct.pack("<Bd", 0x09, 108.0)  # out of order
                  + bytes([0x48, 0x05]) + bytes([0x55]) + b"abcd")  # unknown varint, fixed32
    message = (bytes([0x0A, len(evaluation)]) + evaluation
               + bytes([0x10]) + b"\xff" * 9 + b"\x01"  # int32 -1 as a 10-byte varint
               + bytes([0x78, 0x2A]))  # unknown field 15
    metrics = decode_model_metrics(message)
    assert metrics.trainable_parameters == -1
    (decoded,) = metrics.evaluation_data
    assert (decoded.current_epoch, decoded.test_accuracy, decoded.training_time) == (108.0, 0.93, 0.0)
    with pytest.raises(ProtobufError, match="past the end"):
        decode_model_metrics(message[:7])
    with pytest.raises(ProtobufError, match="field 2 has wire type 1"):
        decode_model_metrics(struct.pack("<Bd", 0x11, 1.0))


def test_payload_roundtrip_keeps_the_json_fields(tmp_path):
    runs = make_runs()
    path = write_runs(tmp_path / "nasbench_only108.tfrecord", runs)
    (offset, data), = read_all(path)[3:4]
    module_hash, epochs, raw_adjacency, raw_ops, _ = json.loads(data)
    assert (module_hash, epochs) == (runs[3].module_hash, 108)
    assert raw_ops == ",".join(runs[3].ops)
    assert len(raw_adjacency) == len(runs[3].ops) ** 2
    assert offset == sum(16 + len(r.payload()) for r in runs[:3])


def _frames(path: Path) -> list[int]:
    return [offset for offset, _ in read_all(path)]


@pytest.mark.parametrize("where", ["length", "length_high", "length_crc", "data", "data_crc"])
def test_a_flipped_byte_names_the_frame_offset(tmp_path, where):
    path = write_runs(tmp_path / "f.tfrecord", make_runs())
    offsets = _frames(path)
    victim = offsets[4]
    length = struct.unpack_from("<Q", path.read_bytes(), victim)[0]
    position = {"length": victim, "length_high": victim + 5, "length_crc": victim + 9, "data": victim + 12 + length // 2,
                "data_crc": victim + 12 + length + 1}[where]
    raw = bytearray(path.read_bytes())
    raw[position] ^= 0x10
    path.write_bytes(bytes(raw))
    with pytest.raises(TFRecordError, match=rf"corrupt record at byte offset {victim}\b"):
        read_all(path)


def test_a_truncated_file_names_the_offset_of_the_torn_frame(tmp_path):
    whole = write_runs(tmp_path / "whole.tfrecord", make_runs())
    last = _frames(whole)[-1]
    path = tmp_path / "t.tfrecord"
    for cut in (last + 5, last + 40):  # inside the header, inside the data
        path.write_bytes(whole.read_bytes()[:cut])
        with pytest.raises(TFRecordError, match=rf"truncated record at byte offset {last}\b"):
            read_all(path)


def test_ingest_writes_archs_and_every_accuracy_in_percent(tmp_path):
    runs = make_runs(budgets=(4, 108))
    rng = random.Random(3)
    rng.shuffle(runs)  # repeat numbers follow file order, ids the hash order of the space
    source = write_runs(tmp_path / "nasbench_full.tfrecord", runs)
    root = tmp_path / "db"
    counts = ingest_ground_truth("nb101", source, root)
    ids = space_ids()
    assert counts == {"nb101": (4, 4 * 2 * (3 + 1) * 2)}

    archs = read_table(root, "archs", space="nb101").sort_by("arch_id").to_pylist()
    assert [(a["arch_id"], a["arch_str"]) for a in archs] == sorted(
        (ids[h], h) for h, _, _ in CELLS)
    cells = {h: (adj, ops) for h, adj, ops in CELLS}
    for arch in archs:
        encoding = json.loads(arch["encoding"])
        assert encoding == {"module_hash": arch["arch_str"], "adjacency": cells[arch["arch_str"]][0],
                            "ops": cells[arch["arch_str"]][1]}
        assert arch["params"] == 100_000 + [c[0] for c in CELLS].index(arch["arch_str"])

    rows = {(r["arch_id"], r["split"], r["epochs"], r["seed"]): r
            for r in read_table(root, "accuracies", space="nb101").to_pylist()}
    for module_hash, _, _ in CELLS:
        arch_id = ids[module_hash]
        for budget in (4, 108):
            group = [r for r in runs if r.module_hash == module_hash and r.epochs == budget]
            for repeat, run in enumerate(group):
                valid = rows[(arch_id, "valid", budget, repeat)]
                test = rows[(arch_id, "test", budget, repeat)]
                assert valid["accuracy"] == pytest.approx(100 * run.final.validation_accuracy, abs=1e-12)
                assert test["accuracy"] == pytest.approx(100 * run.final.test_accuracy, abs=1e-12)
                assert test["train_time_s"] == run.final.training_time
                assert test["dataset"] == "cifar10"
                assert test["source"] == "nasbench_full.tfrecord"
            mean = rows[(arch_id, "test", budget, None)]
            assert mean["accuracy"] == pytest.approx(
                100 * np.mean([r.final.test_accuracy for r in group]), abs=1e-12)
            assert mean["train_time_s"] == pytest.approx(np.mean([r.final.training_time for r in group]))


def test_naswot_ground_truth_is_one_sql_query(tmp_path):
    runs = make_runs(budgets=(36, 108))
    source = write_runs(tmp_path / "nasbench_full.tfrecord", runs)
    root = tmp_path / "db"
    ingest_ground_truth("nb101", source, root)
    glob = str(root / "accuracies" / "*" / "*.parquet")
    best = duckdb.sql(f"""
        SELECT arch_id, max(accuracy) AS acc, arg_max(train_time_s, accuracy) AS t
        FROM read_parquet('{glob}', hive_partitioning = true)
        WHERE space = 'nb101' AND dataset = 'cifar10' AND split = 'test' AND seed IS NOT NULL
        GROUP BY arch_id""").fetchall()
    best = {arch_id: (acc, time_s) for arch_id, acc, time_s in best}
    ids = space_ids()
    for module_hash, _, _ in CELLS:
        group = [r for r in runs if r.module_hash == module_hash]
        top = max(group, key=lambda r: r.final.test_accuracy)
        assert best[ids[module_hash]][0] == pytest.approx(100 * top.final.test_accuracy,
                                                                abs=1e-12)
        assert best[ids[module_hash]][1] == top.final.training_time


def _ingest_fails(tmp_path: Path, source: Path, match: str) -> None:
    root = tmp_path / "db"
    with pytest.raises(SpaceError, match=match):
        ingest_ground_truth("nb101", source, root)
    assert not (root / "archs").exists() and not (root / "accuracies").exists()


def test_corrupt_file_fails_ingest_with_the_offset_and_writes_nothing(tmp_path):
    path = write_runs(tmp_path / "c.tfrecord", make_runs())
    victim = _frames(path)[7]
    raw = bytearray(path.read_bytes())
    raw[victim + 30] ^= 0x01
    path.write_bytes(bytes(raw))
    _ingest_fails(tmp_path, path, rf"byte offset {victim}\b")


def test_bad_payload_fails_ingest_with_the_offset_and_writes_nothing(tmp_path):
    runs = make_runs()
    broken = Run("not-a-hash", 108, [[0, 1], [0, 0]], ["input", "output"], 1,
                 [Evaluation(0, 0, 0, 0, 0)] * 3)
    payloads = [r.payload() for r in runs[:2]] + [b'["abc", 108]', broken.payload()]
    path = write_tfrecord(tmp_path / "p.tfrecord", payloads)
    offset = sum(16 + len(p) for p in payloads[:2])
    _ingest_fails(tmp_path, path, rf"record at byte offset {offset} is not a NAS-Bench-101 record")


def test_cli_ingest_reports_counts_and_fails_in_one_line(tmp_path):
    source = write_runs(tmp_path / "nasbench_only108.tfrecord", make_runs())
    root = tmp_path / "db"
    result = CliRunner().invoke(main, ["ingest", "--space", "nb101", "--source", str(source),
                                       "--root", str(root)])
    assert result.exit_code == 0, result.output
    assert "nb101: 4 archs, 32 accuracy rows" in result.output
    truncated = tmp_path / "torn.tfrecord"
    truncated.write_bytes(source.read_bytes()[:-3])
    result = CliRunner().invoke(main, ["ingest", "--space", "nb101", "--source", str(truncated),
                                       "--root", str(root)])
    assert result.exit_code == 1
    assert result.output.startswith("Error: ") and "truncated record at byte offset" in result.output
    assert read_table(root, "archs", space="nb101").num_rows == 4  # the earlier ingest stays


def test_a_hash_outside_the_space_fails_ingest_with_its_offset(tmp_path):
    runs = make_runs()
    stranger = dataclasses.replace(runs[0], module_hash="0" * 32)
    payloads = [r.payload() for r in runs[1:3]] + [stranger.payload()]
    path = write_tfrecord(tmp_path / "s.tfrecord", payloads)
    offset = sum(16 + len(p) for p in payloads[:2])
    _ingest_fails(tmp_path, path, rf"byte offset {offset}\b.*{'0' * 32} is not a cell of the space")


def test_arch_table_without_ingest_is_the_shipped_space(tmp_path):
    archs = get_space("nb101", tmp_path / "empty").arch_table()
    assert archs.num_rows == 423_624 and not (tmp_path / "empty").exists()


def test_an_ingest_replaces_the_shipped_labels_under_the_same_ids(tmp_path):
    """Own rows win on their keys (the four cells' 108-epoch test means), the shipped labels of
    the other 423,620 cells stay (issue #24 item 15; it replaced the whole space before)."""
    root = tmp_path / "db"
    ids = space_ids()
    cell_ids = sorted(ids[h] for h, _, _ in CELLS)
    query = ("SELECT count(*), count(DISTINCT arch_id) FROM accuracies WHERE space = 'nb101'")
    assert connect(root).execute(query).fetchone() == (423_624, 423_624)  # shipped
    ingest_ground_truth("nb101", write_runs(tmp_path / "nasbench_only108.tfrecord", make_runs()),
                        root)
    assert connect(root).execute(query).fetchone() == (423_624 - 4 + 32, 423_624)
    cells = ", ".join(map(str, cell_ids))
    own = connect(root).execute(
        f"SELECT count(*), count(DISTINCT arch_id), min(source), max(source) FROM accuracies "
        f"WHERE space = 'nb101' AND arch_id IN ({cells})").fetchone()
    assert own == (32, 4, "nasbench_only108.tfrecord", "nasbench_only108.tfrecord")
    splits = connect(root).execute(
        f"SELECT DISTINCT arch_id, split FROM accuracies WHERE space = 'nb101' AND arch_id IN "
        f"({cells}) ORDER BY ALL").fetchall()
    assert splits == [(arch_id, split) for arch_id in cell_ids for split in ("test", "valid")]
    assert connect(root).execute("SELECT count(*) FROM shipped_accuracies").fetchone() == (
        423_624 - 4 + 2 * 15_625 * 6,)  # NB101's other cells and NB201's shipped columns
