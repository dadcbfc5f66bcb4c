"""The scatter and search figures are written, in the asked format, with the right numbers."""

from __future__ import annotations

import matplotlib
import numpy as np
import pytest
from click.testing import CliRunner
from naswot_db.testing.query_tables import accuracy_part, score_part, write

from naswot_db.cli import main
from naswot_db.query import QueryError, scatter_plot, search_plot, simulate_search
from naswot_db.query.plots import point_density


@pytest.fixture(scope="module")
def root(tmp_path_factory):
    root = tmp_path_factory.mktemp("plots") / "db"
    archs = np.arange(200)
    values = archs * 0.5
    values[[0, 3]] = [np.nan, -np.inf]
    write(root, "scores", score_part("nats-sss", archs, values), "nats-sss")
    write(root, "accuracies", accuracy_part("nats-sss", archs, 40 + archs * 0.2, dataset="cifar10",
                                            split="ori-test"), "nats-sss")
    return root


def test_point_density_counts_points_per_cell():
    x = np.array([0.0, 0.01, 0.02, 5.0, 10.0])
    y = np.array([0.0, 0.01, 0.02, 5.0, 10.0])
    assert point_density(x, y, bins=10).tolist() == [3, 3, 3, 1, 1]


def test_scatter_svg_carries_tau_and_counts(root, tmp_path):
    with matplotlib.rc_context({"svg.fonttype": "none"}):
        path = scatter_plot(tmp_path / "scatter.svg", root, space="nats-sss", replicate=(0, 0))
    text = path.read_text()
    assert text.startswith("<?xml") and "Kendall τ = 1.000" in text
    assert "198 archs, 2 excluded" in text


def test_search_png_and_cli(root, tmp_path):
    result = simulate_search(root, space="nats-sss", n=(2, 8), runs=30, replicate="mean")
    path = search_plot(result, tmp_path / "search.png")
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    cli = CliRunner().invoke(main, ["plot", "search", "--root", str(root), "--space", "nats-sss",
                                    "--n", "2,8", "--runs", "30", "-o", str(tmp_path / "s.svg")])
    assert cli.exit_code == 0, cli.output
    assert (tmp_path / "s.svg").read_text().startswith("<?xml")
    with pytest.raises(QueryError, match="must end in .png or .svg"):
        search_plot(result, tmp_path / "search.pdf")


def test_a_plot_into_a_missing_folder_is_one_error_and_creates_nothing(tmp_path):
    result = CliRunner().invoke(main, ["plot", "scatter", "--root", str(tmp_path / "db"),
                                       "-o", str(tmp_path / "typo" / "f.png")])
    assert result.exit_code == 1
    assert result.output.strip().splitlines()[-1] == (
        f"Error: folder {tmp_path / 'typo'} for plot file f.png does not exist")
    assert not (tmp_path / "typo").exists()
