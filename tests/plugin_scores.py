"""A third-party score plug-in for the engine tests, registered by a test and never on import.

Its value is an integer (a rank sum), so it cannot differ by rounding between processes with
other thread counts; it needs labels, so the batch's labels must reach every engine too.
"""

from __future__ import annotations

import torch

from naswot_db import scores as score_catalogue
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


def register_for_test(monkeypatch, *scorers: type[Scorer]) -> None:
    """Register ``scorers`` in this process for one test; the registry is restored after it."""
    score_catalogue.score_names()  # the built-in descriptors, loaded before the copy
    monkeypatch.setattr(score_catalogue, "_CATALOGUE", dict(score_catalogue._CATALOGUE))
    monkeypatch.setattr(scoring, "_REGISTRY", dict(scoring._REGISTRY))
    for scorer in scorers:
        register_scorer(scorer)
