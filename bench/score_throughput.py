"""NB201 scoring throughput: naswot-db's scorer vs a faithful re-implementation of the reference.

Both score the same seeded sample of NB201 archs on the same batch in this one process (same
threads, same allocator settings); each network is built right after ``torch.manual_seed(0)``
and the build time is included, as in a real build.  The reference loop runs the reference's
own cell arithmetic (a node is Python ``sum()`` of its edges, starting from 0; pooling on NCHW
tensors), naswot-db its bit-identical faster forms; the printed score difference checks it.
Prints archs/s for each, the ratio, the largest score difference and peak memory.  With
``--data-root``, also times the whole builder (``naswot-db build`` with ``--workers``, one
process per core by default) on the same archs and batch against the same reference-loop
figure: once with process start-up, and once at the steady rate of a long build (the rows' own
build + score times summed per worker).

    python bench/score_throughput.py [--archs 20] [--data-root DIR] [--device cpu] [--threads T]
    python bench/score_throughput.py --archs 200 --data-root DIR --builds-only --ray --workers 2

With ``--ray`` the same build also runs with ``--engine ray`` (as many actors as workers, on a
local Ray instance started before both builds, as a cluster would be) and the ratio of the two
rates is printed.

With ``--vs-convolutions`` it prints instead how close scoring is to what the CPU can do: per
arch of NB201, NATS-sss and NB101 (the seeded archs of bench/host_overhead.py), one scoring as
a build makes it (a recording pass, the network just built), over the time of the network's
own convolutions timed alone (each Conv2d call of one forward pass, the same input shape,
weights and settings, run by itself: the limit), and over a plain no-grad forward in train
mode.  The three are timed in turns, best of ``--repeats`` each; the median ratio over the
archs is printed with its min-max.

    python bench/score_throughput.py --vs-convolutions [--archs 6] [--threads 1]

With ``--proxies NAME,...`` (or ``all``: every described score but naswot) it prints the same
table for those scores instead: per space and score, the time of one scoring as a build makes it
(a fresh network with the score's head, the score's own passes, random labels where it has a
head; the three AZ-NAS components share one pass in a build, so each of their rows is that
pass) over the same network's convolutions alone and over its plain forward, both on the batch
the score gets (``--batch-size``, 64 as the Suite-Zero builds).  Each score first runs once on a batch of 2,
unmeasured (first-call costs); a score the space's network cannot run is named with its error.

    python bench/score_throughput.py --vs-convolutions --proxies all --archs 2 --repeats 1 \
        --batch-size 64 --threads 1 [--spaces nb201,nats-sss,nb101]
"""

from __future__ import annotations

import argparse
import contextlib
import os
import random
import resource
import statistics
import tempfile
import time
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn

from host_overhead import space_archs

from naswot_db.builder import get_scorer, get_space, naswot_score
from naswot_db.builder.datasets import get_dataset, load_batch
from naswot_db.builder.runner import BuildConfig, run_build
from naswot_db.builder.runner.allocator import keep_freed_memory
from naswot_db.builder.scoring import az_nas_components, reference
from naswot_db.builder.scoring.naswot_engine import call_plan
from naswot_db.builder.spaces.nats_cells import InferCell, Pooling
from naswot_db.core.scores import score_names
from naswot_db.query import connect
from naswot_db.testing.reference_naswot import reference_naswot

CLASSES = 10  # the class head a score that needs one gets (CIFAR-10)


@contextlib.contextmanager
def reference_cell_code():
    """Swap in the reference's InferCell and POOLING forward passes (AutoDL-Projects)."""
    def cell_forward(self, x):
        nodes = [x]
        for edges in self.node_inputs:
            nodes.append(sum(self.layers[layer](nodes[source]) for layer, source in edges))
        return nodes[-1]

    def pooling_forward(self, x):
        return self.op(self.preprocess(x) if self.preprocess is not None else x)

    saved = InferCell.forward, Pooling.forward
    InferCell.forward, Pooling.forward = cell_forward, pooling_forward
    try:
        yield
    finally:
        InferCell.forward, Pooling.forward = saved


