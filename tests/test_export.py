"""naswot-db export: NASLib's zero-cost benchmark JSON, Syne Tune blackboxes, CSV and Parquet,
checked against the root they came from."""

from __future__ import annotations

import json
import math
import shutil
from pathlib import Path

import numpy as np
import pyarrow as pa
import pandas as pd
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner

from distribution_roots import BUILT_ARCHS, add_nb101, build_nb201
from naswot_db.cli import main
from naswot_db.query.connection import connect
from naswot_db.testing.query_tables import score_part, write

# NASLib's NB201 hash of archs 0-3, derived by hand from NASLib's definition: op indices over
# [skip_connect, none, nor_conv_3x3, nor_conv_1x1, avg_pool_3x3] on edges (1,2), (1,3), (1,4),
# (2,3), (2,4), (3,4), node 1 the input.  Arch 1, |nor_conv_3x3~0|+|nor_conv_3x3~0|avg_pool_3x3~1|
# +|skip_connect~0|nor_conv_3x3~1|skip_connect~2|: (1,2) conv3 -> 2, (1,3) conv3 -> 2, (1,4) skip
# -> 0, (2,3) avg -> 4, (2,4) conv3 -> 2, (3,4) skip -> 0.
NASLIB_NB201 = {0: "(4, 3, 3, 0, 0, 0)", 1: "(2, 2, 0, 4, 2, 0)", 2: "(4, 2, 4, 2, 4, 4)",
                3: "(4, 0, 1, 1, 1, 0)"}
# NASLib's NB101 spec tuples of the two cells in distribution_roots.NB101_CELLS, padded to 7
# vertices as NASLib's convert_to_cell does (output column last, fillers conv3x3 without edges):
# the 7x7 matrix row by row, then op indices over [input, output, maxpool3x3, conv1x1-bn-relu,
# conv3x3-bn-relu].
_ZERO_ROW = [0] * 7
NASLIB_NB101 = {
    0: str(tuple([0, 1, 0, 0, 0, 0, 1] + [0, 0, 0, 0, 0, 0, 1] + _ZERO_ROW * 5
                 + [0, 4, 4, 4, 4, 4, 1])),
    1: str(tuple([0, 1, 0, 0, 0, 0, 0] + [0, 0, 1, 0, 0, 0, 1] + [0, 0, 0, 0, 0, 0, 1]
                 + _ZERO_ROW * 4 + [0, 2, 3, 4, 4, 4, 1])),
}


