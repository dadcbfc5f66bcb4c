"""NAS-Bench-101 cells and networks: pruning, module hashes, channels, golden scores."""

from __future__ import annotations

import itertools
import json
import math

import pytest
import torch
from naswot_db.builder.ingest import ingest_ground_truth
from naswot_db.builder.scoring import naswot_score
from naswot_db.builder.spaces import SpaceError, get_space
from naswot_db.builder.spaces.nb101 import ORIGINAL_CONFIG
from naswot_db.builder.spaces.nb101 import models as nb101_models
from naswot_db.builder.spaces.nb101.graph import (
    CellSpec,
    module_hash,
    pruned_spec,
    reference_raises,
    vertex_channels,
)
from naswot_db.schema.nb101_ids import space_ids
from nb101_files import CELLS, make_runs, write_runs

from naswot_db.testing.reference_naswot import reference_naswot

CONV3, CONV1, POOL = "conv3x3-bn-relu", "conv1x1-bn-relu", "maxpool3x3"


def nb101_golden(golden: dict) -> list[dict]:
    return [e for e in golden["entries"] if e["space"] == "nb101"]


@pytest.fixture(scope="module")
def golden_input() -> torch.Tensor:
    torch.manual_seed(1)
    return torch.randn(128, 3, 32, 32)


@pytest.fixture
def ingested_space(tmp_path):
    root = tmp_path / "db"
    ingest_ground_truth("nb101", write_runs(tmp_path / "n.tfrecord", make_runs()), root)
    return get_space("nb101", root)


def test_pruning_and_module_hashes_match_nas_bench_101(golden):
    for entry in nb101_golden(golden):
        spec = pruned_spec(entry["adjacency"], entry["ops"])
        assert [list(row) for row in spec.adjacency] == entry["pruned_adjacency"]
        assert list(spec.ops) == entry["pruned_ops"]
        assert module_hash(spec) == entry["module_hash"]


def test_module_hash_ignores_the_order_of_interior_vertices():
    # the same graph with vertices 1 and 2 swapped (both feed only the output)
    a = pruned_spec([[0, 1, 1, 0], [0, 0, 0, 1], [0, 0, 0, 1], [0, 0, 0, 0]],
                    ["input", CONV3, POOL, "output"])
    b = pruned_spec([[0, 1, 1, 0], [0, 0, 0, 1], [0, 0, 0, 1], [0, 0, 0, 0]],
                    ["input", POOL, CONV3, "output"])
    c = pruned_spec([[0, 1, 1, 0], [0, 0, 0, 1], [0, 0, 0, 1], [0, 0, 0, 0]],
                    ["input", CONV3, CONV3, "output"])
    assert module_hash(a) == module_hash(b) != module_hash(c)


def test_bad_cells_are_rejected_with_the_reason():
    with pytest.raises(SpaceError, match="no path from input to output"):
        pruned_spec([[0, 1, 0], [0, 0, 0], [0, 0, 0]], ["input", CONV3, "output"])
    with pytest.raises(SpaceError, match="upper triangular"):
        pruned_spec([[0, 1], [1, 0]], ["input", "output"])
    with pytest.raises(SpaceError, match="unknown NB101 ops"):
        pruned_spec([[0, 1, 0], [0, 0, 1], [0, 0, 0]], ["input", "conv5x5", "output"])


def test_channels_split_over_output_feeders_with_the_remainder_first():
    spec = CellSpec(((0, 1, 1, 1, 0), (0, 0, 0, 0, 1), (0, 0, 0, 0, 1), (0, 0, 0, 0, 1),
                     (0, 0, 0, 0, 0)), ("input", CONV3, CONV3, CONV1, "output"))
    assert vertex_channels(spec, 16, 32) == [16, 11, 11, 10, 32]
    # vertex 1 feeds the output and vertex 2: its extra channel is cut on the 1->2 edge
    chain = CellSpec(((0, 1, 0, 0), (0, 0, 1, 1), (0, 0, 0, 1), (0, 0, 0, 0)),
                     ("input", CONV3, POOL, "output"))
    assert vertex_channels(chain, 16, 33) == [16, 17, 16, 33]
    # vertex 1 feeds only interior vertices: it takes the largest of theirs
    fork = CellSpec(((0, 1, 0, 0, 0), (0, 0, 1, 1, 0), (0, 0, 0, 0, 1), (0, 0, 0, 0, 1),
                     (0, 0, 0, 0, 0)), ("input", CONV1, CONV3, POOL, "output"))
    assert vertex_channels(fork, 16, 33) == [16, 17, 17, 16, 33]
    x = torch.randn(2, 16, 8, 8)
    assert nb101_models.Cell(chain, 16, 33)(x).shape == (2, 33, 8, 8)
    assert nb101_models.Cell(fork, 16, 33)(x).shape == (2, 33, 8, 8)


