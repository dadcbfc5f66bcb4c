"""One forward for the loss pass, grasp's Hessian-gradient product and the input Jacobian.

A SharedPasses told its plan (:func:`~naswot_db.builder.scoring.passes.plan_for`) backpropagates
grasp's second pass and jacov/epe_nas's Jacobian through the loss pass's retained graph; every
value must equal, bit for bit, the passes run one by one (no plan) and each scorer alone, in any
order of the scorers, on real NB201, NATS-sss and NB101 networks.
"""

from __future__ import annotations

import copy
import math

import pytest
import torch
from nb101_files import CELLS

from naswot_db.builder.scoring import get_scorer
from naswot_db.builder.runner.fresh_state import FreshState
from naswot_db.builder.scoring.passes import HESSIAN, JACOBIAN, LOSS, SharedPasses, plan_for
from naswot_db.builder.spaces import get_space
from naswot_db.core.scores import suite_zero_names

NETWORKS = [("nb201", 77), ("nb201", 3021), ("nats-sss", 284),
            ("nb101", (CELLS[1][1], CELLS[1][2]))]


def build(space: str, arch, num_classes: int = 10) -> torch.nn.Module:
    torch.manual_seed(0)
    return get_space(space).build_model(arch, num_classes=num_classes)


def batch() -> tuple[torch.Tensor, torch.Tensor]:
    generator = torch.Generator().manual_seed(3)
    images = torch.randn(8, 3, 8, 8, generator=generator)
    return images, torch.tensor([0, 1, 1, 2, 2, 2, 3, 7])


def suite_values(space: str, arch, names: list[str], planned: bool) -> dict[str, float]:
    images, labels = batch()
    net = build(space, arch)
    scorers = [get_scorer(name) for name in names]
    passes = SharedPasses(net, images, labels, plan=plan_for(scorers) if planned else ())
    values = {}
    for scorer in scorers:
        fresh = scorer.changes_weights
        result = scorer.score(copy.deepcopy(net) if fresh else net, images, labels,
                              passes=None if fresh else passes)
        values[scorer.name] = (result.status, result.value)
    return values


@pytest.mark.parametrize("space, arch", NETWORKS)
def test_a_planned_suite_equals_unplanned_passes_and_each_scorer_alone(space, arch):
    names = [name for name in suite_zero_names() if not (name == "zen" and space == "nb101")]
    images, labels = batch()
    alone = {}
    for name in names:
        result = get_scorer(name).score(build(space, arch), images, labels)
        alone[name] = (result.status, result.value)
    assert all(status == "ok" for status, _ in alone.values()), alone
    assert suite_values(space, arch, names, planned=True) == alone
    assert suite_values(space, arch, names, planned=False) == alone
    # the Jacobian and grasp before the loss pass's other readers, and after them
    assert suite_values(space, arch, ["jacov", "grasp", "fisher", "snip"], True) == {
        name: alone[name] for name in ("jacov", "grasp", "fisher", "snip")}
    assert suite_values(space, arch, ["fisher", "grasp", "epe_nas"], True) == {
        name: alone[name] for name in ("fisher", "grasp", "epe_nas")}


def test_the_planned_passes_run_at_the_first_request_and_keep_no_graph():
    """A build resets the network's buffers between scorers (FreshState.restore, an in-place
    copy): a graph kept across scorers would refuse its next backward."""
    images, labels = batch()
    net = build("nb201", 77)
    fresh = FreshState(net, torch.device("cpu"))
    fresh.capture()
    before = {key: value.clone() for key, value in net.named_parameters()}
    passes = SharedPasses(net, images, labels, plan={LOSS, HESSIAN, JACOBIAN})
    jacobian = passes.input_jacobian()
    fresh.restore()
    assert passes.hessian_gradient() and passes.loss_pass().gradients and jacobian.outputs == 10
    alone = SharedPasses(build("nb201", 77), images, labels)
    assert all(torch.equal(a, b) for a, b in zip(passes.hessian_gradient(),
                                                  alone.hessian_gradient()))
    assert (passes.input_jacobian().rows == alone.input_jacobian().rows).all()
    assert all(torch.equal(p, before[k]) for k, p in net.named_parameters())
    assert all(p.grad is None for p in net.parameters())


def test_a_failing_loss_leaves_the_jacobian_of_the_shared_forward_intact():
    """One output unit: no cross-entropy loss (an error row), but jacov's gradient exists."""
    images, labels = batch()
    net = build("nb201", 77, num_classes=1)
    names = ["grasp", "jacov", "snip"]
    passes = SharedPasses(net, images, labels, plan=plan_for(get_scorer(n) for n in names))
    shared = {name: get_scorer(name).score(net, images, labels, passes=passes) for name in names}
    assert shared["grasp"].status == shared["snip"].status == "error"
    assert "one output per class" in shared["grasp"].error
    alone = get_scorer("jacov").score(build("nb201", 77, num_classes=1), images, labels)
    assert shared["jacov"].status == "ok" and math.isfinite(shared["jacov"].value)
    assert shared["jacov"].value == alone.value


def test_the_plan_is_the_union_of_the_passes_the_scorers_read():
    scorers = [get_scorer(name) for name in ("grasp", "epe_nas", "zen", "params")]
    assert plan_for(scorers) == {LOSS, HESSIAN, JACOBIAN}
    assert plan_for([get_scorer("naswot")]) == frozenset()
