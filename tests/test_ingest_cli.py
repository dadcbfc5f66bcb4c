"""naswot-db ingest through the CLI: rows land in the root; bad files change nothing."""

from __future__ import annotations

import bz2

from click.testing import CliRunner

from naswot_db.cli import main
from naswot_db.schema import read_table


def test_corrupt_benchmark_file_is_one_error_line_and_root_unchanged(tmp_path):
    root = tmp_path / "db"
    source = tmp_path / "NATS-tss-v1_0-3ffb9-full.pickle.pbz2"
    source.write_bytes(bz2.compress(b"this is not a pickle"))
    result = CliRunner().invoke(main, ["ingest", "--space", "nb201", "--source", str(source),
                                       "--root", str(root)])
    assert result.exit_code == 1
    assert result.output.startswith("Error:") and "corrupt" in result.output
    assert len(result.output.strip().splitlines()) == 1
    assert not root.exists()


def test_missing_source_is_an_error(tmp_path):
    result = CliRunner().invoke(main, ["ingest", "--space", "nb201", "--source",
                                       str(tmp_path / "nope.pth"), "--root", str(tmp_path / "db")])
    assert result.exit_code == 1 and "does not exist" in result.output


def test_unknown_space_is_an_error(tmp_path):
    result = CliRunner().invoke(main, ["ingest", "--space", "nb777", "--source", str(tmp_path),
                                       "--root", str(tmp_path / "db")])
    assert result.exit_code == 1 and "unknown space" in result.output
    assert read_table(tmp_path / "db", "archs").num_rows == 0


def test_corrupt_parquet_part_in_the_root_is_one_error_line(tmp_path):
    root = tmp_path / "db"
    bad = root / "scores" / "space=nb201" / "broken.parquet"
    bad.parent.mkdir(parents=True)
    bad.write_bytes(b"PAR1 but not really")
    result = CliRunner().invoke(main, ["search", "--space", "nb201", "--root", str(root)])
    assert result.exit_code == 1
    assert result.output.startswith("Error:") and len(result.output.strip().splitlines()) == 1


def test_a_partial_benchmark_directory_is_said_to_be_partial(tmp_path):
    import nats_files as nf
    from naswot_db.builder.spaces.nb201 import benchmark_arch_strs

    source = nf.write_fast_mode_dir(tmp_path / "NATS-tss-v1_0-3ffb9-simple",
                                    list(benchmark_arch_strs()), [0, 7],
                                    {"200": (200, [777])})
    result = CliRunner().invoke(main, ["ingest", "--space", "nb201", "--source", str(source),
                                       "--root", str(tmp_path / "db")])
    assert result.exit_code == 0, result.output
    assert "holds 2 of nb201's 15,625 archs" in result.output
