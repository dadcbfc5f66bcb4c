"""NATS-Bench size space: arch ids, DynamicShapeTinyNet and the golden NASWOT scores."""

from __future__ import annotations

import bz2
import pickle

import pytest
import torch

from conftest import validation_data
from naswot_db.builder.scoring.naswot import naswot_score
from naswot_db.builder.spaces import SpaceError, get_space
from naswot_db.builder.spaces.nats_cells import FactorizedReduce, parse_arch_str
from naswot_db.builder.spaces.nats_sss import GENOTYPE, NATSSizeSpace, resolve_arch
from naswot_db.builder.spaces.tiny_network import DynamicShapeTinyNet
from naswot_db.testing.reference_naswot import fast_and_reference_scores

# golden-scores.json has these nats_sss entries: (arch_id, arch_str, init_seed)
GOLDEN_KEYS = [(0, "8:8:8:8:8", 0), (0, "8:8:8:8:8", 1), (32767, "64:64:64:64:64", 0),
               (32767, "64:64:64:64:64", 1)]


@pytest.fixture(scope="module")
def space() -> NATSSizeSpace:
    return get_space("nats-sss")


def test_registry_accepts_both_spellings(space):
    assert isinstance(space, NATSSizeSpace) and space.name == "nats-sss"
    assert isinstance(get_space("nats_sss"), NATSSizeSpace)


def test_arch_table_is_benchmark_order(space):
    table = space.arch_table()
    assert table.num_rows == 32768
    assert table.column("arch_id").to_pylist()[:3] == [0, 1, 2]
    strs = table.column("arch_str").to_pylist()
    # values of the official NATS-sss meta file
    assert strs[:3] == ["8:8:8:8:8", "8:8:8:8:16", "8:8:8:8:24"]
    assert strs[11] == "8:8:8:16:32" and strs[284] == "8:8:40:32:40"
    assert strs[-1] == "64:64:64:64:64"
    assert set(table.column("space").to_pylist()) == {"nats-sss"}


@pytest.mark.parametrize("channels", [(8, 8, 8, 8, 8), (16, 64, 8, 40, 24), (64, 64, 64, 64, 56)])
def test_index_is_sum_of_positions_times_powers_of_8(channels, space):
    expected = sum((c // 8 - 1) * 8 ** (4 - k) for k, c in enumerate(channels))
    arch_str = ":".join(map(str, channels))
    assert resolve_arch(arch_str) == (expected, channels)
    assert resolve_arch(expected) == (expected, channels)
    assert space.arch_table().column("arch_str")[expected].as_py() == arch_str


@pytest.mark.parametrize("arch", ["8:8:8:8", "8:8:8:8:12", "8:8:8:8:72", "a:8:8:8:8", -1, 32768,
                                  2.5])
def test_bad_arch_is_a_space_error(space, arch):
    with pytest.raises(SpaceError):
        space.build_model(arch)


def test_official_meta_file_order():
    meta = validation_data() / "nats-bench-fixtures" / "NATS-sss-v1_0-50262-simple" / "meta.pickle.pbz2"
    with bz2.open(meta, "rb") as handle:
        official = pickle.load(handle)["meta_archs"]
    assert official == get_space("nats_sss").arch_table().column("arch_str").to_pylist()


def test_golden_file_lists_these_entries(golden):
    entries = [(e["arch_id"], e["arch_str"], e["init_seed"])
               for e in golden["entries"] if e["space"] == "nats_sss"]
    assert sorted(entries) == sorted(GOLDEN_KEYS)


@pytest.mark.parametrize("arch_id, arch_str, init_seed", GOLDEN_KEYS)
def test_golden_scores(space, golden, arch_id, arch_str, init_seed):
    [score] = [e["score"] for e in golden["entries"] if e["space"] == "nats_sss"
               and e["arch_id"] == arch_id and e["init_seed"] == init_seed]
    torch.manual_seed(1)
    x = torch.randn(128, 3, 32, 32)
    torch.manual_seed(init_seed)
    model = space.build_model(arch_id if init_seed == 0 else arch_str)
    assert naswot_score(model, x) == pytest.approx(score, abs=0.01)


@pytest.mark.parametrize("arch_id, params", [(0, 11714), (11, 49202), (284, 144834)])
def test_ten_class_network_has_the_parameters_nats_reports(arch_id, params):
    # NATS-sss get_cost_info(i, 'cifar10-valid')['params'] * 1e6 (official fixture values)
    _, channels = resolve_arch(arch_id)
    model = DynamicShapeTinyNet(channels, parse_arch_str(GENOTYPE), num_classes=10)
    assert sum(p.numel() for p in model.parameters()) == params


def test_layout_and_outputs(space):
    model = space.build_model("16:24:32:40:48")
    assert [type(m).__name__ for m in model.cells] == [
        "InferCell", "ResNetBasicBlock", "InferCell", "ResNetBasicBlock", "InferCell"]
    # cell 24 -> 32 maps node-0 edges to 32 channels; its skip_connect becomes FactorizedReduce
    assert sum(isinstance(m, FactorizedReduce) for m in model.cells[2].modules()) == 1
    assert sum(isinstance(m, FactorizedReduce) for m in model.cells[0].modules()) == 0
    logits, features = model(torch.randn(4, 3, 16, 16))
    assert logits.shape == (4, 1) and features.shape == (4, 48)


@pytest.mark.parametrize("arch", ["8:8:8:16:32", "64:8:16:8:24", "40:40:40:40:40"])
def test_matches_reference_two_pass_procedure(space, arch):
    # includes cells whose stride-1 FactorizedReduce owns a ReLU that never runs
    torch.manual_seed(5)
    x = torch.randn(8, 3, 16, 16)
    fast, slow = fast_and_reference_scores(lambda: space.build_model(arch), x)
    assert fast == pytest.approx(slow, abs=1e-6)


def test_model_config_names_the_fixed_cell(space):
    assert space.model_config() == {"genotype": GENOTYPE, "num_classes": 1}
    assert GENOTYPE == ("|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|"
                        "+|skip_connect~0|nor_conv_3x3~1|nor_conv_3x3~2|")
