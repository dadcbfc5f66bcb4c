"""Ground truth of NAS-Bench-201 / NATS tss and NATS sss from their three file layouts.

Validation tests read the official NATS-Bench fixtures and compare with the values the
``nats_bench`` API reports for them (``get_more_info(i, ds, hp=..., is_random=False)``, stated
literally below).  The other tests write small files in the real layouts and check every value.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import nats_bench
import pytest
from click.testing import CliRunner

import nats_files as nf
from conftest import validation_data
from naswot_db.builder.spaces import SpaceError, get_space
from naswot_db.builder.spaces.nb201 import benchmark_arch_strs
from naswot_db.cli import main

OFFICIAL = "nats-bench-fixtures"
TSS_DIR = "NATS-tss-v1_0-3ffb9-simple"
SSS_DIR = "NATS-sss-v1_0-50262-simple"

# nats_bench API on the official fixtures, arch 284, is_random=False (mean over seeds):
# (hp, dataset): {API key: value}; test-accuracy is ori-test for cifar10*, x-test otherwise.
API_TSS_284 = {
    ("12", "cifar10-valid"): {"train-accuracy": 74.31199997924804, "valid-accuracy": 72.8759999975586,
                              "test-accuracy": 72.41, "train-all-time": 58.509532451629646},
    ("12", "cifar100"): {"train-accuracy": 41.732, "valid-accuracy": 40.47999998168945,
                         "test-accuracy": 39.44000000610352, "valtest-accuracy": 39.96,
                         "train-all-time": 117.01906490325929},
    ("200", "cifar10-valid"): {"train-accuracy": 96.25600001627605, "valid-accuracy": 86.04666666341147,
                               "test-accuracy": 85.63666666666666, "train-all-time": 975.15887419383},
    ("200", "cifar10"): {"train-accuracy": 94.68933333333332, "test-accuracy": 88.79,
                         "train-all-time": 1950.31774838766},
    ("200", "ImageNet16-120"): {"train-accuracy": 33.97758734347453,
                                "valid-accuracy": 33.399999984741214,
                                "test-accuracy": 32.466666556464304,
                                "valtest-accuracy": 32.93333332485623,
                                "train-all-time": 5917.264048608147},
}
API_SSS_284 = {
    ("01", "cifar10-valid"): {"train-accuracy": 33.10400000854492, "valid-accuracy": 41.37199999633789,
                              "test-accuracy": 41.22, "train-all-time": 3.3467345237731934},
    ("12", "cifar100"): {"train-accuracy": 51.484, "valid-accuracy": 49.01333333536784,
                         "test-accuracy": 48.946666628011066, "valtest-accuracy": 48.98,
                         "train-all-time": 73.52742576599121},
    ("12", "ImageNet16-120"): {"train-accuracy": 25.70863546513537,
                               "valid-accuracy": 26.888888885498048,
                               "test-accuracy": 25.16666661919488,
                               "valtest-accuracy": 26.027777770996096,
                               "train-all-time": 143.24109363555908},
    ("90", "cifar10"): {"train-accuracy": 96.846, "test-accuracy": 89.51,
                        "train-all-time": 550.899338722229},
    ("90", "ImageNet16-120"): {"train-accuracy": 35.15820698843084, "valid-accuracy": 33.33333323160807,
                               "test-accuracy": 32.76666660054525, "valtest-accuracy": 33.04999996948242,
                               "train-all-time": 1074.3082022666931},
}
# get_cost_info(284, 'cifar10-valid'): params (M), flops (M)
API_COST_284 = {"tss": (0.101306, 11.71521), "sss": (0.144834, 21.827994)}


def _official(name: str) -> Path:
    return validation_data() / OFFICIAL / name


def _split_of(api_key: str, dataset: str) -> str:
    if api_key == "valid-accuracy":
        return "x-valid"
    if api_key == "valtest-accuracy":
        return "ori-test"
    if api_key == "test-accuracy":
        return "ori-test" if dataset in ("cifar10-valid", "cifar10") else "x-test"
    return "train"


def _mean_rows(accuracies, index: int, epochs: int, dataset: str) -> dict[str, dict]:
    rows = [r for r in accuracies.to_pylist() if r["arch_id"] == index and r["epochs"] == epochs
            and r["dataset"] == dataset and r["seed"] is None]
    return {r["split"]: r for r in rows}


def _check_against_api(accuracies, index: int, expected: dict) -> None:
    for (hp, dataset), values in expected.items():
        rows = _mean_rows(accuracies, index, int(hp), dataset)
        for key, value in values.items():
            if key == "train-all-time":
                assert rows["train"]["train_time_s"] == pytest.approx(value, rel=1e-12)
            else:
                assert rows[_split_of(key, dataset)]["accuracy"] == pytest.approx(value, rel=1e-12), \
                    (hp, dataset, key)


def test_official_tss_fixture_matches_the_api():
    truth = get_space("nb201").ingest(_official(TSS_DIR))
    _check_against_api(truth.accuracies, 284, API_TSS_284)
    archs = {r["arch_id"]: r for r in truth.archs.to_pylist()}
    assert sorted(archs) == [0, 11, 284]
    assert archs[284]["arch_str"] == benchmark_arch_strs()[284]
    assert (archs[284]["params"], archs[284]["flops"]) == pytest.approx(API_COST_284["tss"])
    assert truth.accuracies.num_rows == 243
    # tss 12-epoch results (what a simulated evolutionary search uses): seeds as stored
    seeds = {(r["dataset"], r["seed"]) for r in truth.accuracies.to_pylist()
             if r["epochs"] == 12 and r["arch_id"] == 284 and r["seed"] is not None}
    assert seeds == {("cifar10-valid", 111), ("cifar10-valid", 777), ("cifar10", 111),
                     ("cifar100", 111), ("ImageNet16-120", 111)}
    # one seed: get_more_info(284, 'cifar10-valid', hp='12', is_random=111)
    row = next(r for r in truth.accuracies.to_pylist() if r["arch_id"] == 284 and r["epochs"] == 12
               and r["dataset"] == "cifar10-valid" and r["seed"] == 111 and r["split"] == "x-valid")
    assert row["accuracy"] == pytest.approx(71.70799999023437, rel=1e-12)
    assert row["train_time_s"] == pytest.approx(58.509532451629646, rel=1e-12)


def test_official_sss_fixture_matches_the_api():
    truth = get_space("nats-sss").ingest(_official(SSS_DIR))
    _check_against_api(truth.accuracies, 284, API_SSS_284)
    archs = {r["arch_id"]: r for r in truth.archs.to_pylist()}
    assert archs[284]["arch_str"] == "8:8:40:32:40" and archs[11]["arch_str"] == "8:8:8:16:32"
    assert (archs[284]["params"], archs[284]["flops"]) == pytest.approx(API_COST_284["sss"])
    assert set(truth.accuracies.column("epochs").to_pylist()) == {1, 12, 90}
    assert set(truth.accuracies.column("space").to_pylist()) == {"nats-sss"}
    assert truth.accuracies.num_rows == 312


@pytest.mark.parametrize("space, api_space, folder, hps", [
    ("nb201", "tss", TSS_DIR, ("12", "200")), ("nats-sss", "sss", SSS_DIR, ("01", "12", "90"))])
def test_official_fixtures_every_value_matches_the_api(space, api_space, folder, hps):
    source = _official(folder)
    truth = get_space(space).ingest(source)
    api = nats_bench.create(str(source), api_space, fast_mode=True, verbose=False)
    for index in (0, 11, 284):
        for hp in hps:
            for dataset in nf.DATASETS:
                info = api.get_more_info(index, dataset, hp=hp, is_random=False)
                keys = [k for k in ("train-accuracy", "valid-accuracy", "test-accuracy",
                                    "valtest-accuracy", "train-all-time") if k in info]
                _check_against_api(truth.accuracies, index, {(hp, dataset): {k: info[k] for k in keys}})


SSS_BUDGETS = {"01": (1, [777]), "12": (12, [777, 888, 999]), "90": (90, [777])}
TSS_BUDGETS = {"12": (12, [111, 777]), "200": (200, [777, 888])}


def _rows_by_key(accuracies) -> dict[tuple, dict]:
    return {(r["arch_id"], r["dataset"], r["split"], r["epochs"], r["seed"]): r
            for r in accuracies.to_pylist()}


def _check_written_values(accuracies, indices, budgets) -> None:
    rows = _rows_by_key(accuracies)
    splits_per_dataset = {ds: ["train", *names] for ds, names in nf.EVAL_NAMES.items()}
    expected_count = sum(len(splits) * (len(seeds) + 1) for _, seeds in budgets.values()
                         for splits in splits_per_dataset.values()) * len(indices)
    assert accuracies.num_rows == expected_count
    for index in indices:
        for epochs, seeds in budgets.values():
            for dataset, splits in splits_per_dataset.items():
                for split in splits:
                    values = [nf.final_accuracy(index, dataset, split, s, epochs) for s in seeds]
                    for seed, value in zip(seeds, values):
                        row = rows[(index, dataset, split, epochs, seed)]
                        assert row["accuracy"] == pytest.approx(value)
                        assert row["train_time_s"] == pytest.approx(nf.EPOCH_SECONDS[dataset] * epochs)
                    mean = rows[(index, dataset, split, epochs, None)]
                    assert mean["accuracy"] == pytest.approx(sum(values) / len(values))


def test_fast_mode_directory_written_by_the_test(tmp_path):
    meta = nf.sss_meta_archs()
    source = nf.write_fast_mode_dir(tmp_path / "NATS-sss-v1_0-50262-simple", meta, [3, 32767],
                                    SSS_BUDGETS)
    truth = get_space("nats-sss").ingest(source)
    _check_written_values(truth.accuracies, [3, 32767], SSS_BUDGETS)
    assert truth.archs.column("arch_str").to_pylist() == ["8:8:8:8:32", "64:64:64:64:64"]
    assert set(truth.accuracies.column("source").to_pylist()) == {
        "NATS-sss-v1_0-50262-simple (v1_0-50262)"}
    # the official API reads the same directory to the same value
    api = nats_bench.create(str(source), "sss", fast_mode=True, verbose=False)
    info = api.get_more_info(32767, "ImageNet16-120", hp="12", is_random=False)
    row = _rows_by_key(truth.accuracies)[(32767, "ImageNet16-120", "x-test", 12, None)]
    assert row["accuracy"] == pytest.approx(info["test-accuracy"], rel=1e-12)


def test_single_file_pickle_written_by_the_test(tmp_path):
    meta = list(benchmark_arch_strs())
    source = nf.write_single_file(tmp_path / "NATS-tss-v1_0-3ffb9.pickle.pbz2", meta, [0, 9, 15624],
                                  TSS_BUDGETS)
    truth = get_space("nb201").ingest(source)
    _check_written_values(truth.accuracies, [0, 9, 15624], TSS_BUDGETS)
    assert truth.archs.column("arch_str").to_pylist() == [meta[0], meta[9], meta[15624]]
    api = nats_bench.create(str(source), "tss", fast_mode=False, verbose=False)
    info = api.get_more_info(9, "cifar10-valid", hp="12", is_random=False)
    row = _rows_by_key(truth.accuracies)[(9, "cifar10-valid", "x-valid", 12, None)]
    assert row["accuracy"] == pytest.approx(info["valid-accuracy"], rel=1e-12)
    # train time of the 12-epoch budget, the cost of a simulated 12-epoch training
    assert row["train_time_s"] == pytest.approx(info["train-all-time"]) == pytest.approx(36.0)


def test_nb201_pth_written_by_the_test(tmp_path):
    meta = list(benchmark_arch_strs())
    source = nf.write_nb201_pth(tmp_path / "NAS-Bench-201-v1_1-096897.pth", meta, [5, 6],
                                less_seeds=[111], full_seeds=[777, 888, 999])
    truth = get_space("nb201").ingest(source)
    _check_written_values(truth.accuracies, [5, 6], {"less": (12, [111]),
                                                     "full": (200, [777, 888, 999])})
    assert set(truth.accuracies.column("epochs").to_pylist()) == {12, 200}
    assert set(truth.archs.column("source").to_pylist()) == {
        "NAS-Bench-201-v1_1-096897.pth (v1_1-096897)"}
    # NASWOT's NB201 CIFAR-10 accuracy: hp 200, cifar10-valid / ori-test, mean over seeds
    row = _rows_by_key(truth.accuracies)[(6, "cifar10-valid", "ori-test", 200, None)]
    assert row["accuracy"] == pytest.approx(
        sum(nf.final_accuracy(6, "cifar10-valid", "ori-test", s, 200) for s in (777, 888, 999)) / 3)


def test_missing_source(tmp_path):
    with pytest.raises(SpaceError, match="does not exist"):
        get_space("nats-sss").ingest(tmp_path / "nope")


def test_directory_without_meta(tmp_path):
    with pytest.raises(SpaceError, match="no meta.pickle.pbz2"):
        get_space("nats-sss").ingest(tmp_path)


def test_corrupt_arch_file_names_the_file(tmp_path):
    source = nf.write_fast_mode_dir(tmp_path / "sss", nf.sss_meta_archs(), [1, 2], SSS_BUDGETS)
    (source / "000002.pickle.pbz2").write_bytes(b"BZh91AY&SY not really bz2")
    with pytest.raises(SpaceError, match="cannot read .*000002.pickle.pbz2"):
        get_space("nats-sss").ingest(source)


def test_malformed_record_names_the_arch(tmp_path):
    meta = nf.sss_meta_archs()
    source = nf.write_fast_mode_dir(tmp_path / "sss", meta, [1], SSS_BUDGETS)
    states = nf.hp_states(7, meta[7], SSS_BUDGETS)
    del states["12"]["all_results"][("cifar100", 888)]["eval_acc1es"]
    nf.dump_bz2_pickle(states, source / "000007.pickle.pbz2")
    with pytest.raises(SpaceError, match="malformed results for arch 7"):
        get_space("nats-sss").ingest(source)


def test_tss_files_are_refused_by_the_size_space(tmp_path):
    source = nf.write_fast_mode_dir(tmp_path / "tss", list(benchmark_arch_strs()), [0],
                                    TSS_BUDGETS)
    with pytest.raises(SpaceError, match="does not hold the nats-sss space.*15625 archs"):
        get_space("nats-sss").ingest(source)


def test_not_a_pth(tmp_path):
    source = tmp_path / "NAS-Bench-201-v1_0-e61699.pth"
    source.write_bytes(b"not a torch file")
    with pytest.raises(SpaceError, match="cannot read .*e61699.pth"):
        get_space("nb201").ingest(source)


def test_cli_ingest_writes_parquet_that_duckdb_reads(tmp_path):
    source = nf.write_fast_mode_dir(tmp_path / "NATS-sss-v1_0-50262-simple", nf.sss_meta_archs(),
                                    [0, 11], SSS_BUDGETS)
    root = tmp_path / "db"
    result = CliRunner().invoke(main, ["ingest", "--space", "nats-sss", "--source", str(source),
                                       "--root", str(root)])
    assert result.exit_code == 0, result.output
    glob = str(root / "accuracies" / "*" / "*.parquet")
    (value, count), = duckdb.sql(
        f"SELECT max(accuracy) FILTER (WHERE arch_id = 11 AND dataset = 'cifar100' "
        f"AND split = 'x-test' AND epochs = 90 AND seed IS NULL), count(*) "
        f"FROM read_parquet('{glob}', hive_partitioning = true) WHERE space = 'nats-sss'").fetchall()
    assert value == pytest.approx(nf.final_accuracy(11, "cifar100", "x-test", 777, 90))
    # per arch and budget 13 (dataset, split) pairs, each per seed and as the mean:
    # 13 * (2 + 4 + 2) = 104 rows per arch
    assert count == 208
    # a bad source: one error line, exit 1, the stored ground truth untouched
    before = sorted(p.name for p in root.rglob("*.parquet"))
    bad = CliRunner().invoke(main, ["ingest", "--space", "nats-sss", "--source",
                                    str(tmp_path / "missing"), "--root", str(root)])
    assert bad.exit_code == 1
    assert bad.output.strip().count("\n") == 0 and bad.output.startswith("Error: ")
    assert sorted(p.name for p in root.rglob("*.parquet")) == before
