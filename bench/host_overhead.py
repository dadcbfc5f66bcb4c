"""Host time per arch, before and after: network construction and scoring at a trivial batch.

At batch 8 on 8x8 inputs the numbers are almost all Python and dispatch work on the host
(what keeps one process from feeding a GPU), not arithmetic.  Per space (NB201, NATS-sss,
NB101, NDS DARTS) the same seeded archs are built and scored on the same batches, one CPU
thread, for each init seed x batch seed:

* before: ``torch.manual_seed(init_seed); space.build_model(arch).to(device)`` for every init
  seed, and ``model.train()`` plus a scoring pass that records the autograd graph for every
  batch (a fresh scorer each time), as the build loop did;
* after: the build's own path: :class:`SeededNetwork` builds each arch once and re-draws its
  weights per init seed, and one scorer per build scores a model it has seen with a plain
  ``no_grad`` pass (its :class:`CallPlan`).

Both columns share this version's hook check (cached per type) and kernel sum (one Gram
product per distinct input, the affine part once), so "before" is the old path on today's
kernel code.  Every pair of scores is compared: they must be identical.

    python bench/host_overhead.py [--archs 20] [--init-seeds 5] [--batch-seeds 3] [--repeats 3]
"""

from __future__ import annotations

import argparse
import random
import time
from collections.abc import Callable

import torch
from torch import nn

from naswot_db.builder import get_space
from naswot_db.builder.runner.allocator import keep_freed_memory
from naswot_db.builder.runner.reinit import SeededNetwork
from naswot_db.builder.scoring import NaswotScorer
from naswot_db.builder.spaces import SpaceError

NB101_OPS = ("conv3x3-bn-relu", "conv1x1-bn-relu", "maxpool3x3")
DARTS_OPS = ("sep_conv_3x3", "sep_conv_5x5", "dil_conv_3x3", "dil_conv_5x5", "max_pool_3x3",
             "avg_pool_3x3", "skip_connect")
CPU = torch.device("cpu")


def nb101_cells(rng: random.Random, count: int) -> list[tuple]:
    """Random valid 7-vertex NB101 cells as (adjacency, ops)."""
    space, cells = get_space("nb101"), []
    while len(cells) < count:
        matrix = [[int(j > i and rng.random() < 0.4) for j in range(7)] for i in range(7)]
        cell = (matrix, ["input", *(rng.choice(NB101_OPS) for _ in range(5)), "output"])
        try:
            space.cell(cell)
        except (SpaceError, ValueError):
            continue
        cells.append(cell)
    return cells


def darts_net(rng: random.Random) -> dict:
    """A random net of the NDS DARTS file (its JSON layout): 4 nodes of 2 edges per cell."""
    def cell() -> list:
        return [[rng.choice(DARTS_OPS), rng.randrange(node + 2)]
                for node in range(4) for _ in range(2)]
    genotype = {"normal": cell(), "normal_concat": [2, 3, 4, 5],
                "reduce": cell(), "reduce_concat": [2, 3, 4, 5]}
    return {"genotype": genotype, "width": 16, "depth": 8, "aux": False, "drop_prob": 0.0}


def space_archs(count: int) -> dict[str, tuple[str, list]]:
    rng = random.Random(0)
    return {
        "NB201": ("nb201", rng.sample(range(15625), count)),
        "NATS-sss": ("nats-sss", rng.sample(range(32768), count)),
        "NB101": ("nb101", nb101_cells(rng, count)),
        "NDS DARTS": ("nds-darts", [darts_net(rng) for _ in range(max(1, count // 2))]),
    }


def before(build: Callable[[], nn.Module], init_seeds, batches) -> tuple[float, float, list]:
    construct = score = 0.0
    values = []
    for init_seed in init_seeds:
        start = time.perf_counter()
        torch.manual_seed(init_seed)
        model = build().to(CPU)  # the old build loop moved every network, even to the CPU
        construct += time.perf_counter() - start
        for x in batches:
            start = time.perf_counter()
            model.train()  # the old scorer's module-by-module train()
            result = NaswotScorer().score(model, x)
            score += time.perf_counter() - start
            values.append(result.value)
    return construct, score, values


def after(build: Callable[[], nn.Module], init_seeds, batches,
          scorer: NaswotScorer) -> tuple[float, float, list]:
    construct = score = 0.0
    values = []
    network = SeededNetwork(build, CPU, seeds=len(init_seeds))
    for init_seed in init_seeds:
        start = time.perf_counter()
        model = network.for_seed(init_seed)
        construct += time.perf_counter() - start
        for x in batches:
            start = time.perf_counter()
            result = scorer.score(model, x)
            score += time.perf_counter() - start
            values.append(result.value)
    return construct, score, values


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--archs", type=int, default=20, help="per space (NDS: half)")
    parser.add_argument("--init-seeds", type=int, default=5)
    parser.add_argument("--batch-seeds", type=int, default=3)
    parser.add_argument("--repeats", type=int, default=3,
                        help="per arch and path; the fastest counts (the VM is shared)")
    args = parser.parse_args()
    torch.set_num_threads(1)
    keep_freed_memory()  # what a build does
    torch.manual_seed(1)
    batches = [torch.randn(8, 3, 8, 8) for _ in range(args.batch_seeds)]
    init_seeds = list(range(args.init_seeds))
    print(f"torch {torch.__version__}, 1 thread, batch 8 of 8x8, {args.init_seeds} init seeds x "
          f"{args.batch_seeds} batch seeds per arch, best of {args.repeats}; ms per arch: "
          "construction + scoring")
    print(f"{'space':10s} {'archs':>5s} | {'before':>22s} | {'after':>22s} | speed-up | equal")
    for label, (space_name, archs) in space_archs(args.archs).items():
        space = get_space(space_name)
        scorer = NaswotScorer()  # one per build, as ArchScorer has
        totals = {"before": [0.0, 0.0], "after": [0.0, 0.0]}
        values: dict[str, list] = {}
        equal = True
        for arch in archs:
            build = (lambda arch=arch: space.build_model(arch))
            build()  # warm-up: first-use costs (imports, allocator) are no one's
            for key, run in (("before", lambda: before(build, init_seeds, batches)),
                             ("after", lambda: after(build, init_seeds, batches, scorer))):
                results = [run() for _ in range(args.repeats)]  # the quietest of the repeats
                equal &= all(result[2] == results[0][2] for result in results)
                totals[key][0] += min(result[0] for result in results)
                totals[key][1] += min(result[1] for result in results)
                values[key] = results[0][2]
            equal &= values["before"] == values["after"]
        (bc, bs), (ac, as_) = (
            [1000 * t / len(archs) for t in totals[key]] for key in ("before", "after"))
        print(f"{label:10s} {len(archs):5d} | {bc:7.1f} + {bs:7.1f} = {bc + bs:6.1f} | "
              f"{ac:7.1f} + {as_:7.1f} = {ac + as_:6.1f} | {(bc + bs) / (ac + as_):7.2f}x | "
              f"{'yes' if equal else 'NO'}")


if __name__ == "__main__":
    main()
