"""Score settings (``--score-setting``) and scores a space cannot run.

A setting declared on a score's descriptor reaches its scorer in every engine, enters its config
id (a default build keeps the id it always had) and the runs table; a bad one is one error line
before anything is written.  A score whose needs the space's network lacks (zen on NB101) is one
error line when named, and skipped with one note when only ``suite-zero``/``all`` selects it.
"""

from __future__ import annotations

import inspect
import json
import math
from pathlib import Path

import pytest
from click.testing import CliRunner

from naswot_db.builder.runner import BuildConfig
from naswot_db.builder.scoring import scorer_class
from naswot_db.cli import main
from naswot_db.core.score_settings import ScoreSettingError, scores_phrase, settings_listing
from naswot_db.core.scores import score_info, score_names, suite_zero_names
from naswot_db.core.spaces import space_info
from naswot_db.schema import read_table

# the config ids main's build gave before settings could be set (nb201, cifar10 fixture,
# batch 8): a build that sets nothing must keep them, or every stored root would rebuild
DEFAULT_IDS = {"naswot": "321cf58802ab6765", "synflow": "95bddbf56ef886e8",
               "zen": "a8ff581ca4aa6310", "jacov": "d9e0e91d837c796a", "snip": "2974b517a9229671"}


def build(root: Path, data_root: Path, *options: str, space: str = "nb201",
          arch_ids: str = "77,5"):
    return CliRunner().invoke(main, [
        "build", "--space", space, "--dataset", "cifar10", "--root", str(root),
        "--data-root", str(data_root), "--batch-size", "8", "--arch-ids", arch_ids, "--quiet",
        *options])


def built(root: Path, data_root: Path, *options: str, **where) -> str:
    result = build(root, data_root, *options, **where)
    assert result.exit_code == 0, result.output + result.stderr
    return result.output


def values(root: Path, score: str, space: str = "nb201") -> dict[str, dict[int, float]]:
    """config id -> arch id -> value of ``score``'s rows."""
    by_config: dict[str, dict[int, float]] = {}
    for row in read_table(root, "scores", space=space).to_pylist():
        if row["score"] == score:
            assert row["status"] == "ok", row["error"]
            by_config.setdefault(row["config_id"], {})[row["arch_id"]] = row["value"]
    return by_config


def test_each_descriptor_declares_exactly_its_scorers_keyword_arguments():
    for name in score_names():
        parameters = inspect.signature(scorer_class(name).__init__).parameters
        keywords = {p.name: p.default for p in parameters.values()
                    if p.kind is inspect.Parameter.KEYWORD_ONLY}
        declared = {s.name: s.default for s in score_info(name).settings}
        assert declared == keywords, name
    assert all(any(s.name == "nan_sentinel" for s in score_info(n).settings)
               for n in suite_zero_names())
    listed = {setting.name: scores for setting, scores in settings_listing()}
    assert listed == {"nan_sentinel": suite_zero_names(), "log_compress": ["synflow"],
                      "seed": ["zen"]}


def test_the_readme_lists_every_setting_as_its_descriptor_says():
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text()
    for setting, scores in settings_listing():
        row = (f"| `{setting.name}` | {setting.kind.__name__}, default {setting.default} | "
               f"{scores_phrase(scores)} | {setting.doc} |")
        assert row in readme


def test_a_build_that_sets_nothing_keeps_its_config_ids(tmp_path, cifar10_root):
    output = built(tmp_path / "db", cifar10_root, "--score", ",".join(DEFAULT_IDS),
                   arch_ids="77")
    assert ", ".join(f"{s} {i}" for s, i in DEFAULT_IDS.items()) in output
    # a setting given at its default is the same configuration
    again = built(tmp_path / "db", cifar10_root, "--score", "synflow,zen", "--score-setting",
                  "synflow.log_compress=false", "--score-setting", "zen.seed=0", arch_ids="77")
    assert "0 rows written, 2 already stored" in again


def test_log_compressed_synflow_is_its_own_configuration_and_resumes_alone(tmp_path,
                                                                            cifar10_root):
    root = tmp_path / "db"
    built(root, cifar10_root, "--score", "synflow")
    logged = ["--score", "synflow", "--score-setting", "synflow.log_compress=true"]
    built(root, cifar10_root, *logged)
    stored = values(root, "synflow")
    raw, compressed = stored.pop(DEFAULT_IDS["synflow"]), stored.popitem()[1]
    assert not stored and set(raw) == set(compressed) == {5, 77}
    for arch, value in raw.items():  # Suite-Zero's log of a positive sum
        assert value > 0 and compressed[arch] == pytest.approx(math.log(value), rel=1e-12)
    assert "0 rows written, 2 already stored" in built(root, cifar10_root, "--score", "synflow")
    assert "0 rows written, 2 already stored" in built(root, cifar10_root, *logged)
    assert "2 rows written" in built(root, cifar10_root, *logged, "--init-seeds", "1")
    runs = [json.loads(config) for config in read_table(root, "runs").column("config")
            .to_pylist()]
    assert {run["score_settings"]["synflow"]["log_compress"] for run in runs} == {False, True}


