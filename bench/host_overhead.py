"""Host time per arch, before and after: network construction and scoring at a trivial batch.

At batch 8 on 8x8 inputs most of the time is Python and dispatch work on the host (what keeps
one process from feeding a GPU), but not all of it: on a CPU the network's own convolutions
still take a few ms per pass.  So a third column, the floor, times what no scorer can avoid
(one build per arch and one plain no-grad forward per scoring), and the overhead is the time
above it.  Per space (NB201, NATS-sss, NB101, NDS DARTS) the same seeded archs are built and
scored on the same batches, one CPU thread, for each init seed x batch seed:

* before: the build loop and scorer as they were when issue #14 was filed (commit 8c76d52),
  restated here: ``torch.manual_seed(init_seed); space.build_model(arch).to(device)`` for every
  init seed, and per batch ``model.train()``, hooks registered on every module whose type
  string contains ``ReLU`` (checked per module), a pass recording the autograd graph, a walk
  of the graph for liveness and a float64 kernel per distinct input;
* after: the build's own path: :class:`SeededNetwork` builds each arch once and re-draws its
  weights per init seed, and one scorer per build scores a model it has seen with a plain
  no-grad pass (its :class:`CallPlan`: codes into one buffer, a product per segment).

Every pair of scores is compared: they must be identical.

    python bench/host_overhead.py [--archs 20] [--init-seeds 5] [--batch-seeds 3] [--repeats 3]
"""

from __future__ import annotations

import argparse
import random
import time
import weakref
from collections.abc import Callable

import torch
from torch import nn

from naswot_db.builder import get_space
from naswot_db.builder.runner.allocator import keep_freed_memory
from naswot_db.builder.runner.reinit import SeededNetwork
from naswot_db.builder.scoring import NaswotScorer
from naswot_db.builder.scoring.naswot_engine import log_abs_det
from naswot_db.builder.scoring.reference import first_tensor, float32_precision, network_output
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


class FiledScorer:
    """NASWOT as commit 8c76d52 computed it (the "before" column): same K, older host path."""

    def kernel(self, model: nn.Module, x: torch.Tensor) -> torch.Tensor:
        kernels: list[torch.Tensor] = []
        calls: list[tuple[nn.Module, object, int]] = []
        by_input: dict[int, tuple[weakref.ref, int, int]] = {}

        def hook(module: nn.Module, inputs: tuple, output: object) -> None:
            activations = inputs[0] if isinstance(inputs, tuple) else inputs
            cached = by_input.get(id(activations))
            if cached and cached[0]() is activations and cached[1] == activations._version:
                index = cached[2]
            else:
                index = len(kernels)
                kernels.append(self.code_kernel(activations))
                by_input[id(activations)] = (weakref.ref(activations), activations._version,
                                             index)
            tensor = first_tensor(output)
            calls.append((module, None if tensor is None else tensor.grad_fn, index))

        handles = [module.register_forward_hook(hook) for module in model.modules()
                   if self.hooked(module)]
        try:
            with torch.enable_grad(), torch.autograd.graph.saved_tensors_hooks(
                    lambda tensor: None, lambda packed: None):
                y = network_output(model, x.detach().clone().requires_grad_(True))
        finally:
            for handle in handles:
                handle.remove()
        reachable, stack = set(), [y.grad_fn]
        while stack:
            node = stack.pop()
            if node is not None and node not in reachable:
                reachable.add(node)
                stack.extend(child for child, _ in node.next_functions)
        live = {module for module, node, _ in calls if node in reachable}
        uses = [0] * len(kernels)
        for module, _, index in calls:
            uses[index] += module in live
        total = torch.zeros(x.shape[0], x.shape[0], dtype=torch.float64, device=x.device)
        for kernel, count in zip(kernels, uses):
            if count:
                total.add_(kernel, alpha=count)
        return total

    @staticmethod
    def hooked(module: nn.Module) -> bool:
        declared = getattr(type(module), "counts_as_reference_relu", None)
        return bool(declared) if declared is not None else "ReLU" in str(type(module))

    @staticmethod
    def code_kernel(activations: torch.Tensor) -> torch.Tensor:
        flat = activations.detach().reshape(activations.shape[0], -1)
        codes = torch.empty(flat.shape, dtype=torch.float32, device=flat.device)
        torch.gt(flat, 0, out=codes)
        agree_on = (codes @ codes.T).to(torch.float64)
        ones = agree_on.diagonal()
        return flat.shape[1] - ones[:, None] - ones[None, :] + 2.0 * agree_on

    def score(self, model: nn.Module, x: torch.Tensor) -> float:
        model.train()
        with float32_precision(False):
            return log_abs_det(self.kernel(model, x))


