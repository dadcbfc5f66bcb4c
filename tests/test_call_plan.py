"""The planned pass's code layout: which call writes which columns, how segments split, and
that a plan spanning several segments scores exactly as the reference does."""

from __future__ import annotations

import copy

import torch

from naswot_db.builder import get_space, naswot_score
from naswot_db.builder.scoring import NaswotScorer
from naswot_db.builder.scoring.naswot_engine.call_plan import (
    SEGMENT_COLUMNS, PlanCache, code_layout,
)
from naswot_db.builder.scoring.naswot import TAPE_MIN_SCORINGS
from naswot_db.builder.scoring.reference import INT8_MIN_UNITS, code_dtype, gram

from naswot_db.testing.reference_naswot import reference_naswot


def test_layout_captures_each_counted_input_once_and_groups_columns_by_count():
    # calls see inputs 0, 0, 1, 2, 1; call 3 (input 2) is dead, so input 2 needs no slot
    layout = code_layout(inputs=[0, 0, 1, 2, 1], counted=[True, True, True, False, True],
                         units=[10, 20, 30])
    assert layout.slot_of == (0, 0, 1, -1, 1)
    assert layout.captures == (True, False, True, False, False)
    assert layout.units == (10, 20)
    assert layout.counted_units == 2 * 10 + 2 * 20
    (segment,) = layout.segments
    assert segment.columns == 30
    assert segment.groups == ((2, 0, 30),)  # both inputs count twice: one product
    assert layout.column == (0, 10) and layout.closes == (False, True)


def test_layout_splits_segments_and_huge_inputs_get_exact_codes():
    half = SEGMENT_COLUMNS // 2
    units = [half, half, 1, 2**24]  # the last alone exceeds float32's exact integers
    layout = code_layout(inputs=[0, 1, 2, 2, 3], counted=[True] * 5, units=units)
    assert layout.segment == (0, 0, 1, 2)
    assert layout.closes == (False, True, True, True)
    assert [segment.columns for segment in layout.segments] == [SEGMENT_COLUMNS, 1, 2**24]
    assert layout.segments[1].groups == ((2, 0, 1),)
    # float codes beyond float32's exact integers widen to float64; int8 sums stay exact
    gpu = torch.device("cuda")  # only its type is read
    assert [code_dtype(s.columns, gpu) for s in layout.segments] == [
        torch.float32, torch.float32, torch.float64]
    assert code_dtype(2**24, torch.device("cpu")) in (torch.int8, torch.float64)
    assert layout.counted_units == half + half + 2 + 2**24


def test_gram_products_are_exact_in_every_code_dtype():
    """int8 codes (on a CPU whose torch multiplies them) give the float64 product's integers,
    also for the narrow inputs that stay in float (torch._int_mm mis-sums one column)."""
    torch.manual_seed(3)
    for rows, units in ((128, 4096), (7, 1), (3, INT8_MIN_UNITS), (5, INT8_MIN_UNITS - 1)):
        codes = torch.rand(rows, units) > 0.5
        dtype = code_dtype(units, torch.device("cpu"))
        assert dtype in ((torch.int8, torch.float32) if units >= INT8_MIN_UNITS
                         else (torch.float32,))
        product = gram(codes.to(dtype))
        assert torch.equal(product.to(torch.float64), codes.double() @ codes.double().T)


def test_a_plan_of_several_segments_scores_as_the_reference():
    space = get_space("nb201")
    torch.manual_seed(2)
    batches = [torch.randn(3, 3, 32, 32) for _ in range(2)]  # 16 x 32 x 32 units per input
    plans = PlanCache(taping=True)
    torch.manual_seed(0)
    model = space.build_model(1462)
    values = [naswot_score(model, x, plans=plans) for x in (*batches, batches[0])]
    assert len(plans.get(model).layout.segments) > 1
    for value, x in zip(values, (*batches, batches[0])):
        torch.manual_seed(0)
        assert value == reference_naswot(space.build_model(1462), x)


def test_a_pass_that_sees_another_input_size_falls_back_to_recording():
    space = get_space("nb201")
    plans = PlanCache(taping=True)
    torch.manual_seed(0)
    model = space.build_model(99)
    naswot_score(model, torch.randn(4, 3, 8, 8), plans=plans)
    first_plan = plans.get(model)
    other = torch.randn(4, 3, 16, 16)  # same modules, every input four times as wide
    value = naswot_score(model, other, plans=plans)
    assert plans.get(model) is not first_plan  # recorded afresh
    torch.manual_seed(0)
    assert value == reference_naswot(space.build_model(99), other)


