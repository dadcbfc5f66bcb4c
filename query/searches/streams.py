"""The documented random stream of every budgeted search: one generator per run.

Run ``r`` of a search with ``seed`` reads uniform doubles ``u`` from
``numpy.random.default_rng([seed, r]).random()``, one at a time, in the order its method
documents (see :mod:`.rea`, :mod:`.area`, :mod:`.random_budget`).  A choice among ``n`` options
takes option ``floor(u * n)``.  Because each run owns its generator, a plain per-run loop
reproduces every run exactly, whatever the vectorised code does with the others.

The vectorised methods read the same number of doubles per step in every run, so
:class:`RunStreams` hands out ``(runs, k)`` blocks; it draws ahead in chunks (one
``Generator.random(n)`` call per run yields the same doubles as ``n`` single calls).
"""

from __future__ import annotations

import numpy as np

# a choice among n options, shared with the spaces' mutations
from naswot_db.core.encodings.digits import choose

__all__ = ["RunStreams", "choose", "run_generator"]

_CHUNK = 512  # doubles drawn ahead per run at a time


def run_generator(seed: int, run: int) -> np.random.Generator:
    """The generator of one run (the definition the tests re-implement)."""
    return np.random.default_rng([seed, run])


class RunStreams:
    """Per-run streams read in lockstep: :meth:`take` returns the next ``k`` doubles of each."""

    def __init__(self, seed: int, runs: int) -> None:
        self._generators = [run_generator(seed, run) for run in range(runs)]
        self._buffer = np.empty((runs, 0))
        self._position = 0

    def take(self, count: int) -> np.ndarray:
        """The next ``count`` doubles of every run, shape (runs, count)."""
        end = self._position + count
        if end > self._buffer.shape[1]:
            more = max(_CHUNK, end - self._buffer.shape[1])
            fresh = np.stack([g.random(more) for g in self._generators]) if self._generators \
                else np.empty((0, more))
            self._buffer = np.concatenate([self._buffer[:, self._position:], fresh], axis=1)
            end -= self._position
            self._position = 0
        block = self._buffer[:, self._position:end]
        self._position = end
        return block
