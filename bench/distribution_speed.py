"""Time pack, fetch and export on the shipped NB201 table (15,625 archs: scores, archs, 93,750
accuracy rows).

Packs the package's shipped root into an archive, fetches it into an empty root from the local
path and over HTTP from a server on 127.0.0.1 (naswot_db.testing.archive_server), then exports the
fetched root in every format.  Each step is the best of 3 runs (the machine is shared); fetches
go into a new empty root each time.  Usage: ``python bench/distribution_speed.py``.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

from naswot_db.distribution.exports.naslib import export_naslib
from naswot_db.distribution.exports.syne_tune import export_syne_tune
from naswot_db.distribution.exports.tables import export_tables
from naswot_db.distribution.fetch import fetch
from naswot_db.distribution.pack import pack
from naswot_db.query.selection import open_source
from naswot_db.schema import shipped_root
from naswot_db.testing.archive_server import serve

REPEATS = 3


def _best(action) -> float:
    best = float("inf")
    for attempt in range(REPEATS):
        start = time.perf_counter()
        action(attempt)
        best = min(best, time.perf_counter() - start)
    return best


def main() -> None:
    shipped = shipped_root()
    if not (shipped / "scores" / "space=nb201").is_dir():
        raise SystemExit(f"no shipped NB201 scores under {shipped}")
    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        archive = work / "nb201.tar"
        figures = {"pack": _best(lambda _: pack(shipped, archive))}
        size_mb = archive.stat().st_size / 1e6
        figures["fetch (local path)"] = _best(
            lambda i: fetch(str(archive), work / f"local{i}", progress=False))
        with serve({"nb201.tar": archive}) as served:
            figures["fetch (HTTP, 127.0.0.1)"] = _best(lambda i: fetch(
                served.url("nb201.tar"), work / f"http{i}", download_dir=work / "downloads",
                progress=False))
        root = work / "local0"
        with open_source(root) as source:
            figures["export naslib"] = _best(
                lambda i: export_naslib(source, work / f"naslib{i}", "nb201", "naswot"))
            figures["export syne-tune"] = _best(
                lambda i: export_syne_tune(source, work / f"syne{i}", "nb201", "naswot"))
            for fmt in ("csv", "parquet"):
                figures[f"export {fmt}"] = _best(
                    lambda i, fmt=fmt: export_tables(source, work / f"{fmt}{i}", fmt, "nb201"))
    print(f"shipped NB201 table, archive {size_mb:.2f} MB; best of {REPEATS}:")
    for step, seconds in figures.items():
        print(f"  {step:<26} {seconds:6.2f} s")


if __name__ == "__main__":
    main()
