"""One build of several scores vs one build per score, on the same NB201 archs and batches.

Each round builds the scores once together (``--score a,b,...``) into a fresh root, and once
per score (``--score a``, then ``--score b``, ...) into fresh roots, in this one process with
the same threads; the rounds alternate which goes first, so a machine whose load drifts
charges both alike.  Each figure is the wall time of the whole ``run_build`` calls (loading the
batches, building and seeding each network, scoring, writing), as a user waits for them.  Also
checks that the suite build stored exactly the one-score builds' rows.  Prints each round's
times and ratio, the medians, and the median of the rounds' ratios (the figure to quote: each
ratio compares two runs minutes apart, not runs at either end of a drifting load).

    python bench/multi_score_build.py --data-root DIR [--score naswot,jacov] [--archs 12]
        [--init-seeds 2] [--batch-size 64] [--rounds 3] [--threads T]
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import time
from pathlib import Path

import torch

from naswot_db.builder.runner import BuildConfig, run_build
from naswot_db.schema import read_table

ROW = ("score", "config_id", "arch_id", "init_seed", "batch_seed", "value", "status")


def timed_build(root: Path, score: str, args, arch_ids: list[int]) -> float:
    start = time.perf_counter()
    run_build(BuildConfig(space="nb201", dataset="cifar10", root=root, data_root=args.data_root,
                          score=score, arch_ids=arch_ids, init_seeds=list(range(args.init_seeds)),
                          batch_size=args.batch_size, device="cpu", progress=False))
    return time.perf_counter() - start


def stored(root: Path) -> list[tuple]:
    table = read_table(root, "scores", space="nb201")
    return sorted(zip(*(table.column(name).to_pylist() for name in ROW)), key=repr)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-root", type=Path, required=True, help="CIFAR-10 python files")
    parser.add_argument("--score", default="naswot,jacov", help="the scores, comma-separated")
    parser.add_argument("--archs", type=int, default=12)
    parser.add_argument("--init-seeds", type=int, default=2, help="init seeds 0..N-1 per arch")
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--threads", type=int, default=None, help="torch CPU threads")
    parser.add_argument("--seed", type=int, default=0, help="seed of the arch sample")
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    scores = BuildConfig(space="nb201", dataset="cifar10", root=Path("."),
                         score=args.score).scores
    arch_ids = sorted(random.Random(args.seed).sample(range(15625), args.archs))
    print(f"NB201, {args.archs} archs x {args.init_seeds} init seeds, batch {args.batch_size}, "
          f"{torch.get_num_threads()} threads; scores: {', '.join(scores)}")
    together, apart = [], []
    for round_index in range(args.rounds):
        with tempfile.TemporaryDirectory() as folder:
            base = Path(folder)
            order = ("together", "apart") if round_index % 2 == 0 else ("apart", "together")
            for kind in order:
                if kind == "together":
                    together.append(timed_build(base / "suite", ",".join(scores), args,
                                                arch_ids))
                else:
                    apart.append(sum(timed_build(base / score, score, args, arch_ids)
                                     for score in scores))
            alone = sorted((row for score in scores for row in stored(base / score)), key=repr)
            same = "identical rows" if alone == stored(base / "suite") else "ROWS DIFFER"
        print(f"round {round_index + 1} ({' first, '.join(order)} second): one build "
              f"{together[-1]:.1f} s, one build per score {apart[-1]:.1f} s "
              f"({apart[-1] / together[-1]:.2f}x); {same}")
    ratios = [each / one for one, each in zip(together, apart)]
    print(f"median: one build of {len(scores)} scores {statistics.median(together):.1f} s, one "
          f"build per score {statistics.median(apart):.1f} s; median of the rounds' ratios "
          f"{statistics.median(ratios):.2f}x (one build per score / one build)")


if __name__ == "__main__":
    main()