class _Plain(torch.nn.Module):
    """A network that does not declare a static forward."""

    def __init__(self) -> None:
        super().__init__()
        self.conv = torch.nn.Conv2d(3, 4, 3)
        self.relu = torch.nn.ReLU()

    def forward(self, x):
        y = self.relu(self.conv(x))
        return y.flatten(1), y


class _Branchy(torch.nn.Module):
    """Claims a static forward but branches on a value: its tape must be void."""

    static_forward = True

    def __init__(self) -> None:
        super().__init__()
        self.conv = torch.nn.Conv2d(3, 4, 3)
        self.relu = torch.nn.ReLU()
        self.flip = torch.nn.ReLU()

    def forward(self, x):
        y = self.relu(self.conv(x))
        z = self.flip(-y if x.mean() > 0 else y)  # the other branch on other data
        return z.flatten(1), z


def test_a_forward_that_reads_values_into_python_is_never_replayed_from_a_tape():
    torch.manual_seed(0)
    model = _Branchy()
    plans = PlanCache(taping=True)
    # recording and taping passes take one branch, the later batches the other
    batches = [torch.randn(5, 3, 6, 6) + shift for shift in (3, 3, -3, -3)]
    for x in batches:
        assert naswot_score(model, x, plans=plans) == reference_naswot(model, x)
    assert plans.get(model).tape is None  # taping was tried on the second pass, and void


def test_static_networks_replay_a_tape_from_their_third_pass_and_others_never():
    space = get_space("nats-sss")
    torch.manual_seed(0)
    model = space.build_model(77)
    plain = _Plain()
    x = torch.randn(4, 3, 8, 8)
    for network, taped in ((model, True), (plain, False)):
        plans = PlanCache(taping=True)
        values = [naswot_score(network, x, plans=plans) for _ in range(3)]
        assert (plans.get(network).tape is not None) is taped
        assert values == [reference_naswot(network, x)] * 3


class _Counting(torch.nn.Module):
    """A static forward that updates a buffer in place and then reads it: the update counts."""

    static_forward = True

    def __init__(self) -> None:
        super().__init__()
        self.conv = torch.nn.Conv2d(3, 4, 3)
        self.relu = torch.nn.ReLU()
        self.register_buffer("count", torch.zeros(()))

    def forward(self, x):
        self.count.add_(0.25)
        y = self.relu(self.conv(x) - self.count)  # the codes move with the count
        return y.flatten(1), y


def test_a_tape_keeps_buffer_updates_that_later_calls_read():
    torch.manual_seed(0)
    model, plans, x = _Counting(), PlanCache(taping=True), torch.randn(6, 3, 6, 6)
    for _ in range(5):
        twin = copy.deepcopy(model)  # same weights and count, scored by a recording pass
        assert naswot_score(model, x, plans=plans) == naswot_score(twin, x)
    assert plans.get(model).tape is not None and model.count.item() == 1.25


def test_the_scorer_tapes_only_networks_scored_often_enough():
    space, x = get_space("nb201"), torch.randn(4, 3, 8, 8)
    for scorings, taped in ((3, False), (TAPE_MIN_SCORINGS, True)):
        scorer = NaswotScorer()
        torch.manual_seed(0)
        model = space.build_model(640)
        scorer.expect(scorings)
        values = [scorer.score(model, x).value for _ in range(scorings)]
        assert (scorer._plans.get(model).tape is not None) is taped
        torch.manual_seed(0)
        assert values == [reference_naswot(space.build_model(640), x)] * scorings


class _HiddenStep(torch.nn.Module):
    """A static forward with one step the recorder cannot see (torch functions disabled): the
    batch mean it makes must not be replayed as a constant."""

    static_forward = True

    def __init__(self) -> None:
        super().__init__()
        self.conv = torch.nn.Conv2d(3, 4, 3)
        self.relu = torch.nn.ReLU()
        self.centred = torch.nn.ReLU()

    def forward(self, x):
        y = self.relu(self.conv(x))
        with torch._C.DisableTorchFunction():
            mean = y.mean(dim=0, keepdim=True)
        z = self.centred(y - mean)
        return z.flatten(1), z


def test_a_tensor_no_recorded_call_made_voids_the_tape():
    torch.manual_seed(0)
    model, plans = _HiddenStep(), PlanCache(taping=True)
    for x in [torch.randn(5, 3, 6, 6) for _ in range(4)]:
        assert naswot_score(model, x, plans=plans) == reference_naswot(model, x)
    assert plans.get(model).tape is None
