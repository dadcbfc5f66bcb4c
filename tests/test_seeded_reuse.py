"""Less host work per arch, same numbers: a network re-drawn per init seed equals a fresh
build, and a scorer's second pass over a model (no autograd graph) equals the reference."""

from __future__ import annotations

import gc
import random
import weakref

import pytest
import torch
from torch import nn

from naswot_db.builder import get_space, naswot_score
from naswot_db.builder.datasets import get_dataset, load_batch
from naswot_db.builder.runner import BuildConfig, run_build
from naswot_db.builder.runner.reinit import SeededNetwork
from naswot_db.builder.scoring import NaswotScorer
from naswot_db.builder.scoring.naswot_engine.call_plan import PlanCache
from naswot_db.schema import read_table

from nb101_files import CELLS
from nds_files import anynet_net, nas_net, random_genotype
from naswot_db.testing.reference_naswot import reference_naswot

_RNG = random.Random(3)
_DARTS = random_genotype("DARTS", _RNG)
# case -> (space, arch, input side): every kind of network the builder makes
CASES = {
    "nb201": ("nb201", 137, 8),
    "nats-sss": ("nats-sss", 582, 8),
    "nb101": ("nb101", (CELLS[0][1], CELLS[0][2]), 8),
    "nds-darts-dead-input0": ("nds-darts", nas_net({**_DARTS, "normal": [
        [op, source if source else 1] for op, source in _DARTS["normal"]]}, 8, 4), 16),
    "nds-resnext-a": ("nds-resnext-a", anynet_net("res_bottleneck_block", _RNG,
                                                  bottleneck=True), 16),
}


def builder(case: str):
    space_name, arch, _ = CASES[case]
    space = get_space(space_name)
    return lambda: space.build_model(arch)


@pytest.mark.parametrize("case", CASES)
def test_redrawn_network_equals_a_fresh_build(case):
    build = builder(case)
    network = SeededNetwork(build, torch.device("cpu"))
    for seed in (0, 3, 1):
        model = network.for_seed(seed)
        torch.manual_seed(seed)
        fresh = build()
        assert list(model.state_dict()) == list(fresh.state_dict())
        assert all(torch.equal(a, b) for a, b in zip(model.state_dict().values(),
                                                     fresh.state_dict().values()))
    assert network.master is model  # the record passed its check: weights were re-drawn


@pytest.mark.parametrize("case", CASES)
def test_second_pass_without_the_graph_equals_the_reference(case):
    build = builder(case)
    side = CASES[case][2]
    torch.manual_seed(5)
    batches = [torch.randn(6, 3, side, side) for _ in range(2)]
    network = SeededNetwork(build, torch.device("cpu"))
    plans = PlanCache(taping=True)
    for seed in (0, 1, 2):  # passes: recording, planned (written down as a tape), taped ...
        for x in batches:
            model = network.for_seed(seed)
            fast = naswot_score(model, x, plans=plans)
            torch.manual_seed(seed)
            assert fast == reference_naswot(build(), x)
    assert plans.get(model).tape is not None  # the later passes replayed the tape


def test_a_plan_that_does_not_fit_falls_back_to_the_recording_pass():
    space = get_space("nb201")
    x = torch.randn(6, 3, 8, 8)
    plans = PlanCache(taping=True)
    other = space.build_model(11)
    naswot_score(other, x, plans=plans)
    torch.manual_seed(0)
    model = space.build_model(137).eval()
    plans.put(model, plans.get(other))  # another network's plan: its modules, its calls
    torch.manual_seed(0)
    assert naswot_score(model, x, plans=plans) == reference_naswot(space.build_model(137), x)
    assert plans.get(model).modules[0] in set(model.modules())  # replaced by the model's own
    assert all(module.training for module in model.modules())


def test_build_with_several_seeds_stores_fresh_build_scores(tmp_path, cifar10_root):
    root = tmp_path / "db"
    run_build(BuildConfig(space="nb201", dataset="cifar10", root=root, data_root=cifar10_root,
                          arch_ids=[5, 9], init_seeds=[0, 2], batch_seeds=[0, 1],
                          batch_size=4, device="cpu", progress=False))
    stored = {(r["arch_id"], r["init_seed"], r["batch_seed"]): r["value"]
              for r in read_table(root, "scores").to_pylist()}
    assert len(stored) == 8
    batches = {seed: load_batch(get_dataset("cifar10"), cifar10_root, seed, 4).images
               for seed in (0, 1)}
    for (arch, init_seed, batch_seed), value in stored.items():
        torch.manual_seed(init_seed)
        assert value == naswot_score(get_space("nb201").build_model(arch), batches[batch_seed])


def test_a_scorer_keeps_no_network_but_the_last_alive():
    scorer, space, x = NaswotScorer(), get_space("nb201"), torch.randn(4, 3, 8, 8)
    gone = []
    for arch in (1, 2, 3):
        model = space.build_model(arch)
        scorer.score(model, x)
        gone.append(weakref.ref(model))
    del model
    gc.collect()
    assert [ref() is None for ref in gone] == [True, True, False]


class _WeightFromATemporary(torch.nn.Module):
    """Draws into a temporary and keeps a copy: replaying the draw would not reach the copy."""

    def __init__(self) -> None:
        super().__init__()
        self.weight = torch.nn.Parameter(torch.empty(4, 3).uniform_() * 2)
        self.drawn = torch.nn.Parameter(torch.randn(2))  # a factory draw: no call to replay


def test_a_network_the_record_cannot_redraw_is_rebuilt_for_every_seed():
    network = SeededNetwork(_WeightFromATemporary, torch.device("cpu"), seeds=3)
    for seed in (0, 1, 2):
        model = network.for_seed(seed)
        torch.manual_seed(seed)
        fresh = _WeightFromATemporary()
        assert torch.equal(model.weight, fresh.weight) and torch.equal(model.drawn, fresh.drawn)
    assert network.master is None and not network.record


def _hooked(model: torch.nn.Module) -> bool:
    return any(module._forward_hooks for module in model.modules())


def _untaped(seed: int) -> nn.Module:
    """A network that does not declare a static forward: planned passes go through its modules."""
    torch.manual_seed(seed)
    return nn.Sequential(nn.Conv2d(3, 4, 3), nn.ReLU(), nn.Conv2d(4, 4, 3), nn.ReLU(),
                         nn.Flatten())


def test_standing_hooks_leave_with_the_next_model_or_the_scorer():
    scorer, x = NaswotScorer(), torch.randn(4, 3, 8, 8)
    first, second = _untaped(1), _untaped(2)
    scorer.score(first, x)
    scorer.score(first, x)  # the planned pass leaves its hooks standing on the held model
    assert _hooked(first)
    scorer.score(second, x)
    assert not _hooked(first) and not _hooked(second)
    scorer.score(second, x)
    assert _hooked(second)
    del scorer
    gc.collect()
    assert not _hooked(second)