def timed(space, arch_ids, x, device, scorer) -> tuple[float, list[float]]:
    scores = []
    start = time.perf_counter()
    for arch_id in arch_ids:
        torch.manual_seed(0)
        model = space.build_model(arch_id).to(device)
        scores.append(scorer(model, x))
    if device.type == "cuda":
        torch.cuda.synchronize()
    return time.perf_counter() - start, scores


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--archs", type=int, default=20)
    parser.add_argument("--seed", type=int, default=0, help="seed of the arch sample")
    parser.add_argument("--data-root", type=Path, default=None,
                        help="CIFAR-10 root; default: a seeded random batch")
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--threads", type=int, default=None, help="torch CPU threads")
    parser.add_argument("--workers", type=int, default=os.cpu_count(),
                        help="builder processes (and Ray actors) for the end-to-end figures")
    parser.add_argument("--ray", action="store_true",
                        help="also build with --engine ray (as many actors as --workers)")
    parser.add_argument("--builds-only", action="store_true",
                        help="skip the in-process scorer and reference loops")
    parser.add_argument("--vs-convolutions", action="store_true",
                        help="scoring time over the convolutions' own time and a plain forward")
    parser.add_argument("--repeats", type=int, default=3, help="--vs-convolutions: best of")
    parser.add_argument("--proxies", default=None,
                        help="--vs-convolutions: these scores (comma-separated, or all) "
                             "instead of NASWOT")
    parser.add_argument("--spaces", default="nb201,nats-sss,nb101",
                        help="--vs-convolutions --proxies: the spaces, comma-separated")
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    keep_freed_memory()  # what a build does; applies to both loops alike
    if args.vs_convolutions and args.proxies:
        proxy_ratios(args.archs, args.batch_size, args.repeats, _proxy_names(args.proxies),
                     args.spaces.split(","))
        return
    if args.vs_convolutions:
        convolution_ratios(args.archs, args.batch_size, args.repeats)
        return

    device = torch.device(args.device)
    arch_ids = random.Random(args.seed).sample(range(15625), args.archs)
    print(f"device {device}, torch {torch.__version__}, {torch.get_num_threads()} threads, "
          f"batch {args.batch_size}, {len(arch_ids)} NB201 archs")
    ref_s = None if args.builds_only else compare_loops(args, arch_ids, device)
    if args.data_root and args.device == "cpu":
        ref_rate = len(arch_ids) / ref_s if ref_s else None
        if args.ray:
            ray = start_ray()  # first, so that the local build runs as the Ray one: beside Ray
        local = builder_rates(args, arch_ids, "local")
        print_builder_rates(f"builder, {args.workers} workers", local, ref_rate)
        if args.ray:
            ray_rates = builder_rates(args, arch_ids, "ray")
            ray.shutdown()
            print_builder_rates(f"ray, {args.workers} actors", ray_rates, ref_rate)
            print(f"ray / local      : {ray_rates[0] / local[0]:8.1%} with start-up, "
                  f"{ray_rates[1] / local[1]:.1%} steady")


def compare_loops(args, arch_ids: list[int], device: torch.device) -> float:
    """Print naswot-db's scorer against the reference loop in this process; the latter's s."""
    space = get_space("nb201")
    if args.data_root:
        x = load_batch(get_dataset("cifar10"), args.data_root, 0, args.batch_size).images
    else:
        torch.manual_seed(1)
        x = torch.randn(args.batch_size, 3, 32, 32)
    x = x.to(device)
    timed(space, arch_ids[:2], x, device, naswot_score)  # warm-up (allocator, kernels)

    fast_s, fast = timed(space, arch_ids, x, device, naswot_score)
    with reference_cell_code():
        timed(space, arch_ids[:2], x, device, reference_naswot)  # warm-up
        ref_s, ref = timed(space, arch_ids, x, device, reference_naswot)
    max_diff = max(abs(a - b) for a, b in zip(fast, ref))
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"naswot-db scorer : {len(arch_ids) / fast_s:8.2f} archs/s ({fast_s:.1f} s)")
    print(f"reference loop   : {len(arch_ids) / ref_s:8.2f} archs/s ({ref_s:.1f} s)")
    print(f"speed-up         : {ref_s / fast_s:8.2f}x")
    print(f"max |score diff| : {max_diff:.2e}")
    print(f"peak RSS         : {peak_mb:.0f} MiB")
    return ref_s


