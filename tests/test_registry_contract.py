"""The contract every registered space and score fills, checked over the whole registry."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from nb101_files import make_runs, write_runs
from nds_files import family_entries, write_nds_file

from naswot_db.builder.datasets import dataset_names
from naswot_db.builder.ingest import ingest_ground_truth
from naswot_db.builder.runner.config import BuildConfig, config_id
from naswot_db.builder.scoring import get_scorer
from naswot_db.builder.spaces import get_space
from naswot_db.core.names import (
    NDS_FILE_NAMES, SPACE_NAMES, canonical_space, ground_truth_space, nds_file_name, nds_space_name,
)
from naswot_db.schema.nb101_ids import space_ids
from naswot_db.core.scores import score_names, canonical_score

# how many outputs a space's networks have: the reference scores one unit, except the
# NB101 benchmark's own 10-class training network
_OUTPUTS = {"nb101-original": 10}


@pytest.fixture(scope="module")
def root(tmp_path_factory) -> Path:
    """A root with ground truth for every space whose arch list comes from an ingest."""
    folder = tmp_path_factory.mktemp("contract")
    ingest_ground_truth("nb101", write_runs(folder / "nb101.tfrecord", make_runs()), folder / "db")
    nds = folder / "nds_data"
    for name in NDS_FILE_NAMES:
        write_nds_file(nds, name, family_entries(name, 2))
    ingest_ground_truth("nds", nds, folder / "db")
    return folder / "db"


def _input_side(space) -> int:
    return 64 if getattr(space, "imagenet", False) else 32


@pytest.mark.parametrize("name", SPACE_NAMES)
def test_every_space_fills_the_contract(name, root):
    space = get_space(name, root)
    assert space.name == name == canonical_space(name.upper().replace("-", "_"))
    archs = space.arch_table()
    arch_ids = archs.column("arch_id").to_numpy()
    if ground_truth_space(name) == "nb101":  # positions in the whole space's ascending-hash order
        ids = space_ids()
        expected = sorted(ids[h] for h in archs.column("arch_str").to_pylist())
    else:  # ids 0..N-1 in file order
        expected = list(range(len(arch_ids)))
    assert arch_ids.tolist() == expected
    assert set(space.score_datasets) <= set(dataset_names())
    torch.manual_seed(0)
    model = space.build_model(int(arch_ids[0]))
    torch.manual_seed(0)
    again = space.build_model(int(arch_ids[0]))
    first = list(model.state_dict().items())
    # a seed decides the weights: the same seed gives the same parameters, in the same order
    assert [k for k, _ in first] == list(again.state_dict())
    assert all(torch.equal(v, again.state_dict()[k]) for k, v in first)
    side = _input_side(space)
    output = model.train()(torch.randn(2, 3, side, side))
    if isinstance(output[0], tuple):  # NDS auxiliary head in train mode: (main, aux) pairs
        output = output[0]
    logits, features = output
    assert logits.shape == (2, _OUTPUTS.get(name, 1)) and features.shape[0] == 2


def test_spellings_normalise_to_one_name():
    assert canonical_space("NATS_SSS") == canonical_space("nats-sss") == "nats-sss"
    assert canonical_space("nb101_original") == "nb101-original"
    assert canonical_space("nds_DARTS_in") == canonical_space("DARTS_in") == "nds-darts-in"
    assert canonical_space("nds_resnext-a_in") == "nds-resnext-a-in"
    assert ground_truth_space("nb101-original") == "nb101"
    for file_name in NDS_FILE_NAMES:
        assert nds_file_name(nds_space_name(file_name)) == file_name
    assert canonical_score("NASWOT") == "naswot"


@pytest.mark.parametrize("name", score_names())
def test_every_score_fills_the_contract_and_its_settings_reach_the_config_id(name):
    scorer = get_scorer(name)
    assert scorer.name == name and scorer.citation
    config = BuildConfig(space="nb201", dataset="cifar10", root=Path("r"), score=name)
    ids = {config_id(config, name, scorer.settings(), {}, "data"),
           config_id(config, name, {**scorer.settings(), "another": 1}, {}, "data")}
    assert len(ids) == 2  # a changed setting is a different configuration
    other = BuildConfig(space="nb201", dataset="cifar10", root=Path("r"),
                        score=next(n for n in score_names() if n != name))
    assert config_id(other, other.score, scorer.settings(), {}, "data") not in ids  # another score


def test_naswot_config_ids_are_the_ones_built_before_score_plug_ins():
    """NASWOT has no settings, so roots built before plug-ins existed resume, not rebuild."""
    import hashlib
    import json

    config = BuildConfig(space="nb201", dataset="cifar10", root=Path("r"))
    legacy = {"score": "naswot", "model": {"m": 1}, "split": "all", "precision": "fp32",
              "data": "d"}
    expected = hashlib.sha256(json.dumps(legacy, sort_keys=True).encode()).hexdigest()[:16]
    assert config_id(config, "naswot", get_scorer("naswot").settings(), {"m": 1}, "d") == expected
