"""REA, AREA and the budgeted random search against plain per-run implementations.

The reference below re-implements every method one run at a time, the way the NAS-Bench-201
reference code reads (a deque population, Python's ``max``), on dictionaries of what the tests
wrote, drawing from the documented stream ``numpy.random.default_rng([seed, run]).random()``.
Every run's chosen arch, search time and number of trainings must match exactly.
"""

from __future__ import annotations

import math
from collections import deque

import nats_bench
import numpy as np
import pytest
from click.testing import CliRunner

import nats_files as nf
from naswot_db.builder.spaces.nb201 import benchmark_arch_strs
from naswot_db.cli import main
from naswot_db.query import QueryError
from naswot_db.query.searches import BudgetOptions, simulate_budget_search
from search_tables import NB201_OPS, NB201_TARGETS, write_space

SSS_CHANNELS = list(range(8, 65, 8))


@pytest.fixture(scope="module")
def spaces(tmp_path_factory):
    root = tmp_path_factory.mktemp("budget") / "db"
    return root, {space: write_space(root, space, seed=i) for i, space in
                  enumerate(("nb201", "nats-sss"))}


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
                 sample_size: int = 3, init_sample: int = 20) -> None:
        self.space, self.written = space, written
        self.ids = sorted(written["fitness"])
        self.id_of = dict(zip(written["arch_strs"], written["arch_ids"].tolist()))
        self.str_of = {v: k for k, v in self.id_of.items()}
        self.budget, self.population = budget, population
        self.sample_size, self.init_sample = sample_size, init_sample

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
        else:
            channels = text.split(":")
            layer = stream.pick(5)
            channels[layer] = str(SSS_CHANNELS[stream.pick(8)])
            child = ":".join(channels)
        return self.id_of[child]

    def evolve(self, stream, population, history, clock):
        while clock < self.budget:
            sample = [population[stream.pick(len(population))] for _ in range(self.sample_size)]
            parent = max(sample, key=lambda member: member[1])
            child = self.mutate(parent[0], stream)
            fitness, cost = self.train(child, stream)
            if clock + cost > self.budget:
                break
            clock += cost
            population.append((child, fitness))
            history.append((child, fitness))
            population.popleft()
        return history, clock

    def rea(self, seed: int, run: int):
        stream, population, history, clock = Stream(seed, run), deque(), [], 0.0
        for _ in range(self.population):
            arch = self.random_arch(stream)
            fitness, cost = self.train(arch, stream)
            clock += cost
            population.append((arch, fitness))
            history.append((arch, fitness))
        return self.answer(*self.evolve(stream, population, history, clock))

    def score(self, arch: int, u: float, replicate) -> tuple[float, float]:
        stored = [(self.written["scores"][pair][0][arch], self.written["scores"][pair][1][arch])
                  for pair in sorted(self.written["scores"])]
        if replicate == "random":
            return stored[int(u * len(stored))]
        if replicate == "mean":
            return (sum(s for s, _ in stored) / len(stored), sum(t for _, t in stored) / len(stored))
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
            history.append((arch, fitness))
        return self.answer(*self.evolve(stream, population, history, clock))

    def random_search(self, seed: int, run: int):
        stream, history, clock = Stream(seed, run), [], 0.0
        while clock < self.budget:
            arch = self.random_arch(stream)
            fitness, cost = self.train(arch, stream)
            if clock + cost > self.budget:
                break
            clock += cost
            history.append((arch, fitness))
        return self.answer(history, clock)

    @staticmethod
    def answer(history, clock):
        best = max(history, key=lambda item: item[1])[0] if history else -1
        return best, clock, len(history)