def test_a_group_wide_setting_reaches_every_score_that_has_it(tmp_path):
    config = BuildConfig(space="nb201", dataset="cifar10", root=tmp_path,
                         score="naswot,synflow,zen",
                         score_settings=["nan_sentinel=-1e8", "zen.nan_sentinel=none",
                                         "zen.seed=3"])
    assert config.score_settings == {"synflow": {"nan_sentinel": -1e8},
                                     "zen": {"nan_sentinel": None, "seed": 3}}
    again = BuildConfig(space="nb201", dataset="cifar10", root=tmp_path,
                        score="naswot,synflow,zen", score_settings=config.score_settings)
    assert again.score_settings == config.score_settings


def test_worker_processes_make_their_scorers_with_the_settings(tmp_path, cifar10_root):
    options = ["--score", "synflow,zen", "--score-setting", "synflow.log_compress=true",
               "--score-setting", "zen.seed=3"]
    built(tmp_path / "one", cifar10_root, *options)
    built(tmp_path / "two", cifar10_root, *options, "--workers", "2")
    built(tmp_path / "default", cifar10_root, "--score", "synflow,zen")
    for score in ("synflow", "zen"):
        assert values(tmp_path / "two", score) == values(tmp_path / "one", score)
        [set_values] = values(tmp_path / "one", score).values()
        [default_values] = values(tmp_path / "default", score).values()
        assert set_values != default_values  # the workers did not build with the defaults


@pytest.mark.parametrize("setting, message", [
    ("synflow.log_compress=maybe", "log_compress takes true or false, got 'maybe'"),
    ("zen.seed=1", "zen is not a score of this build (synflow, jacov)"),
    ("synflow.seed=1", "score synflow has no setting 'seed'; its settings: log_compress, "
                       "nan_sentinel"),
    ("k=1", "no score of this build has setting 'k'"),
    ("nope.k=1", "unknown score 'nope'"),
    ("nan_sentinel=inf", "nan_sentinel must be finite"),
    ("synflow.log_compress", "expected [SCORE.]NAME=VALUE"),
])
def test_a_bad_setting_is_one_error_line_and_writes_nothing(tmp_path, cifar10_root, setting,
                                                           message):
    result = build(tmp_path / "db", cifar10_root, "--score", "synflow,jacov",
                   "--score-setting", setting)
    [line] = result.stderr.splitlines()
    assert result.exit_code == 1 and line.startswith("Error: ") and message in line
    assert not (tmp_path / "db").exists()


def test_the_same_setting_twice_is_an_error(tmp_path):
    with pytest.raises(ScoreSettingError, match="zen.seed is given twice"):
        BuildConfig(space="nb201", dataset="cifar10", root=tmp_path, score="zen",
                    score_settings=["zen.seed=1", "zen.seed=2"])


# ---- scores a space cannot run -----------------------------------------------------------------

def test_a_named_score_the_space_cannot_run_is_one_error_line(tmp_path, cifar10_root):
    result = build(tmp_path / "db", cifar10_root, "--score", "naswot,zen", space="nb101",
                   arch_ids="1")
    assert result.exit_code == 1 and not (tmp_path / "db").exists()
    [line] = result.stderr.splitlines()
    assert line.startswith("Error: score zen cannot run on space nb101: it needs an "
                           "nn.AdaptiveAvgPool2d global pool")
    assert "torch.mean" in line


def test_a_group_skips_what_the_space_cannot_run_with_one_note(tmp_path, cifar10_root):
    root = tmp_path / "db"
    result = build(root, cifar10_root, "--score", "suite-zero", space="nb101", arch_ids="1")
    assert result.exit_code == 0, result.output + result.stderr
    notes = [line for line in result.stderr.splitlines() if line.startswith("Note:")]
    assert notes == [line for line in notes if line.startswith("Note: zen skipped")]
    assert len(notes) == 1 and "space nb101" in notes[0]
    rows = read_table(root, "scores", space="nb101").to_pylist()
    assert sorted(row["score"] for row in rows) == sorted(set(suite_zero_names()) - {"zen"})
    assert all(row["status"] == "ok" for row in rows)
    # zen runs where the network has its pool
    assert not space_info("nb201").network_lacks and space_info("nb101-original").network_lacks
