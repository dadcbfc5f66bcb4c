"""Which ``--workers`` x ``--threads`` split of the CPU builds NB201 fastest, as a user runs it.

Each configuration runs ``naswot-db build --space nb201 --dataset cifar10`` in a fresh process
(start-up, data loading and part writing included) on the same seeded sample of archs into a
new root; the configurations take turns round by round (interleaved), so a load that comes
and goes on a shared machine hits them alike.  Prints every run, then per configuration the
median archs/s and its spread (min-max) and each configuration's median ratio to the first one
(per round, so both halves of a ratio saw the same moment of the machine).

    python bench/workers_threads.py --data-root DIR [--archs 30,500] [--rounds 3]
        [--configs 1x2,2x1]   # WORKERSxTHREADS; default: one process with every core's
                              # thread, and one single-thread process per core
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def _configs(text: str) -> list[tuple[int, int]]:
    return [tuple(int(v) for v in item.split("x")) for item in text.split(",")]


def build_seconds(arch_ids: list[int], workers: int, threads: int, data_root: Path) -> float:
    """Wall seconds of one fresh ``naswot-db build`` of ``arch_ids``."""
    with tempfile.TemporaryDirectory() as root:
        command = [sys.executable, "-m", "naswot_db", "build", "--space", "nb201",
                   "--dataset", "cifar10", "--data-root", str(data_root), "--root", root,
                   "--arch-ids", ",".join(map(str, sorted(arch_ids))), "--workers",
                   str(workers), "--threads", str(threads), "--quiet"]
        start = time.perf_counter()
        subprocess.run(command, check=True, capture_output=True)
        return time.perf_counter() - start


def main() -> None:
    cores = os.cpu_count() or 1
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-root", type=Path, required=True, help="CIFAR-10 root")
    parser.add_argument("--archs", default="30,500", help="sample sizes, comma-separated")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--configs", type=_configs, default=[(1, cores), (cores, 1)])
    parser.add_argument("--seed", type=int, default=0, help="seed of the arch sample")
    args = parser.parse_args()
    print(f"{cores} CPUs; configurations (workers x threads): "
          f"{', '.join(f'{w}x{t}' for w, t in args.configs)}")
    for count in (int(v) for v in args.archs.split(",")):
        arch_ids = random.Random(args.seed).sample(range(15625), count)
        rates: dict[tuple[int, int], list[float]] = {c: [] for c in args.configs}
        for round_ in range(args.rounds):
            for workers, threads in args.configs:
                seconds = build_seconds(arch_ids, workers, threads, args.data_root)
                rates[(workers, threads)].append(count / seconds)
                print(f"  {count} archs, round {round_ + 1}, --workers {workers} --threads "
                      f"{threads}: {seconds:.1f} s = {count / seconds:.2f} archs/s", flush=True)
        first = rates[args.configs[0]]
        for (workers, threads), values in rates.items():
            ratios = [v / f for v, f in zip(values, first)]
            print(f"{count} archs, --workers {workers} --threads {threads}: median "
                  f"{statistics.median(values):.2f} archs/s (min {min(values):.2f}, max "
                  f"{max(values):.2f}, {len(values)} runs); vs {args.configs[0][0]}x"
                  f"{args.configs[0][1]}: median {statistics.median(ratios):.2f}x "
                  f"(min {min(ratios):.2f}, max {max(ratios):.2f})", flush=True)


if __name__ == "__main__":
    main()
