"""Benchmark: peak memory of ``naswot-db fetch`` against the rows an archive holds.

Packs a root of N NB201 score rows (distinct keys: arch id and init seed) and fetches it into
an empty root in a fresh process, printing that process's peak RSS (VmHWM).  The figures set
``fetch --max-rows``'s default (the merge holds an archive's rows in memory).

    python bench/fetch_memory.py --rows 1000000 3000000
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

import duckdb

from naswot_db.distribution.pack import pack
from naswot_db.schema import write_part

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from hostile import run_measured  # noqa: E402 - the tests' measuring child process


def score_rows(n: int):
    return duckdb.sql(
        "SELECT 'nb201' AS space, (i % 15625)::BIGINT AS arch_id, 'naswot' AS score, 'cifar10' "
        "AS dataset, 16::INTEGER AS batch_size, (i // 15625)::BIGINT AS init_seed, 0::BIGINT AS "
        "batch_seed, 'cfg' AS config_id, (i * 0.001)::DOUBLE AS value, 'ok' AS status, "
        "NULL::VARCHAR AS error, false AS reference_raises, 0.5::DOUBLE AS time_s, 'run' AS "
        f"run_id FROM range({n}) t(i)").to_arrow_table()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, nargs="+", default=[1_000_000, 3_000_000])
    args = parser.parse_args()
    for n in args.rows:
        with tempfile.TemporaryDirectory() as folder:
            tmp = Path(folder)
            write_part(tmp / "src", "scores", score_rows(n), space="nb201")
            archive = pack(tmp / "src", tmp / "a.tar").archive
            result = run_measured(tmp, "fetch", str(archive), "--root", str(tmp / "db"),
                                  "--quiet", "--max-rows", str(n))
            assert result.returncode == 0, result.stderr
            print(f"{n:>11,} rows ({archive.stat().st_size / 1e6:.1f} MB archive): fetch peak "
                  f"RSS {result.peak_rss_mib:,.0f} MiB")


if __name__ == "__main__":
    main()