@pytest.mark.parametrize("entry_index", range(8))
def test_golden_scores_are_reproduced(golden, golden_input, entry_index):
    entry = nb101_golden(golden)[entry_index]
    space = get_space("nb101")
    torch.manual_seed(entry["init_seed"])
    model = space.build_model((entry["adjacency"], entry["ops"]))  # unpruned: pruned inside
    assert naswot_score(model, golden_input) == pytest.approx(entry["score"], abs=0.01)
    assert space.reference_raises((entry["adjacency"], entry["ops"])) == entry.get(
        "reference_raises", False)


class _InPlaceCell(nb101_models.Cell):
    """The reference's cell: the projected input is added *in place* to the joined feeders."""

    def add_projected_input(self, joined: torch.Tensor, projected: torch.Tensor) -> torch.Tensor:
        joined += projected
        return joined


def _small_cells() -> list[CellSpec]:
    """Every 4-vertex cell (3 interior ops x edge sets) that survives pruning unchanged."""
    cells = []
    for edges in itertools.product((0, 1), repeat=6):
        matrix = [[0] * 4 for _ in range(4)]
        for (i, j), on in zip(itertools.combinations(range(4), 2), edges):
            matrix[i][j] = on
        for ops in itertools.product((CONV3, POOL), repeat=2):
            try:
                spec = pruned_spec(matrix, ["input", *ops, "output"])
            except SpaceError:
                continue
            if spec.num_vertices == 4:
                cells.append(spec)
    return cells


def test_reference_raises_exactly_where_the_in_place_reference_fails(monkeypatch):
    x = torch.randn(6, 3, 8, 8)
    cells = _small_cells()
    raising = 0
    for spec in cells:
        torch.manual_seed(0)
        ours = nb101_models.Network(spec, stem_channels=4, num_stacks=1, modules_per_stack=1)
        with monkeypatch.context() as patch:
            patch.setattr(nb101_models, "Cell", _InPlaceCell)
            torch.manual_seed(0)
            in_place = nb101_models.Network(spec, stem_channels=4, num_stacks=1,
                                            modules_per_stack=1)
        try:
            reference = reference_naswot(in_place, x)
        except RuntimeError as exc:
            assert "inplace" in str(exc)
            assert reference_raises(spec), spec
            raising += 1
            continue
        assert not reference_raises(spec), spec
        assert naswot_score(ours, x) == pytest.approx(reference, abs=1e-6)
    # of the 40 cells, the 4 with a conv as the only feeder and an input->output edge raise
    assert (raising, len(cells)) == (4, 40)


def test_build_model_by_id_hash_and_pair_give_the_same_weights(ingested_space):
    module_hash_2, adjacency_2, ops_2 = CELLS[2]
    arch_id = space_ids()[module_hash_2]  # ids are positions in the whole space's hash order
    x = torch.randn(4, 3, 16, 16)
    outputs = []
    table = ingested_space.arch_table()
    row = table.column("arch_id").to_pylist().index(arch_id)
    encoding = json.loads(table.column("encoding")[row].as_py())
    for arch in (arch_id, module_hash_2, (adjacency_2, ops_2), encoding):
        torch.manual_seed(3)
        outputs.append(ingested_space.build_model(arch)(x)[0])
    assert all(torch.equal(outputs[0], other) for other in outputs[1:])
    assert table.num_rows == 4
    absent = next(i for i in range(423_624) if i not in set(table.column("arch_id").to_pylist()))
    with pytest.raises(SpaceError, match="is not among the 4 NB101 archs"):
        ingested_space.build_model(absent)
    with pytest.raises(SpaceError, match="not an NB101 module hash|not among the NB101 archs"):
        ingested_space.build_model("0" * 32)


def test_original_configuration_is_128_channels_10_classes(tmp_path):
    from naswot_db.builder.spaces.nb101 import NB101Space

    space = NB101Space(tmp_path, **ORIGINAL_CONFIG)
    assert space.model_config() == {"stem_channels": 128, "num_stacks": 3,
                                    "modules_per_stack": 3, "num_labels": 10}
    assert get_space("nb101", tmp_path).model_config()["stem_channels"] == 16
    _, adjacency, ops = CELLS[3]
    model = space.build_model((adjacency, ops))
    logits, features = model(torch.randn(2, 3, 32, 32))
    assert logits.shape == (2, 10) and features.shape == (2, 512)
    assert math.isfinite(float(logits.detach().sum()))
