"""Per-arch CPU cost of the newer proxies on NB201, against NASWOT in the same process.

For each arch of a seeded NB201 sample, each score runs on a fresh network (built right after
``torch.manual_seed(0)``, build time included as in a real build), interleaved arch by arch with
a NASWOT baseline, so a loaded machine slows every score alike.  Each score uses its reference's
batch: MeCo 1 image (of a 64 batch), SWAP 16 images, ZiCo, TE-NAS and AZ-NAS 64 images
(``--batch-size``).  ZiCo needs a ten-class classifier: it is timed on the same cell with a
ten-output head (NB201 as the space builds it has one output, a ZiCo error row).  Prints seconds
per arch, the ratio to NASWOT, and the projected time of a whole-NB201 build (15,625 archs, one
replicate) on ``--workers`` processes of this machine.

    python bench/newer_proxies.py [--archs 3] [--threads 1] [--batch-size 64] [--scores a,b]
"""

from __future__ import annotations

import argparse
import random
import time

import torch

from naswot_db.builder.scoring import get_scorer
from naswot_db.builder.spaces import get_space
from naswot_db.builder.spaces.nats_cells import parse_arch_str
from naswot_db.builder.spaces.nb201 import ARCH_COUNT, LAYER_CHANNELS, resolve_arch
from naswot_db.builder.spaces.tiny_network import DynamicShapeTinyNet

SCORES = ("meco", "zico", "swap", "swap_reg", "tenas_ntk", "tenas_lr", "az_expressivity",
          "az_progressivity", "az_trainability")
BASELINE = "naswot"


def network(score: str, arch: int) -> torch.nn.Module:
    torch.manual_seed(0)
    if score == "zico":
        return DynamicShapeTinyNet(LAYER_CHANNELS, parse_arch_str(resolve_arch(arch)[1]),
                                   num_classes=10)
    return get_space("nb201").build_model(arch)


def timed(score: str, arch: int, images: torch.Tensor, labels: torch.Tensor) -> float:
    start = time.perf_counter()
    result = get_scorer(score).score(network(score, arch), images, labels)
    elapsed = time.perf_counter() - start
    if result.status == "error":
        raise SystemExit(f"{score} on arch {arch}: {result.error}")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--archs", type=int, default=3)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--scores", default=",".join(SCORES))
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    scores = [name.strip() for name in args.scores.split(",")]
    archs = random.Random(0).sample(range(ARCH_COUNT), args.archs)
    generator = torch.Generator().manual_seed(0)
    images = torch.randn(args.batch_size, 3, 32, 32, generator=generator)
    labels = torch.randint(0, 10, (args.batch_size,), generator=generator)
    totals = dict.fromkeys([BASELINE, *scores], 0.0)
    for arch in archs:
        for score in scores:  # interleaved: the baseline runs beside every score
            totals[BASELINE] += timed(BASELINE, arch, images, labels) / len(scores)
            totals[score] += timed(score, arch, images, labels)
    per_arch = {name: total / len(archs) for name, total in totals.items()}
    print(f"NB201, {len(archs)} archs {archs}, batch {args.batch_size}, {args.threads} thread(s), "
          f"torch {torch.__version__}")
    print(f"{'score':18} {'s/arch':>8} {'x naswot':>9} {'whole NB201, ' + str(args.workers) + ' workers':>24}")
    for name, seconds in per_arch.items():
        hours = seconds * ARCH_COUNT / args.workers / 3600
        print(f"{name:18} {seconds:8.2f} {seconds / per_arch[BASELINE]:9.1f} {hours:21.1f} h")


if __name__ == "__main__":
    main()
