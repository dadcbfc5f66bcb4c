"""The shipped NB201 archs carry params and FLOPs (millions) of the 10-class CIFAR-10 network:
the space's own complexity count, recomputed here from the networks the builder makes."""

from __future__ import annotations

import pytest

from naswot_db.builder.spaces import get_space
from naswot_db.schema import read_table, shipped_root


@pytest.mark.parametrize("arch_id", [0, 1, 7777, 15624])
def test_shipped_nb201_complexity_is_the_spaces_count(arch_id):
    archs = read_table(shipped_root(), "archs", space="nb201").to_pylist()
    row = next(r for r in archs if r["arch_id"] == arch_id)
    params, flops = get_space("nb201").complexity(arch_id, num_classes=10)
    assert row["params"] == pytest.approx(params / 1e6, rel=1e-12)
    assert row["flops"] == pytest.approx(flops / 1e6, rel=1e-12)
    assert all(r["params"] > 0 and r["flops"] > 0 for r in archs) and len(archs) == 15_625
