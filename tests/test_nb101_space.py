"""The NB101 space from its rules: the enumeration against a brute-force walk, the shipped table,
and the analytic parameter and FLOP counts against real torch models."""

from __future__ import annotations

import itertools
import json

import numpy as np
import pytest
import torch
from nb101_files import CELLS
from torch import nn

from naswot_db.builder.spaces.nb101 import ORIGINAL_CONFIG
from naswot_db.builder.spaces.nb101.complexity import network_complexity
from naswot_db.builder.spaces.nb101.graph import pruned_spec
from naswot_db.builder.spaces.nb101.models import Network
from naswot_db.builder.spaces.nb101.space import shipped_arch_table
from naswot_db.core.nb101_cell import CANONICAL_OPS, cell_hash
from naswot_db.core.nb101_enumeration import SPACE_SIZE, enumerate_nb101


def _brute_force(max_vertices: int) -> dict[str, tuple[list[list[int]], list[str]]]:
    """NAS-Bench-101's generate_graphs walk, literally: every bit string, every labelling, every
    hash; the first (matrix, labels) met per hash is kept."""
    first: dict[str, tuple[list[list[int]], list[str]]] = {}
    for n in range(2, max_vertices + 1):
        for bits in range(2 ** (n * (n - 1) // 2)):
            matrix = [[int(x < y and (bits >> (y * (y - 1) // 2 + x)) & 1) for y in range(n)]
                      for x in range(n)]
            if sum(map(sum, matrix)) > 9:
                continue
            if not all(any(matrix[v]) for v in range(n - 1)):  # every vertex but the output feeds
                continue
            if not all(any(row[v] for row in matrix) for v in range(1, n)):  # every one is fed
                continue
            for labels in itertools.product(range(3), repeat=n - 2):
                ops = ["input", *(CANONICAL_OPS[label] for label in labels), "output"]
                first.setdefault(cell_hash(matrix, ops), (matrix, ops))
    return first


def test_enumeration_equals_the_benchmarks_walk_up_to_five_vertices():
    expected = _brute_force(5)
    space = enumerate_nb101(max_vertices=5)
    assert len(space) == len(expected) == 1 + 6 + 84 + 2441
    assert space.hashes.tolist() == sorted(expected)
    assert [space.cell(i) for i in range(len(space))] == [expected[h] for h in space.hashes]


@pytest.fixture(scope="module")
def shipped():
    return shipped_arch_table()


def test_shipped_table_is_the_whole_space_in_hash_order(shipped):
    assert shipped.num_rows == SPACE_SIZE
    assert shipped.column("arch_id").to_pylist() == list(range(SPACE_SIZE))
    hashes = shipped.column("arch_str").to_pylist()
    assert hashes == sorted(set(hashes))
    rows = np.random.default_rng(0).choice(SPACE_SIZE, 300, replace=False)
    for row in rows.tolist():
        cell = json.loads(shipped.column("encoding")[row].as_py())
        spec = pruned_spec(cell["adjacency"], cell["ops"])
        assert spec.as_lists() == (cell["adjacency"], cell["ops"])  # nothing to prune
        assert sum(map(sum, cell["adjacency"])) <= 9 and len(cell["ops"]) <= 7
        assert cell_hash(*spec.as_lists()) == hashes[row]


def _traced_flops(model: nn.Module) -> int:
    """Multiply-accumulates of every convolution and linear layer, from their real outputs."""
    total = 0

    def count(module, inputs, output):
        nonlocal total
        if isinstance(module, nn.Conv2d):
            kernel = module.kernel_size[0] * module.kernel_size[1]
            total += output.numel() * module.in_channels // module.groups * kernel
        else:
            total += output.numel() * module.in_features

    handles = [m.register_forward_hook(count) for m in model.modules()
               if isinstance(m, (nn.Conv2d, nn.Linear))]
    with torch.no_grad():
        model(torch.zeros(1, 3, 32, 32))
    for handle in handles:
        handle.remove()
    return total


def test_params_and_flops_equal_the_torch_network_of_the_benchmark(shipped):
    hashes = shipped.column("arch_str").to_pylist()
    ids = {h: i for i, h in enumerate(hashes)}
    rows = [ids[h] for h, _, _ in CELLS] + np.random.default_rng(1).choice(
        SPACE_SIZE, 4, replace=False).tolist()
    for row in rows:
        cell = json.loads(shipped.column("encoding")[row].as_py())
        spec = pruned_spec(cell["adjacency"], cell["ops"])
        model = Network(spec, **ORIGINAL_CONFIG)
        trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)
        counted = network_complexity(spec)
        assert counted.params == trainable == shipped.column("params")[row].as_py()
        assert counted.flops == _traced_flops(model) == shipped.column("flops")[row].as_py()
