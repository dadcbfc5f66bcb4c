"""NDS networks: golden scores, agreement with the reference procedure per family, structure."""

from __future__ import annotations

import json
import math
import random
from pathlib import Path

import numpy as np
import pytest
import torch
from torch import nn

from naswot_db.builder import get_space, naswot_score, score_network
from naswot_db.builder.scoring import is_reference_hooked
from naswot_db.builder.spaces import SpaceError

from nds_files import ALL_OPS_GENOTYPE, anynet_net, nas_net, random_genotype
from naswot_db.testing.reference_naswot import fast_and_reference_scores, reference_naswot

GOLDEN_PATH = Path(__file__).resolve().parent / "data" / "golden-scores.json"
GOLDEN_NDS = [e for e in json.loads(GOLDEN_PATH.read_text())["entries"] if e["space"] == "nds"]


def golden_input(side: int) -> torch.Tensor:
    torch.manual_seed(1)
    return torch.randn(128, 3, side, side)


def test_golden_file_has_the_nds_cases():
    spaces = sorted({(e["nds_space"], e["net"].get("aux", False)) for e in GOLDEN_NDS})
    assert spaces == [("DARTS", False), ("DARTS", True), ("DARTS_in", False), ("ResNet", False)]


def _golden_id(entry: dict) -> str:
    return f"{entry['nds_space']}-aux{entry['net'].get('aux')}-seed{entry['init_seed']}"


@pytest.mark.parametrize("entry", GOLDEN_NDS, ids=_golden_id)
def test_golden_nds_scores_are_reproduced(entry):
    space = get_space("nds_" + entry["nds_space"])
    torch.manual_seed(entry["init_seed"])
    model = space.build_model(entry["net"])
    result = score_network(model, golden_input(entry["input_hw"]))
    if entry["score"] == "NaN":
        assert result.status == "error" and math.isnan(result.value)
        assert "not a tensor" in result.error
        assert space.reference_raises(entry["net"])
    else:
        assert result.status == "ok"
        assert result.value == pytest.approx(entry["score"], abs=0.01)
        assert not space.reference_raises(entry["net"])


def _darts_without_input0() -> dict:
    """A DARTS genotype whose cells never read state 0: preprocess0 is computed but dead."""
    genotype = random_genotype("DARTS", random.Random(5))
    for kind in ("normal", "reduce"):
        genotype[kind] = [[op, source if source else 1] for op, source in genotype[kind]]
    return genotype


_RNG = random.Random(11)
# case -> (space, net, input side): every NAS family (CIFAR and ImageNet layouts, every op) and
# every AnyNet block type and stem
REFERENCE_CASES: dict[str, tuple[str, dict, int]] = {
    **{f"{family.lower()}-cifar": (f"nds_{family.lower()}",
                                   nas_net(random_genotype(family, _RNG), 8, 5), 32)
       for family in ("DARTS", "ENAS", "PNAS", "NASNet", "Amoeba")},
    "all-ops-cifar": ("nds-darts", nas_net(ALL_OPS_GENOTYPE, 8, 3), 32),
    "all-ops-imagenet": ("nds-darts-in", nas_net(ALL_OPS_GENOTYPE, 8, 3), 64),
    "pnas-imagenet": ("nds-pnas-in", nas_net(random_genotype("PNAS", _RNG), 12, 4), 64),
    "darts-dead-preprocess0": ("nds-darts", nas_net(_darts_without_input0(), 8, 4), 32),
    "resnet": ("nds-resnet", anynet_net("res_basic_block", _RNG), 32),
    "resnext-a": ("nds-resnext-a", anynet_net("res_bottleneck_block", _RNG, bottleneck=True), 32),
    "resnext-b-imagenet": ("nds-resnext-b-in",
                           anynet_net("res_bottleneck_block", _RNG, 4, bottleneck=True), 64),
    "vanilla": ("nds-vanilla", anynet_net("double_plain_block", _RNG), 32),
    "vanilla-lr-wd-imagenet": ("nds-vanilla-lr-wd-in",
                               anynet_net("double_plain_block", _RNG, 4), 64),
}


@pytest.mark.parametrize("space_name, net, side", REFERENCE_CASES.values(), ids=REFERENCE_CASES)
def test_scorer_equals_reference_procedure(space_name, net, side):
    space = get_space(space_name)
    torch.manual_seed(7)
    x = torch.randn(10, 3, side, side)
    fast, slow = fast_and_reference_scores(lambda: space.build_model(net), x)
    assert math.isfinite(fast)
    assert fast == pytest.approx(slow, abs=1e-6)


def _all_hooked_score(model: nn.Module, x: torch.Tensor) -> float:
    """log|det K| counting every hooked module, dead or alive (what liveness must avoid)."""
    kernel = np.zeros((len(x), len(x)))

    def hook(module, inputs, output):
        nonlocal kernel
        codes = (inputs[0].detach().reshape(len(x), -1) > 0).double().numpy()
        kernel = kernel + codes @ codes.T + (1 - codes) @ (1 - codes).T

    handles = [m.register_forward_hook(hook) for m in model.modules() if is_reference_hooked(m)]
    model.train()
    model(x)
    for handle in handles:
        handle.remove()
    return float(np.linalg.slogdet(kernel)[1])


