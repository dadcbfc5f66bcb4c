"""Small files in the NDS layouts, for tests.

* NDS data files (``nds_data/<Name>.json`` of the NDS data.zip): a list of trained-network
  entries, or ``{"top": [...], "mid": [...]}`` for the reruns files.  Each entry carries the real
  fields (job_id, rng_seed, params, flops, net, optim, prec_time, iter_time, per-epoch curves of
  top-1 *error*, ...), with nets drawn from each family's real op set and block types.
* An imagenette2 ImageFolder (``train/<wnid>/*.JPEG``) of small random JPEGs.
"""

from __future__ import annotations

import json
import random
from pathlib import Path

import numpy as np
from PIL import Image

# Ops each NDS NAS-cell family draws from, its node count, and whether the cell concatenates
# every intermediate node (DARTS, PNAS) or only the loose ends (ENAS, NASNet, Amoeba).
NAS_FAMILIES: dict[str, tuple[tuple[str, ...], int, bool]] = {
    "DARTS": (("sep_conv_3x3", "sep_conv_5x5", "dil_conv_3x3", "dil_conv_5x5", "max_pool_3x3",
               "avg_pool_3x3", "skip_connect"), 4, True),
    "ENAS": (("sep_conv_3x3", "sep_conv_5x5", "avg_pool_3x3", "max_pool_3x3", "skip_connect"),
             5, False),
    "PNAS": (("sep_conv_3x3", "sep_conv_5x5", "sep_conv_7x7", "conv_7x1_1x7", "dil_conv_3x3",
              "max_pool_3x3", "avg_pool_3x3", "skip_connect"), 5, True),
    "NASNet": (("skip_connect", "conv_3x1_1x3", "conv_7x1_1x7", "dil_conv_3x3", "avg_pool_3x3",
                "max_pool_3x3", "max_pool_5x5", "max_pool_7x7", "conv_1x1", "conv_3x3",
                "sep_conv_3x3", "sep_conv_5x5", "sep_conv_7x7"), 5, False),
    "Amoeba": (("skip_connect", "avg_pool_3x3", "max_pool_3x3", "sep_conv_3x3", "sep_conv_5x5",
                "sep_conv_7x7", "conv_7x1_1x7", "dil_sep_conv_3x3"), 5, False),
}

# Every pycls NAS op once: 10 normal slots and 10 reduce slots; the 2x2 pools (which only fit
# a stride-2 edge) and the stride-2 "none" sit on the reduce cell's inputs.
ALL_OPS_GENOTYPE = {
    "normal": [["conv_1x1", 0], ["conv_3x3", 1], ["sep_conv_3x3", 0], ["sep_conv_5x5", 2],
               ["sep_conv_7x7", 1], ["dil_conv_3x3", 3], ["dil_conv_5x5", 2],
               ["dil_sep_conv_3x3", 4], ["conv_3x1_1x3", 0], ["conv_7x1_1x7", 5]],
    "normal_concat": [2, 3, 4, 5, 6],
    "reduce": [["avg_pool_2x2", 0], ["max_pool_2x2", 1], ["avg_pool_3x3", 0], ["none", 1],
               ["avg_pool_5x5", 2], ["max_pool_3x3", 3], ["max_pool_5x5", 4], ["skip_connect", 0],
               ["max_pool_7x7", 5], ["skip_connect", 1]],
    "reduce_concat": [2, 3, 4, 5, 6],
}


def random_genotype(family: str, rng: random.Random) -> dict:
    ops, nodes, concat_all = NAS_FAMILIES[family]
    genotype: dict = {}
    for kind in ("normal", "reduce"):
        pairs = [[rng.choice(ops), rng.randrange(node + 2)]
                 for node in range(nodes) for _ in range(2)]
        used = {source for _, source in pairs}
        concat = [s for s in range(2, nodes + 2) if concat_all or s not in used]
        genotype[kind], genotype[f"{kind}_concat"] = pairs, concat
    return genotype


