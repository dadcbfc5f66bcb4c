"""``corr``/``search --score az_nas``: the AZ-NAS aggregate read through the score lookups, on a
small real root (Parquet parts written by the project's writer, NB201's shipped accuracies),
against a slow rank sum written out here."""

from __future__ import annotations

import io
import json
import math

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from click.testing import CliRunner
from scipy.stats import kendalltau, spearmanr

from naswot_db.cli import main
from naswot_db.query import connect
from naswot_db.testing.query_tables import score_part, write

SPACE = "nb201"
ARCHS = np.sort(np.random.default_rng(3).choice(15_625, 60, replace=False))
COMPONENTS = ("az_expressivity", "az_progressivity", "az_trainability")
REPLICATES = ((0, 0), (1, 0))


def named(part: pa.Table, score: str) -> pa.Table:
    return part.set_column(part.schema.get_field_index("score"), "score",
                           pa.array([score] * part.num_rows))


def _components() -> dict[tuple[int, int], dict[str, np.ndarray]]:
    rng = np.random.default_rng(11)
    out = {}
    for replicate in REPLICATES:
        values = {name: np.round(rng.normal(size=ARCHS.size), 1) for name in COMPONENTS}  # ties
        values["az_trainability"][5] = -np.inf  # ranks lowest
        if replicate == (1, 0):
            values["az_progressivity"][8] = np.nan  # an error row: arch 8 leaves this population
        out[replicate] = values
    return out


VALUES = _components()
FLOPS = np.round(np.random.default_rng(12).uniform(10, 40, ARCHS.size))


def slow_average_ranks(values: list[float]) -> list[float]:
    """Rank 1 for the smallest; tied values share the mean of their positions."""
    return [sum(1 for other in values if other < v) + (sum(1 for other in values if other == v)
                                                       + 1) / 2 for v in values]


def expected_az_nas(replicate: tuple[int, int]) -> tuple[np.ndarray, np.ndarray]:
    """The archs of ``replicate``'s population and their sum of log(rank / N)."""
    columns = [*VALUES[replicate].values(), FLOPS]
    keep = [i for i in range(ARCHS.size) if not any(math.isnan(c[i]) for c in columns)]
    n = len(keep)
    total = [0.0] * n
    for column in columns:
        for k, rank in enumerate(slow_average_ranks([float(column[i]) for i in keep])):
            total[k] += math.log(rank / n)
    return ARCHS[keep], np.array(total)


@pytest.fixture(scope="module")
def root(tmp_path_factory):
    root = tmp_path_factory.mktemp("az_nas") / "db"
    for (init, batch), values in VALUES.items():
        for name, column in values.items():
            write(root, "scores", named(score_part(SPACE, ARCHS, column, init_seed=init,
                                                   batch_seed=batch, batch_size=8), name), SPACE)
        write(root, "scores", named(score_part(SPACE, ARCHS, FLOPS, init_seed=init,
                                               batch_seed=batch, batch_size=8,
                                               config_id="flops"), "flops"), SPACE)
    return root


def _c10_valid(root) -> pd.Series:
    with connect(root) as connection:
        return connection.execute(
            "SELECT arch_id, accuracy FROM accuracies WHERE space = 'nb201' "
            "AND dataset = 'cifar10-valid' AND split = 'x-valid' AND epochs = 200 "
            "AND seed IS NULL").df().set_index("arch_id")["accuracy"]


def _invoke(*args: str):
    result = CliRunner().invoke(main, list(args))
    assert result.exit_code == 0, result.output
    return result


def test_corr_az_nas_matches_a_slow_rank_sum_per_replicate(root):
    accuracy = _c10_valid(root)
    result = _invoke("corr", "--space", SPACE, "--score", "az_nas", "--root", str(root),
                     "--target", "cifar10-valid:x-valid", "--format", "csv")
    frame = pd.read_csv(io.StringIO(result.stdout))
    assert frame["score"].tolist() == ["az_nas", "az_nas"]
    for (init, batch), row in zip(REPLICATES, frame.to_dict("records")):
        archs, expected = expected_az_nas((init, batch))
        labels = accuracy.loc[archs].to_numpy()
        assert (row["init_seed"], row["batch_seed"], row["used"]) == (init, batch, archs.size)
        assert row["kendall_tau"] == pytest.approx(kendalltau(expected, labels)[0], rel=1e-12)
        assert row["spearman"] == pytest.approx(spearmanr(expected, labels)[0], rel=1e-12)
    assert "over the population of stored archs" in result.stderr
    assert "nb201 on cifar10, batch 8: N = 59 to 60 (2 replicates)" in result.stderr


def test_search_az_nas_picks_the_largest_rank_sum(root):
    archs, expected = expected_az_nas((0, 0))
    best = int(archs[np.argmax(expected)])
    assert np.sort(expected)[-1] > np.sort(expected)[-2]  # one best arch
    result = _invoke("search", "--space", SPACE, "--score", "az_nas", "--root", str(root),
                     "--n", str(archs.size), "--no-replace", "--replicate", "0,0", "--runs", "3",
                     "--target", "cifar10-valid:x-valid", "--format", "json")
    [naswot] = [row for row in json.loads(result.stdout) if row["method"] == "naswot"]
    assert naswot["C10 valid mean"] == pytest.approx(_c10_valid(root).loc[best], rel=1e-12)
    assert naswot["C10 valid std"] == 0.0  # every run holds the whole population
    assert "N = 59 to 60" in result.stderr


def test_corr_all_lists_az_nas_beside_its_components(root):
    result = _invoke("corr", "--space", SPACE, "--score", "all", "--root", str(root),
                     "--target", "cifar10-valid:x-valid", "--replicate", "each", "--format", "csv")
    frame = pd.read_csv(io.StringIO(result.stdout))
    assert set(frame["score"]) >= {"az_nas", "flops", *COMPONENTS}
    assert (frame["score"] == "az_nas").sum() == 2
    assert "over the population of stored archs" in result.stderr


def test_az_nas_without_flops_says_what_to_build(tmp_path):
    root = tmp_path / "db"
    for name, column in VALUES[0, 0].items():
        write(root, "scores", named(score_part(SPACE, ARCHS, column), name), SPACE)
    result = CliRunner().invoke(main, ["corr", "--space", SPACE, "--score", "az-nas",
                                       "--root", str(root)])
    assert result.exit_code == 1
    assert result.output.startswith("Error: az_nas of nb201 needs the scores flops stored "
                                    "(naswot-db build --space nb201 --score flops)")
    listed = CliRunner().invoke(main, ["corr", "--space", SPACE, "--score", "all",
                                       "--root", str(root), "--format", "csv"])
    assert listed.exit_code == 0, listed.output
    assert "az_nas" not in set(pd.read_csv(io.StringIO(listed.stdout))["score"])
    assert "az_nas" in listed.stderr.split("left out")[0]  # named among the scores left out


def test_a_build_of_az_nas_is_refused_in_one_line(tmp_path):
    result = CliRunner().invoke(main, ["build", "--space", SPACE, "--dataset", "cifar10",
                                       "--score", "flops,az_nas", "--root", str(tmp_path / "db")])
    assert result.exit_code == 1 and result.output.splitlines() == [
        "Error: az_nas is not a stored score: corr and search compute it from stored ones "
        "(--score az_nas); build those instead"]
    assert not (tmp_path / "db").exists()