def test_unused_preprocess0_is_left_out_as_the_reference_leaves_it_out():
    space_name, net, side = REFERENCE_CASES["darts-dead-preprocess0"]
    torch.manual_seed(7)
    x = torch.randn(10, 3, side, side)
    torch.manual_seed(0)
    model = get_space(space_name).build_model(net)
    assert all(source != 0 for kind in ("normal", "reduce") for _, source in
               net["genotype"][kind])
    assert naswot_score(model, x) != pytest.approx(_all_hooked_score(model, x), abs=1e-3)


def test_hooked_modules_mirror_pycls_class_names():
    model = get_space("nds-darts").build_model(nas_net(ALL_OPS_GENOTYPE, 8, 5))
    hooked = [type(m).__name__ for m in model.modules() if is_reference_hooked(m)]
    # 5 cells, reductions at 1 and 3; cells 2 and 4 follow a reduction (FactorizedReduce
    # preprocess0): 2 * 5 - 2 ReLUConvBN wrappers, each hooked besides its inner ReLU
    assert hooked.count("ReLUConvBN") == 8
    assert set(hooked) == {"ReLUConvBN", "ReLU"}
    assert all(("ReLU" in str(type(m))) == is_reference_hooked(m) for m in model.modules())
    cell = model.cells[0]
    conv_3x3 = cell._ops[1]
    assert isinstance(conv_3x3, nn.Sequential) and not is_reference_hooked(conv_3x3)
    anynet = get_space("nds-resnext-a").build_model(
        anynet_net("res_bottleneck_block", random.Random(0), bottleneck=True))
    assert {type(m).__name__ for m in anynet.modules() if is_reference_hooked(m)} == {"ReLU"}


def test_auxiliary_head_gives_nested_tuples_in_train_mode_only():
    net = nas_net(random_genotype("DARTS", random.Random(2)), 8, 6, aux=True)
    space = get_space("nds-darts")
    model = space.build_model(net)
    x = torch.randn(4, 3, 32, 32)
    model.train()
    logits, logits_aux = model(x)
    assert isinstance(logits, tuple) and isinstance(logits_aux, tuple)
    assert logits[0].shape == (4, 1) and logits_aux[0].shape == (4, 1)
    with pytest.raises(AttributeError):
        reference_naswot(model, x)
    model.eval()
    y, features = model(x)
    assert y.shape == (4, 1) and features.shape == (4, 8 * 4 * 4)
    assert space.reference_raises(net)


def test_networks_have_one_output_and_return_features():
    x = torch.randn(2, 3, 32, 32)
    rng = random.Random(4)
    y, features = get_space("nds-resnet").build_model(anynet_net("res_basic_block", _RNG))(x)
    assert y.shape == (2, 1) and features.ndim == 2
    genotype = random_genotype("ENAS", rng)
    # depth 4: reductions at cells 1 and 2 (width x4), the last cell is a normal one
    model = get_space("nds-enas").build_model(nas_net(genotype, 12, 4))
    y, features = model(x)
    expected_channels = len(genotype["normal_concat"]) * 12 * 4
    assert y.shape == (2, 1) and features.shape == (2, expected_channels)


def test_anynet_weights_follow_pycls_init():
    torch.manual_seed(0)
    model = get_space("nds-vanilla").build_model(
        {"block_type": "double_plain_block", "ds": [2, 2, 2], "ws": [64, 128, 256],
         "ss": [1, 2, 2], "bot_muls": [], "num_gs": []})
    convs = [m for m in model.modules() if isinstance(m, nn.Conv2d)]
    last = convs[-1]
    assert last.weight.std().item() == pytest.approx(math.sqrt(2 / (9 * 256)), rel=0.02)
    linear = model.head.fc.mod
    assert linear.weight.std().item() == pytest.approx(0.01, rel=0.3)
    assert torch.count_nonzero(linear.bias) == 0
    assert model.stem.conv.stride == (2, 2) and model.stem.conv.kernel_size == (3, 3)
    res = get_space("nds-resnet").build_model(anynet_net("res_basic_block", random.Random(1)))
    assert res.stem.conv.kernel_size == (7, 7) and isinstance(res.stem.pool, nn.MaxPool2d)
    assert res.stem.conv.out_channels == 12


def test_build_model_takes_json_text_and_rejects_bad_nets():
    space = get_space("nds-darts")
    net = nas_net(random_genotype("DARTS", random.Random(3)), 8, 2)
    torch.manual_seed(0)
    from_dict = space.build_model(net)
    torch.manual_seed(0)
    from_text = space.build_model(json.dumps(net))
    for a, b in zip(from_dict.parameters(), from_text.parameters()):
        assert torch.equal(a, b)
    bad = json.loads(json.dumps(net))
    bad["genotype"]["normal"][0][0] = "conv_9x9"
    with pytest.raises(SpaceError, match="unknown op 'conv_9x9'"):
        space.build_model(bad)
    with pytest.raises(SpaceError, match="not NDS net JSON"):
        space.build_model("{not json")
