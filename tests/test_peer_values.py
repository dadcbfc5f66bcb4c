"""ingest --format naslib-zc: NASLib's zero-cost files, built small in their real layout, stored
as scores of their own configuration; and export --format naslib with every stored proxy."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from click.testing import CliRunner

from conftest import validation_data
from distribution_roots import snapshot
from naswot_db.cli import main
from naswot_db.core.nb101_cell import cell_hash
from naswot_db.query import connect
from naswot_db.testing.query_tables import accuracy_part, arch_part, score_part, write

# NASLib's NB201 keys, derived by hand (op indices over [skip_connect, none, nor_conv_3x3,
# nor_conv_1x1, avg_pool_3x3] on edges (1,2),(1,3),(1,4),(2,3),(2,4),(3,4)), with NB201 ids:
# arch 1 is |nor_conv_3x3~0|+|nor_conv_3x3~0|avg_pool_3x3~1|+|skip_connect~0|nor_conv_3x3~1|
# skip_connect~2| (tests/test_export.py derives the same keys).
NB201_KEYS = {0: "(4, 3, 3, 0, 0, 0)", 1: "(2, 2, 0, 4, 2, 0)", 2: "(4, 2, 4, 2, 4, 4)",
              3: "(4, 0, 1, 1, 1, 0)"}
ARCH_STRING_KEY = (5, "|nor_conv_1x1~0|+|skip_connect~0|nor_conv_1x1~1|"
                      "+|nor_conv_3x3~0|none~1|avg_pool_3x3~2|")  # NB201 arch 5
SYNFLOW_SENTINEL = -18.420680743952367  # -log(1e8): Suite-Zero's failure value after its log


def _entry(rng: np.random.Generator, **proxies: float) -> dict:
    entry = {name: {"score": value, "time": float(rng.uniform(0.1, 2))}
             for name, value in proxies.items()}
    return {**entry, "val_accuracy": float(rng.uniform(80, 95)), "idx": 7, "arch": "ignored"}


def nb201_zc_file(path: Path) -> dict:
    """A small zc_nasbench201.json: two datasets, three proxies, two failure sentinels."""
    rng = np.random.default_rng(0)
    cifar10 = {key: _entry(rng, nwot=float(rng.normal(1500, 20)), synflow=float(rng.normal(60, 5)),
                           flops=float(rng.uniform(10, 200)))
               for key in NB201_KEYS.values()}
    cifar10[NB201_KEYS[2]]["nwot"]["score"] = -100000000.0
    cifar10[NB201_KEYS[3]]["synflow"]["score"] = SYNFLOW_SENTINEL
    cifar10[ARCH_STRING_KEY[1]] = _entry(rng, nwot=1400.25)
    data = {"cifar10": cifar10,
            "cifar100": {NB201_KEYS[1]: _entry(rng, nwot=1490.5, flops=80.0)}}
    path.write_text(json.dumps(data))
    return data


def _ingest(root: Path, source: Path, *args: str):
    return CliRunner().invoke(main, ["ingest", "--format", "naslib-zc", "--source", str(source),
                                     "--root", str(root), *args])


def _rows(root: Path, sql: str, params=()) -> pd.DataFrame:
    connection = connect(root)
    try:
        return connection.execute(sql, list(params)).df()
    finally:
        connection.close()


def test_nb201_values_land_as_scores_of_the_files_own_config(tmp_path):
    source = tmp_path / "zc_nasbench201.json"
    data = nb201_zc_file(source)
    root = tmp_path / "db"
    result = _ingest(root, source)
    assert result.exit_code == 0, result.output
    config = "naslib-zc-" + hashlib.sha256(source.read_bytes()).hexdigest()[:16]
    assert "nb201: 15 score rows (3 proxies: nwot, synflow, flops; datasets cifar10, cifar100)" \
           ", 2 of them" in result.stdout and config in result.stdout
    rows = _rows(root, "SELECT * FROM scores WHERE config_id = ?", [config])
    assert len(rows) == 15
    assert set(rows["batch_size"]) == {64} and set(rows["init_seed"]) == {0}
    assert set(rows["run_id"]) == {config} and not rows["reference_raises"].any()
    ids = {**{key: arch for arch, key in NB201_KEYS.items()}, ARCH_STRING_KEY[1]: ARCH_STRING_KEY[0]}
    for dataset, entries in data.items():
        for key, entry in entries.items():
            for proxy in ("nwot", "synflow", "flops"):
                if proxy not in entry:
                    continue
                row = rows[(rows["dataset"] == dataset) & (rows["arch_id"] == ids[key])
                           & (rows["score"] == proxy)].iloc[0]
                assert row["time_s"] == entry[proxy]["time"]
                if entry[proxy]["score"] in (-1e8, SYNFLOW_SENTINEL):
                    assert row["status"] == "error" and np.isnan(row["value"])
                    assert "failure sentinel" in row["error"]
                else:
                    assert row["status"] == "ok" and row["value"] == entry[proxy]["score"]
    run = _rows(root, "SELECT * FROM runs WHERE run_id = ?", [config]).iloc[0]
    recorded = json.loads(run["config"])
    assert recorded["sha256"] == hashlib.sha256(source.read_bytes()).hexdigest()
    assert recorded["file_name"] == source.name and run["rows_written"] == 15
    check = CliRunner().invoke(main, ["check", "--root", str(root)])
    assert check.exit_code == 0, check.output
    info = json.loads(CliRunner().invoke(main, ["info", "--root", str(root), "--format",
                                                "json"]).stdout)
    assert {s["origin"] for s in info["scores"] if s["config_id"] == config} == {"peer"}


def test_sql_compares_ours_with_theirs_and_a_second_ingest_adds_nothing(tmp_path):
    source = tmp_path / "zc_nasbench201.json"
    data = nb201_zc_file(source)
    root = tmp_path / "db"
    assert _ingest(root, source).exit_code == 0
    ours = score_part("nb201", [0, 1, 2, 3], [10.0, 20.0, 30.0, 40.0], config_id="ours")
    write(root, "scores", ours.set_column(2, "score", pa.array(["nwot"] * 4)), "nb201")
    before = snapshot(root)
    again = _ingest(root, source)
    assert again.exit_code == 0 and "already stored" in again.stdout
    assert snapshot(root) == before
    paired = _rows(root, (
        "SELECT o.arch_id, o.value AS ours, p.value AS theirs FROM scores AS o JOIN scores AS p "
        "USING (space, arch_id, score, dataset) WHERE o.config_id = 'ours' AND "
        "p.config_id LIKE 'naslib-zc-%' AND p.status = 'ok' ORDER BY o.arch_id"))
    assert paired["arch_id"].tolist() == [0, 1, 3]  # arch 2's nwot is the sentinel
    assert paired["theirs"].tolist() == [data["cifar10"][NB201_KEYS[a]]["nwot"]["score"]
                                         for a in (0, 1, 3)]


_BAD_FILES = {
    "not JSON": "{",
    "NaN": '{"cifar10": {"(0, 0, 0, 0, 0, 0)": {"nwot": {"score": NaN, "time": 1}}}}',
    "a string score": '{"cifar10": {"(0, 0, 0, 0, 0, 0)": {"nwot": {"score": "1", "time": 1}}}}',
    "an unknown proxy": '{"cifar10": {"(0, 0, 0, 0, 0, 0)": {"magic": {"score": 1, "time": 1}}}}',
    "an op index out of range": '{"cifar10": {"(0, 0, 0, 0, 0, 7)": {"nwot": {"score": 1}}}}',
    "an unknown dataset": '{"mnist": {"(0, 0, 0, 0, 0, 0)": {"nwot": {"score": 1}}}}',
    "NB301 keys": '{"cifar10": {"(((0, 6), (1, 4)), ((0, 6), (1, 4)))": {"nwot": {"score": 1}}}}',
    "no values": '{"cifar10": {}}',
    "a negative time": '{"cifar10": {"(0, 0, 0, 0, 0, 0)": {"nwot": {"score": 1, "time": -1}}}}',
}


@pytest.mark.parametrize("problem", sorted(_BAD_FILES))
def test_a_bad_file_is_one_error_line_and_writes_nothing(tmp_path, problem):
    source = tmp_path / "zc.json"
    source.write_text(_BAD_FILES[problem])
    result = _ingest(tmp_path / "db", source)
    assert result.exit_code == 1
    assert result.output.startswith("Error: ") and result.output.count("\n") == 1, result.output
    assert not (tmp_path / "db").exists()


def test_nb301_is_refused_with_the_reason(tmp_path):
    source = tmp_path / "zc_nasbench301.json"
    source.write_text(_BAD_FILES["NB301 keys"])
    result = _ingest(tmp_path / "db", source)
    assert "no NB301 space" in result.output


# two pruned NB101 cells, and NASLib raw 7x7 specs (56 numbers) that prune to them
_CELLS = [([[0, 1, 1], [0, 0, 1], [0, 0, 0]], ["input", "conv3x3-bn-relu", "output"]),
          ([[0, 1, 0], [0, 0, 1], [0, 0, 0]], ["input", "maxpool3x3", "output"])]
_OPS = {"input": 0, "output": 1, "maxpool3x3": 2, "conv1x1-bn-relu": 3, "conv3x3-bn-relu": 4}


def _raw_key(edges: list[tuple[int, int]], ops: list[str]) -> str:
    matrix = np.zeros((7, 7), dtype=int)
    for source, target in edges:
        matrix[source, target] = 1
    return str(tuple(matrix.ravel().tolist() + [_OPS[op] for op in ops]))


_FILLER = ["conv1x1-bn-relu"] * 5
NB101_KEYS = {
    # cell 0: input -> v1 (conv3x3) -> output and input -> output; vertices 2-5 dangle
    _raw_key([(0, 1), (1, 6), (0, 6), (2, 3)], ["input", "conv3x3-bn-relu", *_FILLER[1:], "output"]): 0,
    # the same cell with its conv3x3 on vertex 4 and another dangling edge: a second raw spec
    _raw_key([(0, 4), (4, 6), (0, 6), (1, 2)], ["input", *_FILLER[:3], "conv3x3-bn-relu",
                                                 _FILLER[0], "output"]): 0,
    # cell 1: input -> v3 (maxpool) -> output
    _raw_key([(0, 3), (3, 6)], ["input", *_FILLER[:2], "maxpool3x3", *_FILLER[:2], "output"]): 1,
}


def _nb101_root(root: Path) -> None:
    hashes = [cell_hash(adjacency, ops) for adjacency, ops in _CELLS]
    write(root, "archs", arch_part("nb101", [0, 1], hashes), "nb101")


def test_nb101_raw_specs_are_pruned_to_the_cells_and_repeats_kept_as_replicates(tmp_path):
    root = tmp_path / "db"
    _nb101_root(root)
    source = tmp_path / "zc_nasbench101.json"
    values = dict(zip(NB101_KEYS, (11.0, 12.0, 13.0)))
    source.write_text(json.dumps({"cifar10": {key: {"synflow": {"score": value, "time": 1.0},
                                                    "val_accuracy": 90.0}
                                              for key, value in values.items()}}))
    result = _ingest(root, source)
    assert result.exit_code == 0, result.output
    rows = _rows(root, "SELECT arch_id, init_seed, value FROM scores WHERE space = 'nb101' "
                       "ORDER BY arch_id, init_seed")
    assert rows.values.tolist() == [[0, 0, 11.0], [0, 1, 12.0], [1, 0, 13.0]]


def test_nb101_archs_the_root_lacks_name_the_ingest_to_run(tmp_path):
    root = tmp_path / "db"
    write(root, "archs", arch_part("nb101", [0], [cell_hash(*_CELLS[0])]), "nb101")
    source = tmp_path / "zc_nasbench101.json"
    source.write_text(json.dumps({"cifar10": {key: {"synflow": {"score": 1.0}}
                                              for key in NB101_KEYS}}))
    before = snapshot(root)
    result = _ingest(root, source)
    assert result.exit_code == 1
    assert "1 of the file's 2 nb101 archs are not in" in result.output
    assert "ingest --space nb101" in result.output
    assert snapshot(root) == before


def _own_nb201_root(root: Path) -> None:
    """NB201 archs 0-3 (the shipped arch table) with naswot, nwot and synflow scores (two init
    seeds) and accuracies."""
    for score, offset in (("naswot", 0.0), ("nwot", 100.0), ("synflow", 200.0)):
        for init_seed in (0, 1):
            part = score_part("nb201", [0, 1, 2, 3], offset + np.arange(4) + init_seed,
                              init_seed=init_seed, config_id=f"cfg-{score}")
            write(root, "scores", part.set_column(2, "score", pa.array([score] * 4)), "nb201")
    write(root, "accuracies", accuracy_part("nb201", [0, 1, 2, 3], [80.0, 85.0, 90.0, 95.0],
                                            dataset="cifar10-valid", split="x-valid"), "nb201")


def test_export_writes_every_stored_proxy_and_reads_back_as_published_values(tmp_path):
    root = tmp_path / "db"
    _own_nb201_root(root)
    out = tmp_path / "naslib"
    result = CliRunner().invoke(main, ["export", "--format", "naslib", "--root", str(root),
                                       "-o", str(out)])
    assert result.exit_code == 0, result.output
    benchmark = json.loads((out / "zc_nasbench201.json").read_text())["cifar10"]
    assert set(benchmark) == set(NB201_KEYS.values())
    for arch, key in NB201_KEYS.items():
        entry = benchmark[key]
        assert set(entry) == {"naswot", "nwot", "synflow", "val_accuracy"}  # nwot is nwot's
        for score, offset in (("naswot", 0.0), ("nwot", 100.0), ("synflow", 200.0)):
            assert entry[score]["score"] == offset + arch + 0.5  # mean of init seeds 0 and 1
        assert entry["val_accuracy"] == 80.0 + 5 * arch
    sidecar = json.loads((out / "zc_nasbench201.naswot-db.json").read_text())
    assert sidecar["proxies"]["naswot"]["score"] == "naswot"
    assert "not NASLib's own" in sidecar["proxies"]["naswot"]["procedure"]
    assert sidecar["tasks"]["cifar10"]["scores"]["synflow"]["config_id"] == "cfg-synflow"
    back = tmp_path / "back"
    assert _ingest(back, out / "zc_nasbench201.json").exit_code == 0
    stored = _rows(back, "SELECT arch_id, score, value FROM scores WHERE space = 'nb201' "
                         "AND score = 'synflow' ORDER BY arch_id")
    assert stored["value"].tolist() == [200.5, 201.5, 202.5, 203.5]
    # published values are other people's: a whole-root export leaves them out
    again = CliRunner().invoke(main, ["export", "--format", "naslib", "--root", str(back),
                                      "-o", str(tmp_path / "again")])
    assert again.exit_code == 1 and "no scores of space 'nb201'" in again.output


_SAMPLE_DATASETS = {"cifar10": "cifar10", "cifar100": "cifar100",
                    "imagenet16_120": "ImageNet16-120"}


def test_suite_zero_published_values_are_stored_exactly(tmp_path):
    """The 202-arch Suite-Zero sample, converted to NASLib's layout, stores value for value."""
    folder = validation_data() / "suite-zero-nb201-sample"
    sample = pd.read_parquet(folder / "suite_zero_nb201_sample_long.parquet")
    sample = sample[sample["primary"]].assign(dataset=lambda f: f["dataset"].map(_SAMPLE_DATASETS))
    from naswot_db.core.encodings.nb201 import naslib_key as nb201_key

    layout: dict[str, dict] = {}
    for row in sample.itertuples():
        entry = layout.setdefault(row.dataset, {}).setdefault(
            nb201_key(row.arch_str), {"val_accuracy": row.val_accuracy})
        entry[row.proxy] = {"score": row.value, "time": 0.0 if np.isnan(row.time_s) else row.time_s}
    source = tmp_path / "zc_nasbench201.json"
    source.write_text(json.dumps(layout))
    assert _ingest(tmp_path / "db", source).exit_code == 0
    stored = _rows(tmp_path / "db", "SELECT arch_id, dataset, score, value, status FROM scores")
    merged = sample.merge(stored, left_on=["index", "dataset", "proxy"],
                          right_on=["arch_id", "dataset", "score"])
    assert len(merged) == len(sample) and merged["arch_id"].nunique() == 202
    sentinel = merged["value_x"] == -1e8
    assert (merged.loc[sentinel, "status"] == "error").all()
    assert (merged.loc[~sentinel, "value_x"] == merged.loc[~sentinel, "value_y"]).all()
