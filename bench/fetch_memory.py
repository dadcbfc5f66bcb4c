"""Benchmark: peak memory of ``naswot-db fetch`` against the rows an archive holds.

Packs a root of N NB201 score rows (distinct keys: arch id and init seed) and fetches it into
an empty root in a fresh process, printing that process's peak RSS (VmHWM) and the bytes it
wrote (the merged parts, the conformed staging copies and DuckDB's spill).  The merge streams
the archive's rows, so the peak should stay nearly flat as the rows grow.

    python bench/fetch_memory.py --rows 1000000 3000000
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

from naswot_db.distribution.pack import pack
from naswot_db.schema import write_part
from naswot_db.testing.query_tables import many_score_rows

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from hostile import run_measured  # noqa: E402 - the tests' measuring child process


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, nargs="+", default=[1_000_000, 3_000_000])
    args = parser.parse_args()
    for n in args.rows:
        with tempfile.TemporaryDirectory() as folder:
            tmp = Path(folder)
            write_part(tmp / "src", "scores", many_score_rows(n), space="nb201")
            archive = pack(tmp / "src", tmp / "a.tar").archive
            result = run_measured(tmp, "fetch", str(archive), "--root", str(tmp / "db"),
                                  "--quiet", "--max-rows", str(n))
            assert result.returncode == 0, result.stderr
            print(f"{n:>11,} rows ({archive.stat().st_size / 1e6:.1f} MB archive): fetch peak "
                  f"RSS {result.peak_rss_mib:,.0f} MiB, {result.written_bytes / 1e6:,.0f} MB "
                  "written")


if __name__ == "__main__":
    main()
