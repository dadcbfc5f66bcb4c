"""Ingest of the NDS data files: rows, arch ids, per-space files, malformed entries."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from naswot_db.builder.ingest import ingest_ground_truth
from naswot_db.builder.spaces import SpaceError, get_space
from naswot_db.builder.spaces.nds import ingest_nds, make_nds_space
from naswot_db.core.names import NDS_FILE_NAMES as NDS_NAMES, UnknownNameError
from naswot_db.schema import read_table

from nds_files import family_entries, write_nds_file

ISSUE_SPACES = ("Amoeba", "DARTS", "DARTS_fix-w-d", "DARTS_lr-wd", "ENAS", "ENAS_fix-w-d",
                "NASNet", "PNAS", "PNAS_fix-w-d", "ResNet", "ResNeXt-A", "ResNeXt-B", "Vanilla",
                "Vanilla_lr-wd")


@pytest.fixture
def nds_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "nds_data"
    write_nds_file(folder, "DARTS", family_entries("DARTS", 4))
    write_nds_file(folder, "DARTS_in", family_entries("DARTS_in", 3))
    write_nds_file(folder, "ResNeXt-A", family_entries("ResNeXt-A", 3))
    write_nds_file(folder, "Vanilla_reruns", {"top": family_entries("Vanilla", 2, seed=1),
                                              "mid": family_entries("Vanilla", 3, seed=2)})
    (folder / "README.txt").write_text("not an NDS file")
    write_nds_file(folder, "summary", {"note": "not an NDS file either"})
    return folder


def test_every_space_of_the_issue_and_its_imagenet_variant_is_known():
    for name in ISSUE_SPACES:
        assert name in NDS_NAMES
        space = get_space(f"nds-{name.lower().replace('_', '-')}")
        assert space.name == f"nds-{name.lower().replace('_', '-')}" and space.score_datasets == ("cifar10",)
    for name in ("Amoeba_in", "DARTS_in", "ENAS_in", "NASNet_in", "PNAS_in", "ResNeXt-A_in",
                 "ResNeXt-B_in"):
        assert get_space(f"nds-{name.lower().replace('_', '-')}").score_datasets == ("imagenette2",)
    with pytest.raises(UnknownNameError, match="unknown space 'nds-darts2'"):
        get_space("nds-darts2")


def test_directory_ingest_gives_one_ground_truth_per_file(nds_dir):
    truths = ingest_nds(nds_dir)
    assert sorted(truths) == ["nds-darts", "nds-darts-in", "nds-resnext-a", "nds-vanilla-reruns"]
    darts = json.loads((nds_dir / "DARTS.json").read_text())
    archs = truths["nds-darts"].archs.to_pylist()
    assert [row["arch_id"] for row in archs] == [0, 1, 2, 3]
    for row, entry in zip(archs, darts):
        assert row["space"] == "nds-darts" and row["source"] == "DARTS.json (NDS data.zip)"
        assert json.loads(row["arch_str"]) == entry["net"]
        assert json.loads(row["encoding"]) == {"net": entry["net"], "optim": entry["optim"]}
        assert (row["params"], row["flops"]) == (entry["params"], entry["flops"])
    rows = truths["nds-darts"].accuracies.to_pylist()
    assert len(rows) == 4 * 2 * 2  # test and train split, the run's seed and the NULL mean
    for arch_id, entry in enumerate(darts):
        mine = [r for r in rows if r["arch_id"] == arch_id]
        assert {(r["split"], r["seed"]) for r in mine} == {
            (s, seed) for s in ("test", "train") for seed in (entry["rng_seed"], None)}
        test = [r for r in mine if r["split"] == "test"]
        assert all(r["accuracy"] == pytest.approx(100 - entry["test_ep_top1"][-1]) for r in test)
        assert all(r["dataset"] == "cifar10" and r["epochs"] == 3 for r in mine)
    assert set(truths["nds-darts-in"].accuracies["dataset"].to_pylist()) == {"imagenet"}


def test_top_then_mid_gives_the_arch_ids(nds_dir):
    data = json.loads((nds_dir / "Vanilla_reruns.json").read_text())
    ordered = data["top"] + data["mid"]
    archs = ingest_nds(nds_dir)["nds-vanilla-reruns"].archs.to_pylist()
    assert [json.loads(r["arch_str"]) for r in archs] == [e["net"] for e in ordered]
    assert [r["arch_id"] for r in archs] == list(range(5))


def test_single_space_ingest_from_file_or_directory(nds_dir, tmp_path):
    space = make_nds_space("nds-resnext-a", tmp_path / "db")
    from_file = space.ingest(nds_dir / "ResNeXt-A.json")
    from_dir = space.ingest(nds_dir)
    assert from_file.archs.equals(from_dir.archs)
    by_function = ingest_nds(nds_dir / "ResNeXt-A.json")["nds-resnext-a"]
    assert from_file.accuracies.equals(by_function.accuracies)
    with pytest.raises(SpaceError, match="DARTS.json holds NDS space nds-darts, not nds-resnext-a"):
        space.ingest(nds_dir / "DARTS.json")


def test_ingested_space_builds_by_arch_id(nds_dir, tmp_path):
    root = tmp_path / "db"
    space = get_space("nds-darts", root)
    with pytest.raises(SpaceError, match="ingest the NDS files first"):
        space.arch_table()
    assert ingest_ground_truth("nds-darts", nds_dir / "DARTS.json", root) == {"nds-darts": (4, 16)}
    space = get_space("nds-darts", root)
    assert space.arch_table()["arch_id"].to_pylist() == [0, 1, 2, 3]
    entry = json.loads((nds_dir / "DARTS.json").read_text())[2]
    model = space.build_model(2)
    assert len(model.cells) == entry["net"]["depth"]
    assert model.stem[0].out_channels == 3 * entry["net"]["width"]
    with pytest.raises(SpaceError, match="no arch id 9"):
        space.build_model(9)


def _break(entries: list, index: int, how: str) -> None:
    entry = entries[index]
    if how == "unknown op":
        entry["net"]["genotype"]["reduce"][3][0] = "sep_conv_9x9"
    elif how == "missing test_ep_top1":
        del entry["test_ep_top1"]
    elif how == "input out of range":
        entry["net"]["genotype"]["normal"][0][1] = 7
    elif how == "not an object":
        entries[index] = ["net", "optim"]
    elif how == "empty curve":
        entry["test_ep_top1"] = []


@pytest.mark.parametrize("how, message", [
    ("unknown op", "unknown op 'sep_conv_9x9'"),
    ("missing test_ep_top1", "missing 'test_ep_top1'"),
    ("input out of range", "input 7 does not exist"),
    ("not an object", "entry must be an object"),
    ("empty curve", "test_ep_top1 must be a non-empty list"),
])
def test_malformed_entry_names_file_and_entry_and_writes_nothing(tmp_path, how, message):
    entries = family_entries("DARTS", 5, seed=3)
    _break(entries, 3, how)
    path = write_nds_file(tmp_path / "nds", "DARTS", entries)
    write_nds_file(tmp_path / "nds", "ENAS", family_entries("ENAS", 2))
    with pytest.raises(SpaceError) as error:
        ingest_nds(path.parent)
    text = str(error.value)
    assert "DARTS.json: malformed entry [3]" in text and "arch id 3" in text
    assert message in text
    if how != "not an object":
        assert "job_id 1003" in text
    root = tmp_path / "db"
    with pytest.raises(SpaceError, match=r"malformed entry \[3\]"):
        ingest_ground_truth("nds-darts", path, root)
    assert not root.exists()


def test_malformed_entry_of_a_top_mid_file_is_named_by_section(tmp_path):
    top, mid = family_entries("Vanilla", 2, seed=1), family_entries("Vanilla", 3, seed=2)
    mid[1]["net"]["block_type"] = "triple_plain_block"
    path = write_nds_file(tmp_path, "Vanilla_reruns", {"top": top, "mid": mid})
    with pytest.raises(SpaceError, match=r"Vanilla_reruns.json: malformed entry mid\[1\] "
                       r"\(job_id 1001\), arch id 3: unknown block_type 'triple_plain_block'"):
        ingest_nds(path)


def test_malformed_anynet_and_file_level_errors(tmp_path):
    entries = family_entries("ResNet", 3)
    entries[2]["net"]["ws"] = entries[2]["net"]["ws"][:-1]
    path = write_nds_file(tmp_path, "ResNet", entries)
    with pytest.raises(SpaceError,
                       match=r"ResNet.json: malformed entry \[2\].*one value per stage"):
        ingest_nds(path)
    write_nds_file(tmp_path, "ENAS", {"top": []})
    with pytest.raises(SpaceError, match="not an NDS file"):
        ingest_nds(tmp_path / "ENAS.json")
    (tmp_path / "PNAS.json").write_text("[{")
    with pytest.raises(SpaceError, match="PNAS.json is not valid JSON"):
        ingest_nds(tmp_path / "PNAS.json")
    with pytest.raises(SpaceError, match="not an NDS data file"):
        ingest_nds(write_nds_file(tmp_path, "darts_copy", []))
    (tmp_path / "empty").mkdir()
    with pytest.raises(SpaceError, match="holds no NDS data files"):
        ingest_nds(tmp_path / "empty")
    with pytest.raises(SpaceError, match="does not exist"):
        ingest_nds(tmp_path / "missing")


def test_previous_ground_truth_survives_a_bad_reingest(nds_dir, tmp_path):
    root = tmp_path / "db"
    ingest_ground_truth("nds-darts", nds_dir / "DARTS.json", root)
    before = read_table(root, "archs", "nds-darts")
    entries = json.loads((nds_dir / "DARTS.json").read_text())
    entries[0]["optim"] = "sgd"
    bad = write_nds_file(tmp_path / "bad", "DARTS", entries)
    with pytest.raises(SpaceError, match=r"malformed entry \[0\].*optim must be an object"):
        ingest_ground_truth("nds-darts", bad, root)
    assert read_table(root, "archs", "nds-darts").equals(before)
