"""Score the NAS-Bench-Suite-Zero NB201 sample with our 13 proxies and compare by rank.

Until ``naswot-db build --score suite-zero`` lands, this drives the space and the scorers
directly, the way a suite build scores an arch: the network with one output per class, init
seed 0 (``torch.manual_seed(0)`` before the build), one CIFAR-10 batch of 64 (batch seed 0)
with its labels, one :class:`SharedPasses` per network, a deep copy for each score that changes
weights.

    python tools/validate_suite_zero.py score  --data /work/shared/data --out runs.csv [--part 0/2]
    python tools/validate_suite_zero.py report --data /work/shared/data --out runs.csv

``score`` appends one row per (arch, proxy) and skips archs already in ``--out``, in a fixed
shuffled order of the sample's archs (an interrupted run is a random subset).  ``report``
prints, per proxy, Spearman of ours vs the published CIFAR-10 value and both proxies' Spearman
with the published validation accuracy, on the archs scored (without the archs whose published
value is Suite-Zero's failure sentinel -1e8).
"""

from __future__ import annotations

import argparse
import copy
import csv
import time
from pathlib import Path

import numpy as np
import pandas as pd
import torch
from scipy.stats import spearmanr

from naswot_db.builder.datasets import get_dataset
from naswot_db.builder.datasets.batches import load_batch
from naswot_db.builder.scoring import get_scorer
from naswot_db.builder.scoring.passes import SharedPasses, plan_for
from naswot_db.builder.spaces import get_space
from naswot_db.core.scores import suite_zero_names

SAMPLE = "suite-zero-nb201-sample/suite_zero_nb201_sample_long.parquet"
BATCH_SIZE = 64
SENTINEL = -1e8


def published(data: Path) -> pd.DataFrame:
    """The primary CIFAR-10 rows: index, proxy, value, val_accuracy."""
    rows = pd.read_parquet(data / SAMPLE)
    return rows[(rows["dataset"] == "cifar10") & rows["primary"]]


def score(data: Path, out: Path, part: tuple[int, int]) -> None:
    torch.set_num_threads(1)
    indices = np.sort(published(data)["index"].unique())
    order = np.random.default_rng(0).permutation(indices)[part[0]::part[1]]
    done = set(pd.read_csv(out)["index"]) if out.exists() else set()
    dataset = get_dataset("cifar10")
    batch = load_batch(dataset, data / "cifar10-jpeg", 0, BATCH_SIZE, with_labels=True)
    space = get_space("nb201")
    scorers = [get_scorer(name) for name in suite_zero_names()]
    new_file = not out.exists()
    with out.open("a", newline="") as handle:
        writer = csv.writer(handle)
        if new_file:
            writer.writerow(["index", "proxy", "value", "status", "error", "time_s"])
        for index in (int(i) for i in order if int(i) not in done):
            torch.manual_seed(0)
            model = space.build_model(index, num_classes=dataset.num_classes)
            passes = SharedPasses(model, batch.images, batch.labels, plan=plan_for(scorers))
            for scorer in scorers:
                fresh = scorer.changes_weights
                result = scorer.score(copy.deepcopy(model) if fresh else model, batch.images,
                                      batch.labels, passes=None if fresh else passes)
                writer.writerow([index, scorer.name, repr(result.value), result.status,
                                 result.error or "", f"{result.time_s:.4f}"])
            handle.flush()


def report(data: Path, outs: list[Path]) -> None:
    ours = pd.concat([pd.read_csv(out) for out in outs])
    theirs = published(data)
    joined = ours.merge(theirs, on=["index", "proxy"], suffixes=("_ours", "_published"))
    print(f"{'proxy':10} {'n':>4} {'ours~published':>15} {'ours~acc':>9} {'published~acc':>14}"
          f" {'ours s/arch':>11}")
    for proxy, rows in joined.groupby("proxy"):
        # our error rows, and the published failures stored as Suite-Zero's sentinel
        rows = rows[np.isfinite(rows["value_ours"]) & (rows["value_published"] != SENTINEL)]
        both = spearmanr(rows["value_ours"], rows["value_published"])[0]
        mine = spearmanr(rows["value_ours"], rows["val_accuracy"])[0]
        pub = spearmanr(rows["value_published"], rows["val_accuracy"])[0]
        print(f"{proxy:10} {len(rows):4d} {both:15.3f} {mine:9.3f} {pub:14.3f}"
              f" {rows['time_s_ours'].mean():11.3f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("mode", choices=["score", "report"])
    parser.add_argument("--data", type=Path, required=True, help="the shared data folder")
    parser.add_argument("--out", type=Path, action="append", required=True)
    parser.add_argument("--part", default="0/1", help="k/n: score every n-th arch from k")
    args = parser.parse_args()
    if args.mode == "score":
        k, n = (int(v) for v in args.part.split("/"))
        start = time.perf_counter()
        score(args.data, args.out[0], (k, n))
        print(f"scored in {time.perf_counter() - start:.0f} s")
    else:
        report(args.data, args.out)


if __name__ == "__main__":
    main()
