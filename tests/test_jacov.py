"""jacov (the NASWOT paper's v1.0 score) against a slow, obvious implementation, and end to end."""

from __future__ import annotations

import math

import pytest
import torch
from click.testing import CliRunner
from nb101_files import CELLS

from naswot_db.builder.scoring import get_scorer
from naswot_db.builder.spaces import get_space
from naswot_db.cli import main
from naswot_db.query import correlations, simulate_search
from naswot_db.schema import read_table
from naswot_db.testing.suite_zero_reference import slow_jacov

NB201_ARCHS = [1, 77, 512, 1000, 3021, 7777, 11000, 15624]
NB101_CELLS = [(matrix, ops) for _, matrix, ops in CELLS[:2]]


@pytest.mark.parametrize("space_name, arch", [("nb201", a) for a in NB201_ARCHS]
                         + [("nb101", cell) for cell in NB101_CELLS])
def test_jacov_equals_the_slow_implementation(space_name, arch):
    space = get_space(space_name)
    images = torch.randn(10, 3, 16, 16, generator=torch.Generator().manual_seed(3))
    torch.manual_seed(0)
    model = space.build_model(arch)
    result = get_scorer("jacov").score(model, images)
    torch.manual_seed(0)
    expected = slow_jacov(space.build_model(arch), images)
    assert result.status == "ok", result.error
    assert result.value == pytest.approx(expected, rel=1e-6)


def test_a_network_whose_output_ignores_the_input_is_an_error_row():
    torch.manual_seed(0)
    model = get_space("nb201").build_model("|none~0|+|none~0|none~1|+|none~0|none~1|none~2|")
    result = get_scorer("jacov").score(model, torch.randn(4, 3, 16, 16))
    assert result.status == "error" and math.isnan(result.value)


def test_jacov_and_naswot_builds_coexist_and_are_queried_apart(tmp_path, cifar10_root):
    root = tmp_path / "db"

    def build(score: str) -> str:
        result = CliRunner().invoke(main, [
            "build", "--space", "NB201", "--dataset", "cifar10", "--score", score,
            "--root", str(root), "--data-root", str(cifar10_root), "--batch-size", "8",
            "--arch-ids", "1-6", "--quiet"])
        assert result.exit_code == 0, result.output
        return result.output

    build("naswot")
    build("jacov")
    rows = read_table(root, "scores", space="nb201").to_pandas()
    assert sorted(rows.groupby("score").size().items()) == [("jacov", 6), ("naswot", 6)]
    assert rows.groupby("score")["config_id"].nunique().tolist() == [1, 1]
    assert rows["config_id"].nunique() == 2
    values = {score: dict(zip(part["arch_id"], part["value"]))
              for score, part in rows.groupby("score")}
    assert "0 rows written, 6 already stored" in build("jacov")  # a rerun adds nothing
    for score in ("naswot", "jacov"):
        result = simulate_search(root, space="nb201", score=score, n=(3,), runs=40)
        draws = result.draws[3]
        picked = [max(ids, key=lambda a: values[score][a]) for ids in draws.arch_ids]
        assert draws.chosen.tolist() == picked  # each search ranks by its own score
        study = correlations(root, space="nb201", score=score)
        assert set(study["score"]) == {score} and (study["rows"] == 6).all()
    table = CliRunner().invoke(main, ["search", "--root", str(root), "--score", "jacov",
                                      "--n", "3", "--runs", "5"]).stdout
    assert table.startswith("nb201, jacov scores on cifar10") and "best of N by jacov" in table
