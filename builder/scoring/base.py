"""The interface every training-free score fills, and the outcome classification they share.

A score plug-in says what it needs (a data batch, labels), whether it changes the model's
weights (then the build gives each batch a fresh copy of the network), and which settings change
its values (they enter the build's ``config_id``).  :meth:`Scorer.score` turns a plug-in's raw
value into a :class:`ScoreResult` the same way for every score.
"""

from __future__ import annotations

import math
import time
from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Any, ClassVar

import torch
from torch import nn

from naswot_db.core.scores import ScoreInfo

STATUS_OK = "ok"
STATUS_SINGULAR = "singular"
STATUS_ERROR = "error"


@dataclass(frozen=True)
class ScoreResult:
    """One scoring of one network: the value and how it came about."""

    value: float
    status: str
    error: str | None
    time_s: float


class Scorer(ABC):
    """A training-free score of an untrained network.

    A built-in score sets ``info`` to its descriptor (:mod:`naswot_db.core.scores`), which fills the
    class attributes below; a third-party plug-in sets the attributes itself.
    """

    info: ClassVar[ScoreInfo | None] = None
    name: ClassVar[str]
    citation: ClassVar[str]
    needs_batch: ClassVar[bool] = True
    needs_labels: ClassVar[bool] = False
    changes_weights: ClassVar[bool] = False
    higher_is_better: ClassVar[bool] = True
    class_head: ClassVar[bool] = False  # scored on a network with one output per class
    # True: ``compute`` takes ``passes=`` (a :class:`~.passes.SharedPasses` or None); plug-ins
    # written before shared passes keep their signature and are called without it
    shares_passes: ClassVar[bool] = False
    # the passes of a SharedPasses ``compute`` reads (``passes.LOSS``, ...): their union over a
    # network's scorers is the plan that lets one forward serve several backward passes
    reads_passes: ClassVar[frozenset[str]] = frozenset()

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if cls.info is not None and "info" in cls.__dict__:
            for attribute in ("name", "citation", "needs_batch", "needs_labels",
                              "changes_weights", "higher_is_better", "class_head"):
                setattr(cls, attribute, getattr(cls.info, attribute))

    def expect(self, scorings: int) -> None:
        """The next network will be scored ``scorings`` times (its init seeds x batches), all
        by this scorer: a scorer may prepare for the repeats.  The build tells it per arch."""

    def settings(self) -> dict[str, Any]:
        """Settings that change the score's values (they enter the config id)."""
        return {}

    @abstractmethod
    def compute(self, model: nn.Module, images: torch.Tensor, labels: torch.Tensor | None,
                *, allow_tf32: bool) -> float:
        """The raw score; ``-inf`` means a singular kernel, any exception an error row."""

    def score(self, model: nn.Module, images: torch.Tensor, labels: torch.Tensor | None = None,
              *, allow_tf32: bool = False, passes: Any = None) -> ScoreResult:
        """Score ``model`` and classify the outcome: ok, singular (-inf) or error (NaN + text).

        ``passes``: the :class:`~.passes.SharedPasses` of ``model`` on this batch, shared with
        the other scores of one build; a scorer that cannot use it computes alone.
        """
        start = time.perf_counter()
        shared = {"passes": passes} if self.shares_passes else {}
        try:
            value = float(self.compute(model, images, labels, allow_tf32=allow_tf32, **shared))
        except (MemoryError, torch.cuda.OutOfMemoryError):
            raise  # the machine's limit, not the network's: never stored as the arch's result
        except Exception as exc:  # recorded per row, never silently dropped
            if images.is_cuda:
                torch.cuda.synchronize(images.device)
            return ScoreResult(math.nan, STATUS_ERROR, f"{type(exc).__name__}: {exc}",
                               time.perf_counter() - start)
        elapsed = time.perf_counter() - start
        if math.isnan(value) or value == math.inf:  # no kernel gives +inf: a broken score
            return ScoreResult(math.nan, STATUS_ERROR, f"{self.name} score is {value}", elapsed)
        return ScoreResult(value, STATUS_SINGULAR if value == -math.inf else STATUS_OK, None,
                           elapsed)
