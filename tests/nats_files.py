"""Writes small NAS-Bench-201 / NATS-Bench result files in the benchmarks' real layouts.

Each per-arch record is an ``ArchResults`` state dict exactly as the official files store it
({arch_index, arch_str, all_results {(dataset, seed): ResultsCount state}, dataset_seed,
clear_net_done}); the final-epoch accuracies follow :func:`final_accuracy`, so a test knows
every value the reader must report.  Layouts:

* NATS fast mode: a directory with ``meta.pickle.pbz2`` and ``NNNNNN.pickle.pbz2`` files;
* NATS single file: one ``.pickle.pbz2`` {meta_archs, arch2infos {i: {hp: state}}, ...};
* NAS-Bench-201: one ``.pth`` saved with ``torch.save``, budgets named 'less' and 'full'.
"""

from __future__ import annotations

import bz2
import itertools
import pickle
from collections import OrderedDict
from pathlib import Path

import torch

# evaluation sets of each NATS / NB201 training dataset
EVAL_NAMES = {
    "cifar10-valid": ["x-valid", "ori-test"],
    "cifar10": ["ori-test"],
    "cifar100": ["ori-test", "x-valid", "x-test"],
    "ImageNet16-120": ["ori-test", "x-valid", "x-test"],
}
DATASETS = tuple(EVAL_NAMES)
SPLITS = ("train", "x-valid", "ori-test", "x-test")
EPOCH_SECONDS = {"cifar10-valid": 3.0, "cifar10": 6.0, "cifar100": 6.5, "ImageNet16-120": 12.0}
EVAL_SECONDS = 0.5


def sss_meta_archs() -> list[str]:
    """The 32,768 sss arch strings in benchmark order (itertools.product, last fastest)."""
    return [":".join(map(str, c)) for c in itertools.product(range(8, 65, 8), repeat=5)]


def final_accuracy(index: int, dataset: str, split: str, seed: int, epochs: int) -> float:
    """The last-epoch accuracy (percent) written for one run and split."""
    # below 100 %, as the writers require; increasing with the index below 1000
    return (20.0 + 0.025 * (index % 1000) + 5.0 * DATASETS.index(dataset)
            + 1.5 * SPLITS.index(split) + 0.01 * (seed % 1000) + 0.1 * epochs)


def _results_count(index: int, arch_str: str, dataset: str, seed: int, epochs: int) -> dict:
    """One ResultsCount state: accuracy rises linearly to ``final_accuracy`` at the last epoch."""
    def curve(split: str) -> dict:
        last = final_accuracy(index, dataset, split, seed, epochs)
        return {e: last * (e + 1) / epochs for e in range(epochs)}

    evals = EVAL_NAMES[dataset]
    return {
        "name": dataset,
        "arch_config": {"channel": 16, "num_cells": 5, "arch_str": arch_str, "class_num": 10},
        "params": 0.1 + 0.001 * index, "flop": 10.0 + index, "seed": f"{seed:04d}",
        "epochs": epochs, "latency": [0.01],
        "train_acc1es": curve("train"),
        "train_acc5es": {e: 99.0 for e in range(epochs)},
        "train_losses": {e: 1.0 / (e + 1) for e in range(epochs)},
        "train_times": {e: EPOCH_SECONDS[dataset] for e in range(epochs)},
        "eval_names": list(evals),
        "eval_acc1es": {f"{n}@{e}": acc for n in evals for e, acc in curve(n).items()},
        "eval_losses": {f"{n}@{e}": 1.0 / (e + 1) for n in evals for e in range(epochs)},
        "eval_times": {f"{n}@{e}": EVAL_SECONDS for n in evals for e in range(epochs)},
        "net_state_dict": None,
    }


def arch_results_state(index: int, arch_str: str, epochs: int, seeds: list[int]) -> dict:
    """An ArchResults state with every dataset trained with each of ``seeds``."""
    return {
        "arch_index": index, "arch_str": arch_str,
        "all_results": {(ds, s): _results_count(index, arch_str, ds, s, epochs)
                        for ds in DATASETS for s in seeds},
        "dataset_seed": {ds: sorted(seeds) for ds in DATASETS},
        "clear_net_done": False,
    }


def hp_states(index: int, arch_str: str, budgets: dict[str, tuple[int, list[int]]]) -> OrderedDict:
    """{hp key: ArchResults state} for budgets {hp key: (epochs, seeds)}."""
    return OrderedDict((hp, arch_results_state(index, arch_str, epochs, seeds))
                       for hp, (epochs, seeds) in budgets.items())


def dump_bz2_pickle(obj: object, path: Path) -> Path:
    with bz2.open(path, "wb") as handle:
        pickle.dump(obj, handle, protocol=4)
    return path


def write_fast_mode_dir(folder: Path, meta_archs: list[str], indices: list[int],
                        budgets: dict[str, tuple[int, list[int]]]) -> Path:
    """A NATS ``-simple`` directory holding the records of ``indices``."""
    folder.mkdir(parents=True)
    dump_bz2_pickle({"meta_archs": meta_archs, "total_archs": len(meta_archs),
                     "arch2infos": None, "evaluated_indexes": set()}, folder / "meta.pickle.pbz2")
    for index in indices:
        dump_bz2_pickle(hp_states(index, meta_archs[index], budgets),
                        folder / f"{index:06d}.pickle.pbz2")
    return folder


def nats_single_file_dict(meta_archs: list[str], indices: list[int],
                          budgets: dict[str, tuple[int, list[int]]]) -> dict:
    return {"meta_archs": meta_archs,
            "arch2infos": {i: hp_states(i, meta_archs[i], budgets) for i in indices},
            "evaluated_indexes": set(indices)}


def write_single_file(path: Path, meta_archs: list[str], indices: list[int],
                      budgets: dict[str, tuple[int, list[int]]]) -> Path:
    """A NATS whole-benchmark ``.pickle.pbz2`` (the fast_mode=False file)."""
    return dump_bz2_pickle(nats_single_file_dict(meta_archs, indices, budgets), path)


def write_nb201_pth(path: Path, meta_archs: list[str], indices: list[int],
                    less_seeds: list[int], full_seeds: list[int]) -> Path:
    """A NAS-Bench-201 ``.pth``: 'less' = 12 epochs, 'full' = 200 epochs."""
    arch2infos = {i: {"less": arch_results_state(i, meta_archs[i], 12, less_seeds),
                      "full": arch_results_state(i, meta_archs[i], 200, full_seeds)}
                  for i in indices}
    torch.save({"meta_archs": meta_archs, "arch2infos": arch2infos,
                "evaluated_indexes": list(indices)}, path)
    return path
