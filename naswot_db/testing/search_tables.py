"""Whole NB201 / NATS-sss spaces as tables, for searches that need every neighbour of an arch.

Written straight as Parquet parts (ingesting 15,625 NATS pickles would take minutes): per arch
the fitness column at 12 epochs for each training seed with its training and evaluation times,
and the reported targets as means over seeds.  Values are random but fixed by ``seed``; the
training time grows with the arch's convolutions, as the real one does.
"""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import numpy as np
import pyarrow as pa
from .query_tables import accuracy_part, arch_part, score_part, write

NB201_OPS = ("none", "skip_connect", "nor_conv_1x1", "nor_conv_3x3", "avg_pool_3x3")
NB201_TARGETS = (("cifar10-valid", "x-valid"), ("cifar10", "ori-test"), ("cifar100", "x-valid"),
                 ("cifar100", "x-test"), ("ImageNet16-120", "x-valid"),
                 ("ImageNet16-120", "x-test"))
FITNESS = ("cifar10-valid", "x-valid", 12)


def nb201_arch_strings() -> list[str]:
    """All 15,625 NB201 cells (in product order; the tables shuffle the ids)."""
    strings = []
    for ops in itertools.product(NB201_OPS, repeat=6):
        nodes = [ops[0:1], ops[1:3], ops[3:6]]
        strings.append("+".join("|" + "|".join(f"{op}~{j}" for j, op in enumerate(node)) + "|"
                                for node in nodes))
    return strings


def sss_arch_strings() -> list[str]:
    return [":".join(map(str, c)) for c in itertools.product(range(8, 65, 8), repeat=5)]


def _epoch_seconds(space: str, strings: list[str]) -> np.ndarray:
    if space == "nb201":
        return np.array([4.0 + 3.0 * s.count("conv_3x3") + 1.5 * s.count("conv_1x1")
                         for s in strings])
    return np.array([2.0 + sum(int(c) for c in s.split(":")) / 40.0 for s in strings])


