"""Score a seeded random sample of NB201 archs and compare with the NASWOT paper.

Builds NASWOT scores for ``--sample`` archs (default 1,000, drawn with ``--seed``) on CIFAR-10
images (``--data-root``, default ../shared/data/cifar10-jpeg, or any CIFAR-10 root), then
prints Kendall's tau-b against each shipped NB201 accuracy column and the simulated search
table, each next to the paper's numbers (Table 2 of the ICML 2021 paper).

A sample is not the paper's setting: the search draws from the sampled archs only, so the
pool is smaller than the 15,625 the paper drew from, and the JPEG re-encoded images shift
scores slightly.  Expect the same picture, not the same digits.

Usage: ``python bench/reproduce_nb201.py --root /tmp/nb201-sample [--device cuda]``
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
import torch

from naswot_db.builder.runner import BuildConfig, run_build
from naswot_db.query import correlations, simulate_search
from naswot_db.query.formatting import render
from naswot_db.query.searches.report import paper_table, search_caption
from naswot_db.query.searches.paper import PAPER_NB201

NB201_ARCHS = 15_625
DEFAULT_DATA = Path(__file__).resolve().parents[1] / ".." / "shared" / "data" / "cifar10-jpeg"
# Kendall tau of the score with accuracy on the dataset the score was computed on
PAPER_TAU = {"cifar10": 0.574, "cifar100": 0.611, "ImageNet16-120": 0.549}
PAPER_SEARCH = {  # N -> "mean±std" per column, CIFAR-10 scores, 500 runs
    n: [f"{mean:.2f}±{std:.2f}" for mean, std in PAPER_NB201[("naswot", n)].values()]
    for n in (10, 100, 1000)}
PAPER_COLUMNS = ["C10 valid", "C10 test", "C100 valid", "C100 test", "IN16 valid", "IN16 test"]


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", type=Path, default=None,
                        help="database root to build into [default: a temporary folder]")
    parser.add_argument("--data-root", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--sample", type=int, default=1000, help="archs to score")
    parser.add_argument("--seed", type=int, default=0, help="seed of the arch sample and search")
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--device", default="auto")
    parser.add_argument("--runs", type=int, default=500)
    parser.add_argument("--workers", type=int, default=None,
                        help="build processes [default: one per core on a CPU, 1 with CUDA]")
    return parser.parse_args()


def _default_workers(device: str) -> int:
    on_cpu = device == "cpu" or (device == "auto" and not torch.cuda.is_available())
    return (os.cpu_count() or 1) if on_cpu else 1


def _build(args: argparse.Namespace, root: Path) -> None:
    sample = np.random.default_rng(args.seed).choice(NB201_ARCHS, args.sample, replace=False)
    start = time.perf_counter()
    summary = run_build(BuildConfig(
        space="nb201", dataset="cifar10", root=root, data_root=args.data_root, init_seeds=[0],
        batch_seeds=[0], batch_size=args.batch_size, arch_ids=sorted(int(a) for a in sample),
        device=args.device, split="all", workers=args.workers or _default_workers(args.device), progress=True))
    print(f"built {summary.rows_written} scores ({summary.rows_skipped} already stored) in "
          f"{time.perf_counter() - start:.0f} s under {root}")


def _correlation_table(root: Path) -> pd.DataFrame:
    study = correlations(root, space="nb201", dataset="cifar10", top_k=(10,))
    paper = PAPER_TAU["cifar10"]
    return pd.DataFrame({
        "target": study["target"], "used": study["used"],
        "excluded": study["rows"] - study["used"],
        "kendall tau": study["kendall_tau"].round(3),
        "paper (C10 scores)": [paper if t in ("C10 valid", "C10 test") else ""
                               for t in study["target"]],
        "spearman": study["spearman"].round(3),
        "top10% overlap": study["top10%_overlap"].round(3)})


def _search_table(root: Path, runs: int, seed: int) -> str:
    result = simulate_search(root, space="nb201", dataset="cifar10", n=(10, 100, 1000),
                             runs=runs, seed=seed, replicate="mean")
    ours = paper_table(result)
    paper = pd.DataFrame([{"method": "paper (NASWOT)", "N": str(n),
                           **dict(zip(PAPER_COLUMNS, cells))} for n, cells in PAPER_SEARCH.items()])
    side_by_side = pd.concat([ours, paper], ignore_index=True).fillna("")
    return search_caption(result) + "\n" + render(side_by_side, "table")


def main() -> None:
    args = _arguments()
    with tempfile.TemporaryDirectory() as scratch:
        root = args.root or Path(scratch) / "db"
        _build(args, root)
        print("\nKendall tau-b of CIFAR-10 scores vs each shipped NB201 accuracy column "
              f"(paper: C10 {PAPER_TAU['cifar10']}, C100 {PAPER_TAU['cifar100']} and IN16 "
              f"{PAPER_TAU['ImageNet16-120']} with scores on those datasets)")
        print(render(_correlation_table(root), "table"))
        print("\nSimulated search (paper: CIFAR-10 scores, 500 runs over all 15,625 archs)")
        print(_search_table(root, args.runs, args.seed))


if __name__ == "__main__":
    main()
