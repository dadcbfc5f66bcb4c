"""Query time of an NB101-scale scores table before and after ``naswot-db compact``.

Writes 423,624 archs x 15 replicates (6.35 M score rows) in builder-sized parts (64 archs a
part, 6,620 parts, as a full NB101 build leaves them) plus NB101-shaped labels into a
temporary root, then times, in fresh processes (best of 3): ``sql`` counting the rows,
``sql`` averaging each arch's replicates, ``corr`` and ``search``; then ``compact`` and
``check`` once each, and the same queries again.
Usage: ``OMP_NUM_THREADS=1 python bench/compaction.py``.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from fresh_process import best_run, run_cli  # noqa: E402
from search_speed import NB101_ARCHS, NB101_REPLICATES, _write_nb101_scale  # noqa: E402

QUERIES = (
    ["sql", "SELECT count(*) FROM scores WHERE space = 'nb101'"],
    ["sql", "SELECT arch_id, avg(value) AS mean FROM scores WHERE space = 'nb101' "
            "GROUP BY arch_id ORDER BY mean DESC LIMIT 3"],
    ["corr", "--space", "nb101", "--replicate", "mean"],
    ["search", "--space", "nb101", "--n", "10,100,1000"],
)


def _time_queries(root: Path, label: str) -> None:
    for args in QUERIES:
        run = best_run([*args, "--root", str(root)], 3)
        print(f"  {label:>6}: naswot-db {' '.join(args)[:70]}: {run.wall_s:.2f} s wall, "
              f"{run.peak_mb:,.0f} MB peak")


def _timed(args: list[str], root: Path) -> tuple[float, str]:
    start = time.perf_counter()
    run = run_cli([*args, "--root", str(root)])
    return time.perf_counter() - start, run.stdout.strip().splitlines()[-1]


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        parts = _write_nb101_scale(root)
        print(f"NB101 scale: {NB101_ARCHS:,} archs x {NB101_REPLICATES} replicates = "
              f"{NB101_ARCHS * NB101_REPLICATES:,} score rows in {parts:,} parts "
              "(fresh processes, best of 3)")
        _time_queries(root, "before")
        for args in (["check"], ["compact", "--grace", "0"], ["check"]):
            seconds, last = _timed(args, root)
            print(f"  naswot-db {' '.join(args)}: {seconds:.1f} s ({last[:90]})")
        _time_queries(root, "after")


if __name__ == "__main__":
    main()