def _check(result, reference: Reference, method, seed: int, **kwargs) -> None:
    expected = [getattr(reference, method)(seed, run, **kwargs)
                for run in range(result.settings.runs)]
    chosen, clock, trained = (np.array(column) for column in zip(*expected))
    np.testing.assert_array_equal(result.chosen, chosen)
    np.testing.assert_allclose(result.time_s, clock, rtol=1e-12)
    np.testing.assert_array_equal(result.evaluations, trained)
    row = result.row()
    answered = chosen[chosen >= 0]
    for (dataset, split), target in zip(reference.written["targets"], result.targets):
        assert (target.dataset, target.split) == (dataset, split)
        values = np.array([reference.written["targets"][(dataset, split)][a] for a in answered])
        assert row[f"{target.label} mean"] == pytest.approx(values.mean(), rel=1e-12)
        assert row[f"{target.label} std"] == pytest.approx(values.std(), rel=1e-9, abs=1e-12)
    assert row["time_mean_s"] == pytest.approx(clock.mean(), rel=1e-12)
    assert row["evaluations_mean"] == pytest.approx(trained.mean())


@pytest.mark.parametrize("space", ["nb201", "nats-sss"])
def test_rea_matches_the_per_run_reference(spaces, space):
    root, written = spaces
    result = simulate_budget_search(root, method="rea", space=space, runs=40,
                                    options=BudgetOptions(seed=3))
    reference = Reference(space, written[space], 12_000.0)
    _check(result, reference, "rea", 3)
    assert result.evaluations.min() > 10  # the cycles ran, not just the initial population


@pytest.mark.parametrize("space", ["nb201", "nats-sss"])
def test_random_search_matches_the_per_run_reference(spaces, space):
    root, written = spaces
    result = simulate_budget_search(root, method="random", space=space, runs=40,
                                    options=BudgetOptions(seed=1, budget_s=5_000))
    _check(result, Reference(space, written[space], 5_000.0), "random_search", 1)


@pytest.mark.parametrize("replicate", ["random", "mean", (1, 0)])
def test_area_matches_the_per_run_reference(spaces, replicate):
    root, written = spaces
    options = BudgetOptions(seed=7, population=6, sample_size=4, init_sample=15)
    result = simulate_budget_search(root, method="area", space="nb201", runs=30,
                                    options=options, replicate=replicate)
    reference = Reference("nb201", written["nb201"], 12_000.0, 6, 4, 15)
    _check(result, reference, "area", 7, replicate=replicate)


def test_area_on_the_size_space(spaces):
    root, written = spaces
    result = simulate_budget_search(root, method="area", space="nats-sss", runs=20,
                                    options=BudgetOptions(seed=2, budget_s=20_000))
    assert result.settings.runs == 20
    _check(result, Reference("nats-sss", written["nats-sss"], 20_000.0), "area", 2)


def test_budget_smaller_than_one_training(spaces):
    root, written = spaces
    options = BudgetOptions(budget_s=1.0)
    rea = simulate_budget_search(root, method="rea", space="nb201", runs=10, options=options)
    # the initial population is always trained, as in the reference; no child fits
    assert (rea.evaluations == 10).all() and (rea.time_s > 1.0).all()
    _check(rea, Reference("nb201", written["nb201"], 1.0), "rea", 0)
    random = simulate_budget_search(root, method="random", space="nb201", runs=10,
                                    options=options)
    row = random.row()
    assert (random.chosen == -1).all() and row["runs"] == 0 and row["runs_without_answer"] == 10
    assert math.isnan(row["C10 test mean"]) and (random.time_s == 0).all()


def test_default_runs_are_the_papers(spaces):
    root, _ = spaces
    options = BudgetOptions(budget_s=0)
    assert simulate_budget_search(root, method="rea", options=options).settings.runs == 500
    assert simulate_budget_search(root, method="area", options=options).settings.runs == 50


def test_bad_settings_are_one_clear_error(spaces):
    root, _ = spaces
    with pytest.raises(QueryError, match="P must not exceed M"):
        simulate_budget_search(root, method="area", options=BudgetOptions(population=30))
    with pytest.raises(QueryError, match="sample size must be at least 1"):
        simulate_budget_search(root, method="rea", options=BudgetOptions(sample_size=0))
    with pytest.raises(QueryError, match="bad fitness"):
        simulate_budget_search(root, method="rea", fitness="cifar10-valid:x-valid")
    with pytest.raises(QueryError, match="no per-seed accuracies for the fitness cifar10:x-valid@12"):
        simulate_budget_search(root, method="rea", fitness="cifar10:x-valid@12")
