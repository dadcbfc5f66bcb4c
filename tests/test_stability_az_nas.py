"""``naswot-db stability`` and the AZ-NAS aggregate, on small real roots (Parquet + DuckDB),
against SciPy written out here."""

from __future__ import annotations

import io
import itertools

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from click.testing import CliRunner
from scipy.stats import kendalltau, rankdata, spearmanr

from naswot_db.cli import main
from naswot_db.query import QueryError
from naswot_db.query.az_nas_study import az_nas_scores
from naswot_db.query.stability import stability
from naswot_db.testing.query_tables import accuracy_part, score_part, write

SPACE = "nb101"
ARCHS = np.arange(40)
REPLICATES = [(i, b) for i in range(3) for b in range(2)]


def named(part: pa.Table, score: str) -> pa.Table:
    return part.set_column(part.schema.get_field_index("score"), "score",
                           pa.array([score] * part.num_rows))


def _values() -> dict[tuple[int, int], np.ndarray]:
    rng = np.random.default_rng(5)
    base = ARCHS / 10.0
    out = {}
    for init, batch in REPLICATES:
        values = base + rng.normal(size=ARCHS.size) * (0.5 + init)  # noisier per init seed
        values[7] = np.nan if (init, batch) == (1, 1) else values[7]  # arch 7 drops out
        out[init, batch] = np.round(values, 1)  # ties on purpose
    return out


VALUES = _values()
ACCURACY = ARCHS + np.random.default_rng(6).normal(size=ARCHS.size) * 8


@pytest.fixture(scope="module")
def root(tmp_path_factory):
    root = tmp_path_factory.mktemp("stability") / "db"
    for (init, batch), values in VALUES.items():
        write(root, "scores", named(score_part(SPACE, ARCHS, values, init_seed=init,
                                               batch_seed=batch), "meco"), SPACE)
    write(root, "accuracies", accuracy_part(SPACE, ARCHS, ACCURACY, dataset="cifar10",
                                            split="test", epochs=108), SPACE)
    return root


def test_stability_matches_scipy_pair_by_pair(root):
    [row] = stability(root, space=SPACE).to_dict("records")
    keep = ARCHS != 7
    expected = {"init": [], "batch": [], "both": []}
    for a, b in itertools.combinations(REPLICATES, 2):
        kind = "batch" if a[0] == b[0] else "init" if a[1] == b[1] else "both"
        x, y = VALUES[a][keep], VALUES[b][keep]
        expected[kind].append((kendalltau(x, y)[0], spearmanr(x, y)[0]))
    assert (row["score"], row["better"], row["archs"], row["dropped_archs"]) == ("meco", "higher",
                                                                                39, 1)
    assert (row["init_seeds"], row["batch_seeds"]) == (3, 2)
    for kind, pairs in expected.items():
        assert row[f"{kind}_pairs"] == len(pairs)
        assert row[f"{kind}_kendall"] == pytest.approx(np.mean([p[0] for p in pairs]), rel=1e-12)
        assert row[f"{kind}_spearman"] == pytest.approx(np.mean([p[1] for p in pairs]), rel=1e-12)
    rhos = [spearmanr(VALUES[r][keep], ACCURACY[keep])[0] for r in REPLICATES]
    assert row["acc_spearman_min"] == pytest.approx(min(rhos), rel=1e-12)
    assert row["acc_spearman_max"] == pytest.approx(max(rhos), rel=1e-12)
    assert row["acc_spearman_mean"] == pytest.approx(np.mean(rhos), rel=1e-12)
    assert row["acc_spearman_std"] == pytest.approx(np.std(rhos, ddof=1), rel=1e-12)
    assert row["init_spearman"] < row["batch_spearman"]  # the noise grows with the init seed


def test_a_lower_is_better_score_correlates_the_right_way_round(tmp_path):
    root = tmp_path / "db"
    for (init, batch), values in VALUES.items():
        write(root, "scores", named(score_part(SPACE, ARCHS, -values, init_seed=init,
                                               batch_seed=batch), "tenas_ntk"), SPACE)
    write(root, "accuracies", accuracy_part(SPACE, ARCHS, ACCURACY, dataset="cifar10",
                                            split="test", epochs=108), SPACE)
    [row] = stability(root, space=SPACE).to_dict("records")
    keep = ARCHS != 7
    rhos = [spearmanr(VALUES[r][keep], ACCURACY[keep])[0] for r in REPLICATES]
    assert row["better"] == "lower" and min(rhos) > 0
    assert row["acc_spearman_mean"] == pytest.approx(np.mean(rhos), rel=1e-12)


def test_stability_cli_prints_the_table_and_refuses_an_absent_score(root):
    result = CliRunner().invoke(main, ["stability", "--space", SPACE, "--root", str(root),
                                       "--format", "csv"])
    assert result.exit_code == 0, result.output
    frame = pd.read_csv(io.StringIO(result.output))
    assert frame["score"].tolist() == ["meco"] and frame["archs"].tolist() == [39]
    bad = CliRunner().invoke(main, ["stability", "--space", SPACE, "--root", str(root),
                                    "--score", "swap"])
    assert bad.exit_code == 1 and bad.output.startswith("Error: no swap scores")


COMPONENTS = ("az_expressivity", "az_progressivity", "az_trainability")


def test_az_nas_is_the_sum_of_log_rank_ratios(tmp_path):
    root = tmp_path / "db"
    rng = np.random.default_rng(9)
    columns = {name: np.round(rng.normal(size=ARCHS.size), 1) for name in COMPONENTS}
    columns["az_trainability"][3] = -np.inf  # the reference's NaN: ranks lowest
    columns["az_progressivity"][4] = np.nan  # an error row: arch 4 takes no part
    flops = np.round(rng.uniform(10, 100, ARCHS.size))
    for name, values in columns.items():
        write(root, "scores", named(score_part(SPACE, ARCHS, values), name), SPACE)
    with pytest.raises(QueryError, match="needs the scores flops"):
        az_nas_scores(root, space=SPACE)
    for init in (0, 1):  # flops of any replicate: the same value
        write(root, "scores", named(score_part(SPACE, ARCHS[1:], flops[1:], init_seed=init),
                                    "flops"), SPACE)
    frame = az_nas_scores(root, space=SPACE)
    taking_part = (ARCHS != 4) & (ARCHS != 0)  # arch 0 has no flops
    n = taking_part.sum()
    expected = sum(np.log(rankdata(v[taking_part]) / n)
                   for v in (*columns.values(), flops))
    assert frame["arch_id"].tolist() == ARCHS[taking_part].tolist()
    np.testing.assert_allclose(frame["value"], expected, rtol=1e-12)
    assert set(frame["score"]) == {"az_nas"}
