"""REA and AREA on NAS-Bench-201, simulated from NATS-Bench's tss file, next to the paper.

Ingests ``--source`` (the NATS-Bench tss ``-simple`` directory, 15,625 per-arch files, or the
whole-benchmark ``.pickle.pbz2``) into ``--root``, then runs REA (500 runs) and AREA (50 runs,
scoring with the NB201 CIFAR-10 scores shipped with naswot-db unless the root has its own) at
the paper's 12,000 s budget, P = 10, S = 3, M = 20, and prints both next to Table 2(a) of the
ICML 2021 paper (REFERENCE-FACTS.md section 6).

Without the real file (absent, or only a few archs, like the official test fixtures) it runs
on synthetic whole-space tables from the test suite instead and says so: those numbers only
show that the pipeline runs, they are not comparable with the paper.

Usage: ``python bench/reproduce_area.py --source NATS-tss-v1_0-3ffb9-simple [--root DIR]``
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

import pandas as pd

from naswot_db.testing.search_tables import write_space

from naswot_db.builder.ingest import ingest_ground_truth
from naswot_db.query.formatting import comparison_caption, render
from naswot_db.query.searches import BudgetOptions
from naswot_db.query.searches.compare import compare_searches

NB201_ARCHS = 15_625
PAPER_COLUMNS = ["C10 valid", "C10 test", "C100 valid", "C100 test", "IN16 valid", "IN16 test"]
PAPER = {  # Table 2(a); AREA's test columns are not given
    "rea": ["91.19±0.31", "93.92±0.30", "71.81±1.12", "71.84±0.99", "45.15±0.89", "45.54±1.03"],
    "area": ["91.20±0.27", "", "71.95±0.99", "", "45.70±1.05", ""],
}


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", type=Path, default=Path("NATS-tss-v1_0-3ffb9-simple"))
    parser.add_argument("--root", type=Path, default=None,
                        help="database root to ingest into [default: a temporary folder]")
    parser.add_argument("--seed", type=int, default=0)
    return parser.parse_args()


def _real_archs(source: Path) -> int:
    """Archs the source holds results for (a single-file benchmark counts as complete)."""
    if source.is_file():
        return NB201_ARCHS
    if not source.is_dir():
        return 0
    return sum(1 for p in source.glob("*.pickle.pbz2") if p.name[:6].isdigit())


def _table(comparison) -> pd.DataFrame:
    rows = []
    for result in comparison.budgeted:
        method = result.settings.method
        row = result.row()
        rows.append({"method": method.upper(), "source": "naswot-db", "runs": row["runs"],
                     **{c: f"{row[f'{c} mean']:.2f}±{row[f'{c} std']:.2f}"
                        for c in PAPER_COLUMNS},
                     "archs trained": f"{row['evaluations_mean']:.1f}"})
        rows.append({"method": method.upper(), "source": "paper", "runs": result.settings.runs,
                     **dict(zip(PAPER_COLUMNS, PAPER[method])), "archs trained": ""})
    return pd.DataFrame(rows)


def main() -> None:
    args = _arguments()
    archs = _real_archs(args.source)
    with tempfile.TemporaryDirectory() as folder:
        root = args.root or Path(folder) / "db"
        if archs == NB201_ARCHS:
            print(f"ingesting {args.source} into {root} ...", flush=True)
            ingest_ground_truth("nb201", args.source, root)
        else:
            found = f"holds {archs:,} of {NB201_ARCHS:,} archs" if archs else "is absent"
            print(f"NOTE: {args.source} {found}; running on the test suite's synthetic "
                  f"whole-NB201 tables instead. These numbers show the pipeline runs; they are "
                  f"not comparable with the paper.", flush=True)
            write_space(root, "nb201", seed=args.seed)
        comparison = compare_searches(root, methods=["rea", "area"],
                                      options=BudgetOptions(seed=args.seed))
    print(comparison_caption(comparison))
    print(render(_table(comparison), "table"))


if __name__ == "__main__":
    main()
