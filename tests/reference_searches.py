"""Plain per-run implementations of random search, REA and AREA, for the tests.

Written the way the NAS-Bench-201 reference code reads (a deque population, Python's ``max``
over lists) on dictionaries of what a test wrote, one run at a time, drawing from the
documented stream ``numpy.random.default_rng([seed, run]).random()``.  ``written`` holds, by
arch id: ``fitness`` and ``cost`` lists (ascending training seed), ``arch_ids``/``arch_strs``,
``targets`` {(dataset, split): {arch: accuracy}} and ``scores`` {(init, batch): (values, times)}.
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass

import numpy as np

from naswot_db.builder.spaces import SpaceError
from naswot_db.builder.spaces.nb101.graph import CANONICAL_OPS, module_hash, pruned_spec
from naswot_db.testing.search_tables import NB201_OPS

SSS_CHANNELS = list(range(8, 65, 8))


@dataclass
class Run:
    """One run: its answer (-1: none), clock, archs trained and (arch, fitness, clock) history."""

    chosen: int
    clock: float
    trained: int
    history: list[tuple[int, float, float]]

    def incumbent_at(self, time_s: float) -> int:
        """The fittest arch trained by ``time_s`` (the first of equal ones), -1 before any."""
        done = [(arch, fitness) for arch, fitness, clock in self.history if clock <= time_s]
        return max(done, key=lambda item: item[1])[0] if done else -1


class Stream:
    """The documented per-run stream: choice of n = floor(u * n)."""

    def __init__(self, seed: int, run: int) -> None:
        self.rng = np.random.default_rng([seed, run])

    def uniform(self) -> float:
        return float(self.rng.random())

    def pick(self, n: int) -> int:
        return int(self.uniform() * n)


class Reference:
    """One space as dictionaries, and each method run by run."""

    def __init__(self, space: str, written: dict, budget: float, population: int = 10,
                 sample_size: int = 3, init_sample: int = 20, tournament_replace: bool = True,
                 keep_last: bool = False) -> None:
        self.space, self.written = space, written
        self.ids = sorted(written["fitness"])
        self.id_of = dict(zip(written["arch_strs"], written["arch_ids"].tolist()))
        self.str_of = {v: k for k, v in self.id_of.items()}
        self.budget, self.population = budget, population
        self.sample_size, self.init_sample = sample_size, init_sample
        self.tournament_replace, self.keep_last = tournament_replace, keep_last

    def random_arch(self, stream: Stream) -> int:
        return self.ids[stream.pick(len(self.ids))]

    def train(self, arch: int, stream: Stream) -> tuple[float, float]:
        seed = stream.pick(len(self.written["fitness"][arch]))
        return self.written["fitness"][arch][seed], self.written["cost"][arch][seed]

    def mutate(self, arch: int, stream: Stream) -> int:
        text = self.str_of[arch]
        if self.space == "nb201":
            nodes = [[edge.split("~")[0] for edge in node.strip("|").split("|")]
                     for node in text.split("+")]
            node = 1 + stream.pick(3)
            edge = stream.pick(node)
            others = [op for op in NB201_OPS if op != nodes[node - 1][edge]]
            nodes[node - 1][edge] = others[stream.pick(4)]
            child = "+".join("|" + "|".join(f"{op}~{j}" for j, op in enumerate(ops)) + "|"
                             for ops in nodes)
        elif self.space == "nb101":
            return self.mutate_nb101(arch, stream)
        else:
            channels = text.split(":")
            layer = stream.pick(5)
            channels[layer] = str(SSS_CHANNELS[stream.pick(8)])
            child = ":".join(channels)
        return self.id_of[child]

    def mutate_nb101(self, arch: int, stream: Stream) -> int:
        """NAS-Bench-101's mutate_spec on the stored cell padded to 7 vertices."""
        rng = np.random.default_rng(int(stream.uniform() * 2**53))
        adjacency, ops = self.written["cells"][arch]
        size = len(ops)
        where = list(range(size - 1)) + [6]
        padded = [[0] * 7 for _ in range(7)]
        for i in range(size):
            for j in range(size):
                padded[where[i]][where[j]] = adjacency[i][j]
        padded_ops = ops[:-1] + [CANONICAL_OPS[int(rng.random() * 3)]
                                 for _ in range(7 - size)] + ["output"]
        while True:
            matrix, new_ops = [row[:] for row in padded], list(padded_ops)
            for src in range(6):
                for dst in range(src + 1, 7):
                    if rng.random() < 1 / 7:
                        matrix[src][dst] = 1 - matrix[src][dst]
            for vertex in range(1, 6):
                if rng.random() < 1 / 5:
                    others = [op for op in CANONICAL_OPS if op != new_ops[vertex]]
                    new_ops[vertex] = others[int(rng.random() * 2)]
            try:
                spec = pruned_spec(matrix, new_ops)
            except SpaceError:
                continue
            if sum(map(sum, spec.adjacency)) <= 9 and module_hash(spec) in self.id_of:
                return self.id_of[module_hash(spec)]

    def evolve(self, stream, population, history, clock):
        while clock < self.budget:
            if self.tournament_replace:  # random.choice, as R_EA.py
                sample = [population[stream.pick(len(population))]
                          for _ in range(self.sample_size)]
            else:  # random.sample-like: pop a random one of those left, in population order
                left = list(population)
                sample = [left.pop(stream.pick(len(left))) for _ in range(self.sample_size)]
            parent = max(sample, key=lambda member: member[1])
            child = self.mutate(parent[0], stream)
            fitness, cost = self.train(child, stream)
            if clock + cost > self.budget and not self.keep_last:
                break
            clock += cost
            population.append((child, fitness))
            history.append((child, fitness, clock))
            population.popleft()
        return history, clock

    def rea(self, seed: int, run: int):
        stream, population, history, clock = Stream(seed, run), deque(), [], 0.0
        for _ in range(self.population):
            arch = self.random_arch(stream)
            fitness, cost = self.train(arch, stream)
            clock += cost
            population.append((arch, fitness))
            history.append((arch, fitness, clock))
        return self.answer(*self.evolve(stream, population, history, clock))

    def score(self, arch: int, u: float, replicate) -> tuple[float, float]:
        stored = [(self.written["scores"][pair][0][arch], self.written["scores"][pair][1][arch])
                  for pair in sorted(self.written["scores"])]
        if replicate == "random":
            return stored[int(u * len(stored))]
        if replicate == "mean":
            return (sum(s for s, _ in stored) / len(stored),
                    sum(t for _, t in stored) / len(stored))
        return stored[sorted(self.written["scores"]).index(replicate)]

    def area(self, seed: int, run: int, replicate="random"):
        stream, clock, drawn = Stream(seed, run), 0.0, []
        for order in range(self.init_sample):
            arch = self.random_arch(stream)
            score, seconds = self.score(arch, stream.uniform(), replicate)
            clock += seconds
            drawn.append((order, arch, score if math.isfinite(score) else -math.inf))
        best = sorted(drawn, key=lambda d: (-d[2], d[0]))[:self.population]
        population, history = deque(), []
        for _, arch, _ in sorted(best):
            fitness, cost = self.train(arch, stream)
            clock += cost
            population.append((arch, fitness))
            history.append((arch, fitness, clock))
        return self.answer(*self.evolve(stream, population, history, clock))

    def random_search(self, seed: int, run: int):
        stream, history, clock = Stream(seed, run), [], 0.0
        while clock < self.budget:
            arch = self.random_arch(stream)
            fitness, cost = self.train(arch, stream)
            if clock + cost > self.budget and not self.keep_last:
                break
            clock += cost
            history.append((arch, fitness, clock))
        return self.answer(history, clock)

    @staticmethod
    def answer(history, clock) -> Run:
        best = max(history, key=lambda item: item[1])[0] if history else -1
        return Run(best, clock, len(history), history)
