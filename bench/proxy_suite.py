"""The 13 Suite-Zero proxies as one suite vs one at a time, on NB201 on this machine.

Per arch, in one run and interleaved (the order alternates per arch, because the machine is
shared): (a) the suite the way a suite build scores an arch: one network, one
:class:`SharedPasses` planned for the 13 (so grasp's second pass and the input Jacobian reuse
the loss pass's forward), the scores that change weights last, each on a deep copy but the
last; (b) the 13 proxies one at a time the way NASLib's ``find_measures`` computes them: a deep
copy and its own passes per proxy (the slow implementations of PROXIES.md in
:mod:`naswot_db.testing.suite_zero_reference`, flops/params by the complexity count on a copy);
(c) each of our scorers alone on its own network (its own passes), timed right beside the same
proxy of (b), in alternating order.  One unmeasured round of (a) and (b) first, so that
first-call costs go to neither side.  Prints the load average, each proxy's time per arch for
(b) and (c), the suite's, and suite / one-at-a-time.

    python bench/proxy_suite.py [--archs 4] [--batch-size 64] [--threads 2]
"""

from __future__ import annotations

import argparse
import copy
import os
import time

import numpy as np
import torch

from naswot_db.builder.scoring import Scorer, get_scorer
from naswot_db.builder.scoring.passes import SharedPasses, plan_for
from naswot_db.builder.spaces import get_space
from naswot_db.builder.spaces.complexity import count_complexity
from naswot_db.core.scores import suite_zero_names
from naswot_db.testing.suite_zero_reference import REFERENCE

CLASSES = 10


def _reference_complexity(index: int):
    def measure(net, images, labels):
        return count_complexity(copy.deepcopy(net), tuple(images.shape[1:]))[index]
    return measure


ONE_AT_A_TIME = {**REFERENCE, "params": _reference_complexity(0),
                 "flops": _reference_complexity(1)}


def suite(net, images, labels, scorers: list[Scorer]) -> None:
    """The scorers as a build scores them on one network and batch (builder/runner's
    ``ArchScorer``): the passes planned for all, a copy for each score that changes weights
    except the last (the network is not scored after it)."""
    passes = SharedPasses(net, images, labels, plan=plan_for(scorers))
    ordered = sorted(scorers, key=lambda scorer: scorer.changes_weights)
    for position, scorer in enumerate(ordered):
        fresh = scorer.changes_weights
        copied = fresh and position < len(ordered) - 1
        result = scorer.score(copy.deepcopy(net) if copied else net, images, labels,
                              passes=None if fresh else passes)
        if result.status == "error":
            raise RuntimeError(f"{scorer.name}: {result.error}")


def timed(function, *args) -> float:
    start = time.perf_counter()
    function(*args)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--archs", type=int, default=4)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    space = get_space("nb201")
    rng = np.random.default_rng(args.seed)
    archs = [int(a) for a in rng.choice(15625, args.archs, replace=False)]
    generator = torch.Generator().manual_seed(args.seed)
    images = torch.randn(args.batch_size, 3, 32, 32, generator=generator)
    labels = torch.randint(0, CLASSES, (args.batch_size,), generator=generator)
    names = suite_zero_names()
    scorers = [get_scorer(name) for name in names]
    load_before = os.getloadavg()
    alone = {name: [] for name in names}
    reference = {name: [] for name in names}
    suite_times, reference_totals = [], []

    def network(arch):
        torch.manual_seed(0)
        return space.build_model(arch, num_classes=CLASSES)

    def one_at_a_time(arch, ours_first):
        """(b), each proxy beside (c) the same proxy of ours alone."""
        net = network(arch)
        total = 0.0
        for name, scorer in zip(names, scorers):
            if ours_first:
                alone[name].append(scorer.score(network(arch), images, labels).time_s)
            spent = timed(ONE_AT_A_TIME[name], net, images, labels)
            reference[name].append(spent)
            total += spent
            if not ours_first:
                alone[name].append(scorer.score(network(arch), images, labels).time_s)
        reference_totals.append(total)

    def run_suite(arch):
        net = network(arch)
        suite_times.append(timed(suite, net, images, labels, scorers))

    warm = network(archs[0])  # first-call costs (allocator, kernels) go to neither side
    suite(copy.deepcopy(warm), images, labels, scorers)
    for name in names:
        ONE_AT_A_TIME[name](warm, images, labels)
    for position, arch in enumerate(archs):
        if position % 2 == 0:
            run_suite(arch)
            one_at_a_time(arch, ours_first=True)
        else:
            one_at_a_time(arch, ours_first=False)
            run_suite(arch)
    load = ", ".join(f"{a:.2f}/{b:.2f}" for a, b in zip(load_before, os.getloadavg()))
    print(f"NB201, {len(archs)} archs {archs}, batch {args.batch_size}, {args.threads} threads,"
          f" torch {torch.__version__}; load average (1, 5, 15 min) before/after: {load}")
    print(f"{'proxy':10} {'ours alone s/arch':>18} {'one-at-a-time s/arch':>21}")
    for name in names:
        print(f"{name:10} {np.mean(alone[name]):18.3f} {np.mean(reference[name]):21.3f}")
    suite_mean, reference_mean = np.mean(suite_times), np.mean(reference_totals)
    print(f"suite (shared passes)  {suite_mean:.2f} s/arch")
    print(f"one at a time          {reference_mean:.2f} s/arch")
    print(f"ratio suite / one-at-a-time: {suite_mean / reference_mean:.2f} "
          f"(per arch: {', '.join(f'{s / r:.2f}' for s, r in zip(suite_times, reference_totals))})")


if __name__ == "__main__":
    main()