def _convolution_calls(model: nn.Module, x: torch.Tensor) -> list[tuple[nn.Conv2d, tuple]]:
    """Every Conv2d call of one no-grad forward, with its input's shape."""
    calls: list[tuple[nn.Conv2d, tuple]] = []
    handles = [module.register_forward_hook(
        lambda module, inputs, _: calls.append((module, tuple(inputs[0].shape))))
        for module in model.modules() if isinstance(module, nn.Conv2d)]
    try:
        with torch.no_grad():
            model(x)
    finally:
        for handle in handles:
            handle.remove()
    return calls


def _convolutions_alone(calls: list[tuple[nn.Conv2d, tuple]]) -> float:
    """Seconds of the calls' convolutions, each run by itself on an input of its shape."""
    inputs = [torch.randn(shape) for _, shape in calls]
    with torch.no_grad():
        start = time.perf_counter()
        for (conv, _), inp in zip(calls, inputs):
            F.conv2d(inp, conv.weight, conv.bias, conv.stride, conv.padding, conv.dilation,
                     conv.groups)
        return time.perf_counter() - start


def _seconds(action) -> float:
    start = time.perf_counter()
    action()
    return time.perf_counter() - start


@contextlib.contextmanager
def float_products():
    """Gram products in float32 as before issue #25 (int8 codes off), for the same-run figure."""
    saved = reference.code_dtype

    def float_codes(units: int, device: torch.device) -> torch.dtype:
        return saved(units, torch.device("meta"))  # any non-CPU device type: float codes

    reference.code_dtype = call_plan.code_dtype = float_codes
    try:
        yield
    finally:
        reference.code_dtype = call_plan.code_dtype = saved


def _ratios(times: list[float], limits: list[float]) -> str:
    """Per-arch ``times / limits`` as ``median x (min-max)``."""
    ratios = [t / limit for t, limit in zip(times, limits)]
    return f"{statistics.median(ratios):.2f}x ({min(ratios):.2f}-{max(ratios):.2f})"


def convolution_ratios(archs: int, batch_size: int, repeats: int) -> None:
    """Per space: scoring / convolutions alone and scoring / plain forward, per arch, and
    scoring with float32 Gram products (as before) over scoring now, scores compared."""
    torch.manual_seed(1)
    x = torch.randn(batch_size, 3, 32, 32)
    print(f"{torch.get_num_threads()} threads, batch {batch_size}, best of {repeats} per arch; "
          "scoring = one recording pass as a build scores a network it just built; int8 "
          f"Gram products: {reference.code_dtype(4096, torch.device('cpu')) == torch.int8}")
    for label, (name, sample) in space_archs(archs).items():
        if name.startswith("nds"):
            continue
        space = get_space(name)
        conv_s, forward_s, score_s, float_s = [], [], [], []
        for arch in sample:
            torch.manual_seed(0)
            model = space.build_model(arch).train()
            calls = _convolution_calls(model, x)
            value = naswot_score(model, x)  # also the warm-up: allocator, kernels
            with float_products():
                assert naswot_score(model, x) == value or value != value, "scores differ"
            best = [float("inf")] * 4
            for _ in range(repeats):  # in turns, so a load spike hits all four alike
                best[0] = min(best[0], _convolutions_alone(calls))
                with torch.no_grad():
                    best[1] = min(best[1], _seconds(lambda: model(x)))
                best[2] = min(best[2], _seconds(lambda: naswot_score(model, x)))
                with float_products():
                    best[3] = min(best[3], _seconds(lambda: naswot_score(model, x)))
            conv_s.append(best[0])
            forward_s.append(best[1])
            score_s.append(best[2])
            float_s.append(best[3])
        print(f"{label:8s} {len(sample)} archs: scoring {statistics.median(score_s) * 1e3:6.1f} ms, "
              f"convolutions alone {statistics.median(conv_s) * 1e3:6.1f} ms, plain forward "
              f"{statistics.median(forward_s) * 1e3:6.1f} ms (medians); scoring / convolutions "
              f"{_ratios(score_s, conv_s)}, scoring / forward {_ratios(score_s, forward_s)}; "
              "with float32 products "
              f"{statistics.median(f / c for f, c in zip(float_s, conv_s)):.2f}x the "
              f"convolutions (same scores)", flush=True)


def _proxy_names(text: str) -> list[str]:
    return ([name for name in score_names() if name != "naswot"] if text == "all"
            else [name.strip() for name in text.split(",")])