def nas_net(genotype: dict, width: int, depth: int, aux: bool = False) -> dict:
    return {"genotype": genotype, "width": width, "depth": depth, "aux": aux, "drop_prob": 0.0}


def anynet_net(block_type: str, rng: random.Random, stages: int = 3,
               bottleneck: bool = False) -> dict:
    ds = [rng.randint(1, 2) for _ in range(stages)]
    ws = [16 * rng.randint(1, 4) for _ in range(stages)]
    ss = [1] + [2] * (stages - 1)
    bot_muls = [rng.choice([0.25, 0.5, 1.0]) for _ in range(stages)] if bottleneck else []
    num_gs = [rng.choice([1, 2, 4]) for _ in range(stages)] if bottleneck else []
    return {"block_type": block_type, "ds": ds, "ws": ws, "ss": ss, "bot_muls": bot_muls,
            "num_gs": num_gs}


def family_net(name: str, rng: random.Random) -> dict:
    """A random net of the family the NDS file ``name`` holds (small, so tests stay fast)."""
    base = name.split("_")[0]
    if base in NAS_FAMILIES:
        return nas_net(random_genotype(base, rng), width=rng.choice([8, 12, 16]),
                       depth=rng.randint(2, 5))
    stages = 4 if "_in" in name else 3
    if base.startswith("ResNeXt"):
        return anynet_net("res_bottleneck_block", rng, stages, bottleneck=True)
    if base.startswith("ResNet"):
        return anynet_net("res_basic_block", rng, stages)
    return anynet_net("double_plain_block", rng, stages)


def entry(net: dict, job_id: int, rng: random.Random, epochs: int = 3) -> dict:
    """One trained network as the NDS files store it (errors in percent)."""
    test_err = sorted((round(rng.uniform(5, 60), 2) for _ in range(epochs)), reverse=True)
    train_err = sorted((round(rng.uniform(1, 60), 2) for _ in range(epochs)), reverse=True)
    return {
        "job_id": job_id, "rng_seed": rng.randint(0, 9), "exp_mem": 1.5,
        "params": rng.randint(10**4, 10**6), "flops": rng.randint(10**6, 10**8), "net": net,
        "optim": {"lr_policy": "cos", "base_lr": rng.choice([0.05, 0.1]), "momentum": 0.9,
                  "nesterov": True, "wd": 5e-4, "max_ep": epochs},
        "act_mem": 0.5, "prec_time": {"train_fw_bw": 0.05, "test_fw": 0.01},
        "iter_time": 0.06, "min_test_top1": min(test_err),
        "train_ep_loss": [round(rng.uniform(0.1, 2), 3) for _ in range(epochs)],
        "train_ep_top1": train_err, "test_ep_top1": test_err,
        "train_it_loss": [1.0, 0.9], "train_it_top1": [50.0, 40.0],
    }


def family_entries(name: str, count: int, seed: int = 0) -> list[dict]:
    rng = random.Random(f"{name}:{seed}")
    return [entry(family_net(name, rng), job_id=1000 + i, rng=rng) for i in range(count)]


def write_nds_file(folder: Path, name: str, content: list | dict) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.json"
    path.write_text(json.dumps(content))
    return path


def write_imagenette(root: Path, per_class: int, classes: int = 3, seed: int = 0) -> Path:
    """``root/train/<wnid>/*.JPEG``: random RGB JPEGs of varied sizes (an imagenette2 folder)."""
    rng = np.random.default_rng(seed)
    for c in range(classes):
        folder = root / "train" / f"n0{c + 1}000000"
        folder.mkdir(parents=True, exist_ok=True)
        for i in range(per_class):
            height, width = (int(v) for v in rng.integers(60, 120, size=2))
            pixels = rng.integers(0, 256, size=(height, width, 3), dtype=np.uint8)
            Image.fromarray(pixels).save(folder / f"img_{i:03d}.JPEG", quality=90)
    return root