def _quality(space: str, strings: list[str], rng: np.random.Generator) -> np.ndarray:
    """A per-arch merit summed over its edges' ops (or layers' widths), so that neighbours are
    alike and evolution has something to climb; unit variance."""
    if space == "nb201":
        digits = np.array([[NB201_OPS.index(edge.split("~")[0]) for node in s.split("+")
                            for edge in filter(None, node.split("|"))] for s in strings])
    else:
        digits = np.array([[int(c) // 8 - 1 for c in s.split(":")] for s in strings])
    effect = rng.normal(0, 1, (digits.shape[1], int(digits.max()) + 1))
    merit = effect[np.arange(digits.shape[1]), digits].sum(axis=1) + rng.normal(0, 0.5, len(strings))
    return (merit - merit.mean()) / merit.std()


def write_space(root: Path, space: str, seed: int = 0, seeds=(777, 888),
                score_replicates: int = 2) -> dict:
    """Write the whole of ``space`` (nb201 or nats-sss); returns what was written, by arch id."""
    rng = np.random.default_rng(seed)
    strings = nb201_arch_strings() if space == "nb201" else sss_arch_strings()
    count = len(strings)
    arch_ids = rng.permutation(count).astype(np.int64)  # ids unrelated to the cell's digits
    order = np.argsort(arch_ids)
    arch_ids, strings = arch_ids[order], [strings[i] for i in order]
    write(root, "archs", arch_part(space, arch_ids, strings), space)
    quality = _quality(space, strings, rng)
    epoch_s = _epoch_seconds(space, strings)
    written: dict = {"arch_ids": arch_ids, "arch_strs": strings, "fitness": {}, "cost": {},
                     "targets": {}, "scores": {}}
    # some archs trained with one seed only, as in the benchmark files
    one_seed = rng.random(count) < 0.3
    for index, training_seed in enumerate(seeds):
        keep = ~one_seed if index else np.ones(count, bool)
        # rounding ties; clipped: an accuracy is a percentage (schema/valid_values.py)
        accuracy = np.clip(np.round(80 + 5 * quality + rng.normal(0, 1, count), 2), 0, 100)
        train = 12 * epoch_s * rng.uniform(0.95, 1.05, count)
        evaluation = rng.uniform(0.5, 1.5, count)
        write(root, "accuracies", accuracy_part(
            space, arch_ids[keep], accuracy[keep], dataset=FITNESS[0], split=FITNESS[1],
            epochs=FITNESS[2], seed=training_seed, train_times=train[keep],
            eval_times=evaluation[keep]), space)
        for i in np.flatnonzero(keep):
            written["fitness"].setdefault(int(arch_ids[i]), []).append(float(accuracy[i]))
            written["cost"].setdefault(int(arch_ids[i]), []).append(
                float(train[i]) + float(evaluation[i]))
    targets = NB201_TARGETS if space == "nb201" else (("cifar10", "ori-test"),
                                                      ("cifar100", "x-test"))
    epochs = 200 if space == "nb201" else 90
    for dataset, split in targets:
        accuracy = np.clip(60 + 10 * quality + rng.normal(0, 2, count), 0, 100)
        write(root, "accuracies", accuracy_part(space, arch_ids, accuracy, dataset=dataset,
                                                split=split, epochs=epochs), space)
        written["targets"][(dataset, split)] = dict(zip(arch_ids.tolist(), accuracy.tolist()))
    for replicate in range(score_replicates):
        values = np.round(1500 + 50 * quality + rng.normal(0, 30, count))
        values[rng.random(count) < 0.01] = -np.inf
        times = rng.uniform(0.2, 0.4, count)
        write(root, "scores", score_part(space, arch_ids, values, init_seed=replicate,
                                         batch_size=128, times=times), space)
        written["scores"][(replicate, 0)] = (dict(zip(arch_ids.tolist(), values.tolist())),
                                             dict(zip(arch_ids.tolist(), times.tolist())))
    return written


def nb101_cells(max_vertices: int) -> dict[str, tuple[list[list[int]], list[str]]]:
    """Every NB101 cell with at most ``max_vertices`` vertices after pruning, by module hash
    (the first (adjacency, ops) found of each hash, pruned, as the benchmark stores it)."""
    from naswot_db.builder.spaces.nb101.graph import CANONICAL_OPS, module_hash, pruned_spec

    cells: dict[str, tuple[list[list[int]], list[str]]] = {}
    for size in range(2, max_vertices + 1):
        spots = [(i, j) for i in range(size) for j in range(i + 1, size)]
        for edges in itertools.product((0, 1), repeat=len(spots)):
            matrix = np.zeros((size, size), dtype=np.int64)
            for (i, j), edge in zip(spots, edges):
                matrix[i, j] = edge
            if len(np.flatnonzero(matrix.sum(axis=0)[1:])) < size - 1 or matrix[:, -1].sum() == 0:
                continue  # a vertex without input is pruned: its cell appears at a smaller size
            for ops in itertools.product(CANONICAL_OPS, repeat=size - 2):
                try:
                    spec = pruned_spec(matrix, ["input", *ops, "output"])
                except Exception:
                    continue
                if spec.num_vertices == size and sum(map(sum, spec.adjacency)) <= 9:
                    cells.setdefault(module_hash(spec), spec.as_lists())
    return cells


def write_nb101(root: Path, max_vertices: int = 5, seed: int = 0) -> dict:
    """Every NB101 cell up to ``max_vertices`` vertices as the nb101 tables: three repeats of
    108-epoch validation accuracy with training times, and mean test accuracy."""
    from naswot_db.builder.spaces.nb101.graph import encoding_json, spec_from_encoding

    rng = np.random.default_rng(seed)
    cells = nb101_cells(max_vertices)
    hashes = sorted(cells)
    count = len(hashes)
    arch_ids = np.arange(count, dtype=np.int64)
    encodings = [json.dumps({"module_hash": h, "adjacency": cells[h][0], "ops": cells[h][1]},
                            separators=(",", ":")) for h in hashes]
    assert encodings[0] == encoding_json(hashes[0], spec_from_encoding(encodings[0]))
    archs = arch_part("nb101", arch_ids, hashes).set_column(
        3, "encoding", pa.array(encodings, pa.string()))
    write(root, "archs", archs, "nb101")
    merit = np.array([sum(op == "conv3x3-bn-relu" for op in cells[h][1]) for h in hashes])
    quality = merit + rng.normal(0, 0.5, count)
    written: dict = {"arch_ids": arch_ids, "arch_strs": hashes, "fitness": {}, "cost": {},
                     "targets": {}, "cells": {i: cells[h] for i, h in enumerate(hashes)}}
    for repeat in range(3):
        accuracy = np.clip(85 + quality + rng.normal(0, 0.3, count), 0, 100)
        train = rng.uniform(500, 2_500, count)
        write(root, "accuracies", accuracy_part("nb101", arch_ids, accuracy, dataset="cifar10",
                                                split="valid", epochs=108, seed=repeat,
                                                train_times=train), "nb101")
        for i in range(count):
            written["fitness"].setdefault(i, []).append(float(accuracy[i]))
            written["cost"].setdefault(i, []).append(float(train[i]))
    for split in ("valid", "test"):
        accuracy = 84 + quality + rng.normal(0, 0.3, count)
        write(root, "accuracies", accuracy_part("nb101", arch_ids, accuracy, dataset="cifar10",
                                                split=split, epochs=108), "nb101")
        written["targets"][("cifar10", split)] = dict(zip(arch_ids.tolist(), accuracy.tolist()))
    return written
