"""NB201 build throughput on one GPU: local engine with W workers, Ray actors sharing the GPU.

Run on the GPU machine, from the repository root, in one command (about 2-4 minutes; nothing
to install: it needs only torch, numpy, scipy, pyarrow, click and tqdm, and imports this
checkout when naswot-db is not installed):

    python bench/gpu_throughput.py --device cuda

For each setting it builds the same seeded sample of NB201 archs (``--archs``, default 200) at
batch 128 on CIFAR-10-shaped images (random pixels in the official file format, or the real
files with ``--data-root``) into a fresh root, as ``naswot-db build`` does, and prints archs/s
with process start-up and at the steady rate (the rows' own build + score times summed per
worker), and the peak device memory in use during the build (all processes, above the idle
baseline; on the CPU the peak RSS of the largest process).  Settings: the local engine with
W = 1, 2, 4, 8 worker processes on one GPU, and where Ray imports, 4 Ray actors at 0.25 GPU
each.  Then the first ``--check-archs`` archs are scored on the CPU and the largest score
difference against the first setting's stored scores is printed; a last line sums it up.
With ``--device cpu`` the same runs on the CPU (that is how it is tested).
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import pickle
import random
import resource
import sys
import tempfile
import threading
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if importlib.util.find_spec("naswot_db") is None:  # a checkout that is not pip-installed
    sys.path.insert(0, str(REPO))
import naswot_db  # noqa: E402

if importlib.util.find_spec("naswot_db.builder") is None:  # the package-dir mapping, by hand
    naswot_db.__path__.append(str(REPO))

import numpy as np  # noqa: E402
import torch  # noqa: E402

from naswot_db.builder.runner import BuildConfig, run_build  # noqa: E402
from naswot_db.schema import read_table  # noqa: E402

NB201_ARCHS = 15625


def write_cifar10_shaped(folder: Path, images: int, seed: int = 0) -> Path:
    """``cifar-10-batches-py/data_batch_1`` with random pixels, in the official pickle format."""
    target = folder / "cifar-10-batches-py"
    target.mkdir(parents=True)
    pixels = np.random.default_rng(seed).integers(0, 256, (images, 3 * 32 * 32), np.uint8)
    with open(target / "data_batch_1", "wb") as handle:
        pickle.dump({b"data": pixels, b"labels": [0] * images}, handle)
    return folder


class PeakMemory:
    """Samples device memory in use while a build runs (its workers are other processes)."""

    def __init__(self, device: torch.device) -> None:
        self.device = device
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self.baseline = self._in_use() if device.type == "cuda" else 0

    def _in_use(self) -> int:
        free, total = torch.cuda.mem_get_info(self.device)
        return total - free

    def _sample(self) -> None:
        while not self._stop.wait(0.02):
            self.peak = max(self.peak, self._in_use() - self.baseline)

    def __enter__(self) -> "PeakMemory":
        if self.device.type == "cuda":
            self._thread.start()
        return self

    def __exit__(self, *_exc) -> None:
        self._stop.set()
        if self.device.type == "cuda":
            self._thread.join()
        else:  # ru_maxrss is in KiB on Linux: the largest process, this one or a worker
            self.peak = 1024 * max(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
                                   resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)

    def text(self) -> str:
        kind = "GPU memory" if self.device.type == "cuda" else "RSS"
        return f"peak {kind} {self.peak / 2**20:7.0f} MiB"


def build(root: Path, args, arch_ids: list[int], device: str, **engine) -> tuple[float, dict]:
    """One build into ``root``; (seconds, {arch_id: score}), and the summed row times."""
    config = BuildConfig(space="nb201", dataset="cifar10", root=root, data_root=args.data_root,
                         arch_ids=arch_ids, batch_size=args.batch_size, device=device,
                         progress=False, **engine)
    summary = run_build(config)
    scores = read_table(root, "scores")
    values = dict(zip(scores.column("arch_id").to_pylist(), scores.column("value").to_pylist()))
    busy_s = float(np.sum(scores.column("time_s").to_numpy()))
    return summary.elapsed_s, {"values": values, "busy_s": busy_s}


def ray_settings(device: torch.device, actors: int) -> dict | None:
    """The Ray setting (``actors`` sharing one GPU, or the CPUs), or None without Ray."""
    try:
        import ray
    except ImportError:
        return None

    if not ray.is_initialized():
        ray.init(num_gpus=1 if device.type == "cuda" else 0, include_dashboard=False,
                 log_to_driver=False)
    cpus = min(1.0, ray.cluster_resources().get("CPU", 1) / actors)
    return {"engine": "ray", "workers": actors, "cpus_per_worker": cpus,
            "gpus_per_worker": 1 / actors if device.type == "cuda" else 0.0}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="cuda", help="cuda, cuda:i or cpu")
    parser.add_argument("--archs", type=int, default=200, help="NB201 archs per setting")
    parser.add_argument("--workers", default="1,2,4,8", help="local engine worker counts")
    parser.add_argument("--ray-actors", type=int, default=4, help="0: no Ray setting")
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--check-archs", type=int, default=32,
                        help="archs also scored on the CPU for the score difference")
    parser.add_argument("--data-root", type=Path, default=None,
                        help="real CIFAR-10 files; default: random CIFAR-10-shaped pixels")
    parser.add_argument("--seed", type=int, default=0, help="seed of the arch sample")
    args = parser.parse_args()
    device = torch.device(args.device)
    arch_ids = sorted(random.Random(args.seed).sample(range(NB201_ARCHS), args.archs))
    name = torch.cuda.get_device_name(device) if device.type == "cuda" else "cpu"
    print(f"device {device} ({name}), torch {torch.__version__}, {os.cpu_count()} CPUs, "
          f"{args.archs} NB201 archs per setting, batch {args.batch_size}, "
          f"{'CIFAR-10 files' if args.data_root else 'random CIFAR-10-shaped images'}")

    settings = [(f"local W={w}", {"workers": int(w)}) for w in args.workers.split(",")]
    ray_setting = ray_settings(device, args.ray_actors) if args.ray_actors else None
    if ray_setting:
        settings.append((f"ray {args.ray_actors} actors x "
                         f"{ray_setting['gpus_per_worker']:g} GPU", ray_setting))
    with tempfile.TemporaryDirectory() as scratch:
        scratch = Path(scratch)
        if args.data_root is None:
            args.data_root = write_cifar10_shaped(scratch / "cifar", max(1024, args.batch_size))
        results = []
        for index, (label, engine) in enumerate(settings):
            with PeakMemory(device) as memory:
                elapsed, built = build(scratch / f"root{index}", args, arch_ids, str(device),
                                       **engine)
            rate, steady = args.archs / elapsed, args.archs * engine["workers"] / built["busy_s"]
            results.append((label, rate, built["values"]))
            print(f"{label:24s}: {rate:8.2f} archs/s with start-up ({elapsed:6.1f} s), "
                  f"{steady:8.2f} steady, {memory.text()}", flush=True)
        if not ray_setting and args.ray_actors:
            print(f"{'ray':24s}: skipped, Ray does not import here")
        checked = arch_ids[:args.check_archs]
        _, on_cpu = build(scratch / "cpu", args, checked, "cpu",
                          workers=max(1, min(len(checked), os.cpu_count() or 1)))
    reference = results[0][2]
    diff = max(abs(reference[a] - on_cpu["values"][a]) for a in checked)
    print(f"{'max |score - CPU score|':24s}: {diff:.3e} over {len(checked)} archs "
          f"({results[0][0]} vs CPU)")
    best = max(results, key=lambda result: result[1])
    print(f"summary: best {best[0]} at {best[1]:.2f} archs/s; "
          + ", ".join(f"{label} {rate:.2f}" for label, rate, _ in results)
          + f" archs/s; max score diff vs CPU {diff:.3e}")


if __name__ == "__main__":
    main()