def _proxy_seconds(scorer, space, arch, images: torch.Tensor, labels: torch.Tensor,
                   classes: int | None) -> tuple[float, str | None]:
    """One scoring as a build makes it, on a network just built: seconds, or the error."""
    torch.manual_seed(0)
    model = space.build_model(arch, num_classes=classes)
    az_nas_components.forget_last()  # a repeat is timed whole, not read from the shared pass
    result = scorer.score(model, images, labels if classes else None)  # labels: as the build
    return result.time_s, result.error if result.status == "error" else None


def proxy_ratios(archs: int, batch_size: int, repeats: int, names: list[str],
                 spaces: list[str]) -> None:
    """Per space and score: scoring / its network's convolutions alone and / a plain forward."""
    generator = torch.Generator().manual_seed(1)
    images = torch.randn(batch_size, 3, 32, 32, generator=generator)
    labels = torch.randint(0, CLASSES, (batch_size,), generator=generator)
    scorers = {name: get_scorer(name) for name in names}
    print(f"{torch.get_num_threads()} threads, batch {batch_size}, best of {repeats} per arch; "
          f"load average before: {os.getloadavg()[0]:.2f}", flush=True)
    for label, (name, sample) in space_archs(archs).items():
        if name not in spaces:
            continue
        space = get_space(name)
        conv_s, forward_s = [], []
        for arch in sample:
            torch.manual_seed(0)
            model = space.build_model(arch, num_classes=CLASSES).train()
            calls = _convolution_calls(model, images)
            with torch.no_grad():
                model(images)  # warm-up
            conv_s.append(min(_convolutions_alone(calls) for _ in range(repeats)))
            with torch.no_grad():
                forward_s.append(min(_seconds(lambda: model(images)) for _ in range(repeats)))
        for score, scorer in scorers.items():
            classes = CLASSES if scorer.class_head else None  # as the build decides
            _, error = _proxy_seconds(scorer, space, sample[0], images[:2], labels[:2], classes)
            if error is not None:
                print(f"{label:8s} {score:16s} not run: {error.splitlines()[0][:120]}", flush=True)
                continue
            seconds = [min(_proxy_seconds(scorer, space, arch, images, labels, classes)[0]
                           for _ in range(repeats)) for arch in sample]
            print(f"{label:8s} {score:16s} {len(sample)} archs: "
                  f"{statistics.median(seconds):8.3f} s; / convolutions "
                  f"{_ratios(seconds, conv_s)}, / forward {_ratios(seconds, forward_s)}",
                  flush=True)
        print(f"{label:8s} convolutions alone {statistics.median(conv_s) * 1e3:.1f} ms, plain "
              f"forward {statistics.median(forward_s) * 1e3:.1f} ms (medians, batch "
              f"{batch_size})", flush=True)


def start_ray():
    """A local Ray instance, up before the build starts, as a cluster would be."""
    import ray

    ray.init(include_dashboard=False, log_to_driver=False)
    return ray


def builder_rates(args, arch_ids: list[int], engine: str) -> tuple[float, float, float]:
    """(archs/s with start-up, archs/s steady, seconds) of ``naswot-db build`` on the archs."""
    with tempfile.TemporaryDirectory() as root:
        summary = run_build(BuildConfig(
            space="nb201", dataset="cifar10", root=Path(root), data_root=args.data_root,
            arch_ids=sorted(arch_ids), batch_size=args.batch_size, device="cpu",
            workers=args.workers, engine=engine, progress=False))
        # each row's time_s covers its arch's build and scoring, so summed per worker
        # they give the steady rate that a long build runs at, without process start-up
        busy_s = connect(root).execute("SELECT sum(time_s) FROM scores").fetchone()[0]
    return (summary.archs_selected / summary.elapsed_s,
            summary.archs_selected * args.workers / busy_s, summary.elapsed_s)


def print_builder_rates(label: str, rates: tuple[float, float, float],
                        ref_rate: float | None) -> None:
    with_start, steady, seconds = rates

    def versus(rate: float) -> str:
        return f" = {rate / ref_rate:.2f}x the reference loop" if ref_rate else ""

    print(f"{label}: {with_start:8.2f} archs/s incl. start-up ({seconds:.1f} s)"
          f"{versus(with_start)}")
    print(f"{label}, steady: {steady:8.2f} archs/s{versus(steady)}")


if __name__ == "__main__":
    main()