def before(build: Callable[[], nn.Module], init_seeds, batches) -> tuple[float, float, list]:
    construct = score = 0.0
    values = []
    for init_seed in init_seeds:
        start = time.perf_counter()
        torch.manual_seed(init_seed)
        model = build().to(CPU)  # the filed build loop moved every network, even to the CPU
        construct += time.perf_counter() - start
        for x in batches:
            start = time.perf_counter()
            values.append(FiledScorer().score(model, x))
            score += time.perf_counter() - start
    return construct, score, values


def after(build: Callable[[], nn.Module], init_seeds, batches,
          scorer: NaswotScorer) -> tuple[float, float, list]:
    construct = score = 0.0
    values = []
    network = SeededNetwork(build, CPU, seeds=len(init_seeds))
    scorer.expect(len(init_seeds) * len(batches))  # as the build tells it per arch
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


def floor(build: Callable[[], nn.Module], init_seeds, batches) -> tuple[float, float, list]:
    """What no scorer can avoid: one build and a plain no-grad forward per scoring."""
    start = time.perf_counter()
    torch.manual_seed(init_seeds[0])
    model = build().train()
    construct = time.perf_counter() - start
    start = time.perf_counter()
    with torch.no_grad():
        for _ in init_seeds:
            for x in batches:
                network_output(model, x)
    return construct, time.perf_counter() - start, []


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
          "construction + scoring.  floor: one build and one plain forward per scoring; "
          "overhead: time above the floor")
    print(f"{'space':10s} {'archs':>5s} | {'before':>22s} | {'after':>22s} | speed-up | "
          f"{'floor':>6s} | overhead before -> after | equal")
    for label, (space_name, archs) in space_archs(args.archs).items():
        space = get_space(space_name)
        scorer = NaswotScorer()  # one per build, as ArchScorer has
        totals = {"before": [0.0, 0.0], "after": [0.0, 0.0], "floor": [0.0, 0.0]}
        values: dict[str, list] = {}
        equal = True
        for arch in archs:
            build = (lambda arch=arch: space.build_model(arch))
            build()  # warm-up: first-use costs (imports, allocator) are no one's
            for key, run in (("before", lambda: before(build, init_seeds, batches)),
                             ("after", lambda: after(build, init_seeds, batches, scorer)),
                             ("floor", lambda: floor(build, init_seeds, batches))):
                results = [run() for _ in range(args.repeats)]  # the quietest of the repeats
                equal &= all(result[2] == results[0][2] for result in results)
                totals[key][0] += min(result[0] for result in results)
                totals[key][1] += min(result[1] for result in results)
                values[key] = results[0][2]
            equal &= values["before"] == values["after"]
        (bc, bs), (ac, as_), (fc, fs) = (
            [1000 * t / len(archs) for t in totals[key]] for key in ("before", "after", "floor"))
        before_total, after_total, floor_total = bc + bs, ac + as_, fc + fs
        print(f"{label:10s} {len(archs):5d} | {bc:7.1f} + {bs:7.1f} = {before_total:6.1f} | "
              f"{ac:7.1f} + {as_:7.1f} = {after_total:6.1f} | {before_total / after_total:7.2f}x | "
              f"{floor_total:6.1f} | {before_total - floor_total:6.1f} -> "
              f"{after_total - floor_total:5.1f} = {(before_total - floor_total) / max(after_total - floor_total, 1e-9):5.2f}x less | "
              f"{'yes' if equal else 'NO'}")

if __name__ == "__main__":
    main()
