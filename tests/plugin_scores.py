"""Third-party score plug-ins for the build tests, registered by a test and never on import.

Each exercises one thing a build hands a score: labels, a fresh copy for a score that changes
weights, a batch of ones for a score needing no data, and the state (random generator,
BatchNorm statistics, modes) other scores leave on a shared network.  ``LabelRank`` and
``PositiveOutputs`` give integers, so they cannot differ by rounding between processes with
other thread counts (the --workers and Ray tests use them).
"""

from __future__ import annotations

import torch

from naswot_db.core import scores as score_catalogue
from naswot_db.builder import scoring
from naswot_db.builder.scoring import Scorer, register_scorer


class LabelRank(Scorer):
    """Summed rank of the feature each image's label indexes among its features (integer)."""

    name = "label-rank"
    citation = "a test plug-in"
    needs_labels = True

    def compute(self, model, images, labels, *, allow_tf32):
        with torch.no_grad():
            features = model(images)[1]
        return float((features > features.gather(1, labels[:, None])).sum())



class OneStepLoss(Scorer):
    """Squared error against the labels after one SGD step: needs labels, changes weights."""

    name = "one-step-loss"
    citation = "a test plug-in"
    needs_labels = True
    changes_weights = True

    def compute(self, model, images, labels, *, allow_tf32):
        model.train()
        optimiser = torch.optim.SGD(model.parameters(), lr=0.05)
        for _ in range(2):
            optimiser.zero_grad()
            loss = (model(images)[0].squeeze(1) - labels.float()).pow(2).mean()
            loss.backward()
            optimiser.step()
        return loss.item()


class OutputNorm(Scorer):
    """The output's norm on whatever batch it gets: needs no data."""

    name = "output-norm"
    citation = "a test plug-in"
    needs_batch = False

    def compute(self, model, images, labels, *, allow_tf32):
        with torch.no_grad():
            return float(model.train()(images)[0].norm())


class PositiveOutputs(Scorer):
    """How many logits of the eval-mode network are positive on the batch of ones (integer)."""

    name = "positive-outputs"
    citation = "a test plug-in"
    needs_batch = False

    def compute(self, model, images, labels, *, allow_tf32):
        with torch.no_grad():
            return float((model.eval()(images)[1] > 0).sum())


class EvalNoise(Scorer):
    """The eval-mode output on the batch plus Gaussian noise: reads the random generator and
    BatchNorm's running statistics, both of which other scores' passes change."""

    name = "eval-noise"
    citation = "a test plug-in"

    def compute(self, model, images, labels, *, allow_tf32):
        with torch.no_grad():
            return float(model.eval()(images + torch.randn_like(images))[1].double().sum())


def register_for_test(monkeypatch, *scorers: type[Scorer]) -> None:
    """Register ``scorers`` in this process for one test; the registry is restored after it."""
    score_catalogue.score_names()  # the built-in descriptors, loaded before the copy
    monkeypatch.setattr(score_catalogue._SCORES, "_entries",
                        dict(score_catalogue._SCORES._entries))
    monkeypatch.setattr(scoring, "_REGISTRY", dict(scoring._REGISTRY))
    for scorer in scorers:
        register_scorer(scorer)