@pytest.fixture(scope="module")
def root(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("export")
    build_nb201(folder / "db", folder / "cifar")
    add_nb101(folder / "db")
    return folder / "db"


def _export(root: Path, out: Path, *args: str):
    return CliRunner().invoke(main, ["export", "--root", str(root), "-o", str(out), *args])


def _rows(root: Path, sql: str, params=()) -> list[tuple]:
    connection = connect(root)
    try:
        return connection.execute(sql, list(params)).fetchall()
    finally:
        connection.close()


def _nb201_truth(root: Path) -> tuple[dict[int, float], dict[int, float], dict[int, float]]:
    """Per arch: mean score over the stored init seeds, mean time, C10 valid accuracy."""
    scores = _rows(root, "SELECT arch_id, avg(value), avg(time_s) FROM scores WHERE space = "
                         "'nb201' GROUP BY 1")
    valid = dict(_rows(root, "SELECT arch_id, accuracy FROM accuracies WHERE space = 'nb201' "
                             "AND dataset = 'cifar10-valid' AND split = 'x-valid' AND epochs = "
                             "200 AND seed IS NULL"))
    return ({a: s for a, s, _ in scores}, {a: t for a, _, t in scores}, valid)


def test_naslib_export_reads_as_naslib_reads_it(root, tmp_path):
    result = _export(root, tmp_path, "--format", "naslib")
    assert result.exit_code == 0, result.output
    with open(tmp_path / "zc_nasbench201.json") as handle:  # get_zc_benchmark_api's read
        benchmark = json.load(handle)["cifar10"]
    score, time, valid = _nb201_truth(root)
    assert set(benchmark) == set(NASLIB_NB201.values())
    for arch_id, arch_hash in NASLIB_NB201.items():
        entry = benchmark[arch_hash]
        assert set(entry) == {"nwot", "val_accuracy"}
        assert entry["nwot"]["score"] == pytest.approx(score[arch_id], rel=1e-12)
        assert entry["nwot"]["time"] == pytest.approx(time[arch_id], rel=1e-12)
        assert entry["val_accuracy"] == valid[arch_id]
    sidecar = json.loads((tmp_path / "zc_nasbench201.naswot-db.json").read_text())
    assert sidecar["tasks"]["cifar10"]["replicates_averaged"] == [[0, 0], [1, 0]]
    assert "not NASLib's own" in sidecar["procedure"]


def test_naslib_nb101_hashes_and_clamped_infinities(root, tmp_path):
    result = _export(root, tmp_path, "--format", "naslib", "--space", "nb101")
    assert result.exit_code == 0, result.output
    text = (tmp_path / "zc_nasbench101.json").read_text()
    benchmark = json.loads(text, parse_constant=lambda name: pytest.fail(f"{name} in JSON"))
    entries = benchmark["cifar10"]
    assert entries[NASLIB_NB101[0]] == {"nwot": {"score": 10.5, "time": 0.5}, "val_accuracy": 91.0}
    assert entries[NASLIB_NB101[1]]["nwot"]["score"] == -1e9, "singular: NASLib's clamp value"


def test_naslib_refuses_spaces_naslib_does_not_have(root, tmp_path):
    write(root.parent / "other", "scores", score_part("nats-sss", [0], [1.0]), "nats-sss")
    result = _export(root.parent / "other", tmp_path, "--format", "naslib", "--space", "nats-sss")
    assert result.exit_code == 1
    assert result.output.startswith("Error: NASLib has no zero-cost benchmark for space 'nats-sss'")
    assert not list(tmp_path.iterdir())


def _read_blackbox(folder: Path) -> dict:
    """The reads of Syne Tune's ``blackbox_tabular.deserialize``, with NumPy, pandas, json."""
    return {
        "configspace": json.loads((folder / "configspace.json").read_text()),
        "fidelityspace": json.loads((folder / "fidelityspace.json").read_text()),
        "hyperparameters": pd.read_parquet(folder / "hyperparameters.parquet"),
        "metadata": json.loads((folder / "metadata.json").read_text()),
        "fidelities": np.load(folder / "fidelities_values.npy"),
        "objectives": np.load(folder / "objectives_evaluations.npy"),
    }


def test_syne_tune_blackbox_files_hold_the_roots_numbers(root, tmp_path):
    result = _export(root, tmp_path, "--format", "syne-tune")
    assert result.exit_code == 0, result.output
    box = _read_blackbox(tmp_path / "nb201")
    metadata = box["metadata"]
    assert metadata["task_names"] == ["cifar10"]
    assert metadata["objectives_names"] == ["metric_valid_error", "metric_test_error",
                                            "metric_naswot", "metric_naswot_time"]
    assert metadata["metric_elapsed_time"] == "metric_naswot_time"
    assert metadata["naswot_db"]["seeds"] == [{"init_seed": 0, "batch_seed": 0},
                                              {"init_seed": 1, "batch_seed": 0}]
    assert box["objectives"].dtype == np.float32
    # every epoch budget of the ground truth is a fidelity: the shipped 12- and 200-epoch means
    assert box["objectives"].shape == (1, BUILT_ARCHS, 2, 2, 4)
    assert box["fidelities"].tolist() == [12, 200]
    assert box["fidelityspace"]["hp_epoch"]["domain_kwargs"] == {"lower": 1, "upper": 200}
    assert list(box["hyperparameters"].columns) == [f"hp_x{i}" for i in range(6)]
    assert set(box["configspace"]) == set(box["hyperparameters"].columns)
    arch_ids = metadata["naswot_db"]["configs_arch_ids"]
    strs = dict(_rows(root, "SELECT arch_id, arch_str FROM archs WHERE space = 'nb201'"))
    stored = {(a, i): v for a, i, v in _rows(
        root, "SELECT arch_id, init_seed, value FROM scores WHERE space = 'nb201'")}
    _, _, valid = _nb201_truth(root)
    valid_12 = dict(_rows(root, "SELECT arch_id, accuracy FROM accuracies WHERE space = 'nb201' "
                                "AND dataset = 'cifar10-valid' AND split = 'x-valid' AND "
                                "epochs = 12 AND seed IS NULL"))
    for row, arch_id in enumerate(arch_ids):
        ops = [edge.split("~")[0] for edge in strs[arch_id].replace("+", "").split("|") if edge]
        assert box["hyperparameters"].iloc[row].tolist() == ops
        for seed in (0, 1):
            assert box["objectives"][0, row, seed, 1, 2] == np.float32(stored[(arch_id, seed)])
            assert box["objectives"][0, row, seed, 1, 0] == \
                pytest.approx(1 - valid[arch_id] / 100, abs=1e-6)
            assert box["objectives"][0, row, seed, 0, 0] == \
                pytest.approx(1 - valid_12[arch_id] / 100, abs=1e-6)


def test_syne_tune_deserialize_round_trip(root, tmp_path):
    tabular = pytest.importorskip("syne_tune.blackbox_repository.blackbox_tabular")
    pytest.importorskip("fastparquet")  # deserialize reads the hyperparameters with it
    assert _export(root, tmp_path, "--format", "syne-tune").exit_code == 0
    blackbox = tabular.deserialize(str(tmp_path / "nb201"))["cifar10"]
    box = _read_blackbox(tmp_path / "nb201")
    configuration = box["hyperparameters"].iloc[2].to_dict()
    result = blackbox.objective_function(configuration, fidelity={"hp_epoch": 200}, seed=1)
    assert result["metric_naswot"] == box["objectives"][0, 2, 1, 1, 2]
    assert result["metric_valid_error"] == box["objectives"][0, 2, 1, 1, 0]


def test_syne_tune_other_spaces_use_arch_ids(root, tmp_path):
    assert _export(root, tmp_path, "--format", "syne-tune", "--space", "nb101").exit_code == 0
    box = _read_blackbox(tmp_path / "nb101")
    assert box["hyperparameters"]["arch_id"].tolist() == [0, 1]
    assert box["configspace"]["arch_id"]["domain_kwargs"]["categories"] == [0, 1]
    assert box["fidelities"].tolist() == [108]
    assert box["objectives"][0, :, 0, 0, 1] == pytest.approx([1 - 0.905, 1 - 0.87])
    assert box["objectives"][0, 1, 0, 0, 2] == -np.inf


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_tables_export_is_the_scored_view_per_space(root, tmp_path, fmt):
    result = _export(root, tmp_path, "--format", fmt)
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in tmp_path.iterdir()) == [f"nb101.{fmt}", f"nb201.{fmt}"]
    for space in ("nb101", "nb201"):
        path = tmp_path / f"{space}.{fmt}"
        frame = pd.read_csv(path) if fmt == "csv" else pq.read_table(path).to_pandas()
        expected = _rows(root, "SELECT count(*), min(value) FROM scored WHERE space = ?", [space])
        assert len(frame) == expected[0][0]
        assert frame["value"].min() == expected[0][1] or (
            math.isinf(expected[0][1]) and frame["value"].min() == -math.inf)


def test_tables_export_keeps_only_the_filtered_scores(root, tmp_path):
    filtered = tmp_path / "copy"
    shutil.copytree(root, filtered)
    jacov = score_part("nb101", [0, 1], [5.0, 6.0]).set_column(
        2, "score", pa.array(["jacov", "jacov"]))
    write(filtered, "scores", jacov, "nb101")
    out = tmp_path / "out"
    result = _export(filtered, out, "--format", "csv", "--space", "nb101", "--score", "jacov")
    assert result.exit_code == 0, result.output
    frame = pd.read_csv(out / "nb101.csv")
    assert set(frame["score"]) == {"jacov"} and sorted(set(frame["value"])) == [5.0, 6.0]
    everything = tmp_path / "all"
    assert _export(filtered, everything, "--format", "csv", "--space", "nb101").exit_code == 0
    assert set(pd.read_csv(everything / "nb101.csv")["score"]) == {"naswot", "jacov"}
    none = _export(filtered, tmp_path / "none", "--format", "csv", "--dataset", "cifar100")
    assert none.exit_code == 1 and "match the export's filters" in none.output
