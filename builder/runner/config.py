"""What a build does: the configuration, its shard notation and its identity hash."""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from naswot_db.core.errors import NaswotDbError
from naswot_db.core.names import SPLITS
from naswot_db.core.score_settings import resolve_settings
from naswot_db.core.scores import DEFAULT_SCORE, expand_scores, group_only_scores

from .end_compaction import COMPACT_ABOVE_PARTS

PRECISIONS = ("fp32", "tf32")
ENGINES = ("local", "ray")


class BuildError(NaswotDbError):
    """A build that cannot start: bad range, bad shard, unknown device, nothing to do."""


@dataclass(frozen=True)
class Shard:
    """Shard ``index`` (1-based) of ``count``: every count-th arch of the selection."""

    index: int
    count: int

    @classmethod
    def parse(cls, text: str) -> "Shard":
        try:
            index_text, count_text = text.split("/")
            index, count = int(index_text), int(count_text)
        except ValueError:
            raise BuildError(f"invalid shard {text!r}: expected K/N, e.g. 1/4") from None
        if count < 1 or not 1 <= index <= count:
            raise BuildError(f"invalid shard {text!r}: K must be in 1..N (1-based), N >= 1")
        return cls(index, count)

    def __str__(self) -> str:
        return f"{self.index}/{self.count}"


@dataclass(frozen=True)
class BuildConfig:
    """Everything a build needs; the CLI and the Python API both fill this.

    A config checks itself when made, so every caller (CLI, Python API, benches) gets the same
    one-line errors before anything is written, and normalises what has several spellings:
    ``score`` becomes the canonical comma list of the scores it names (``suite-zero``, ``all``,
    ``naswot,JACOV``), seeds and arch ids become sorted distinct lists, ``score_settings``
    (``--score-setting [SCORE.]NAME=VALUE`` assignments, or score -> {setting: value}) becomes
    the typed keyword arguments of each score's scorer.
    """

    space: str
    dataset: str
    root: Path
    score: str = DEFAULT_SCORE  # one name, a comma list, suite-zero or all
    data_root: Path | None = None
    init_seeds: list[int] = field(default_factory=lambda: [0])
    batch_seeds: list[int] = field(default_factory=lambda: [0])
    batch_size: int = 128
    arch_ids: list[int] | None = None
    limit: int | None = None
    shard: Shard | None = None
    device: str = "auto"
    split: str = "all"
    precision: str = "fp32"
    chunk_size: int = 64
    workers: int | None = None  # None: devices.default_workers, by the size of the build
    engine: str = "local"  # local (processes on this machine) or ray (actors of a Ray cluster)
    ray_address: str | None = None  # ray engine: None starts Ray here, "auto" or HOST:PORT joins
    gpus_per_worker: float | None = None  # ray engine; None: the cluster's GPUs shared evenly
    cpus_per_worker: float = 1.0  # ray engine
    progress: bool = True
    compact: bool = True  # compact the space's scores at the end when they hold many parts
    compact_above: int = COMPACT_ABOVE_PARTS  # "many": more parts than this outside compactions
    # per score, the scorer settings that change its values (they enter its config id)
    score_settings: Sequence[str] | Mapping[str, Mapping[str, Any]] = ()
    # the scores only a group (suite-zero, all) selects, which a build skips where its space
    # cannot run them; set from ``score`` when the config is made
    group_scores: tuple[str, ...] | None = None

    def __post_init__(self) -> None:
        _check(self)
        scores = expand_scores(self.score)
        normalised = {"score": ",".join(scores),
                      "score_settings": resolve_settings(self.score_settings, scores),
                      "group_scores": (tuple(group_only_scores(self.score))
                                       if self.group_scores is None else self.group_scores),
                      "init_seeds": sorted(set(self.init_seeds)),
                      "batch_seeds": sorted(set(self.batch_seeds)),
                      "arch_ids": None if self.arch_ids is None else sorted(set(self.arch_ids))}
        for name, value in normalised.items():
            object.__setattr__(self, name, value)  # frozen: set once, here

    @property
    def scores(self) -> tuple[str, ...]:
        """The canonical names of the scores this build computes, in the order given."""
        return tuple(self.score.split(","))

    def settings_of(self, score: str) -> dict[str, Any]:
        """The keyword arguments of ``score``'s scorer in this build (empty: its defaults)."""
        return dict(self.score_settings.get(score, {}))

    def without(self, dropped: Sequence[str]) -> "BuildConfig":
        """This build without the scores ``dropped`` (and their settings)."""
        return dataclasses.replace(
            self, score=",".join(s for s in self.scores if s not in dropped),
            score_settings={score: values for score, values in self.score_settings.items()
                            if score not in dropped})

    def describe(self) -> dict:
        """JSON-ready form of the whole configuration (stored in the runs table)."""
        data = asdict(self)
        # resolved, so the record says which folder it was wherever the build was started from
        data.update(root=str(Path(self.root).resolve()),
                    data_root=str(Path(self.data_root).resolve()) if self.data_root else None,
                    shard=str(self.shard) if self.shard else None)
        return data


def _check(config: BuildConfig) -> None:
    """Refuse settings no build can run with (one line each, before anything is written)."""
    if config.precision not in PRECISIONS:
        raise BuildError(f"unknown precision {config.precision!r}; choose {', '.join(PRECISIONS)}")
    if config.engine not in ENGINES:
        raise BuildError(f"unknown engine {config.engine!r}; choose {', '.join(ENGINES)}")
    if config.split not in SPLITS:
        raise BuildError(f"unknown split {config.split!r}; choose {', '.join(SPLITS)}")
    for option, value in (("--batch-size", config.batch_size), ("--workers", config.workers),
                          ("--chunk-size", config.chunk_size), ("--limit", config.limit)):
        if value is not None and value < 1:
            raise BuildError(f"{option} must be >= 1, got {value}")
    if not config.init_seeds or not config.batch_seeds:
        raise BuildError("at least one init seed and one batch seed are needed")
    for what, values in (("init seeds", config.init_seeds), ("batch seeds", config.batch_seeds),
                         ("arch ids", config.arch_ids or [])):
        if min(values, default=0) < 0:
            raise BuildError(f"{what} must be >= 0, got {min(values)}")
    if config.compact_above < 0:
        raise BuildError(f"--compact-above must be >= 0, got {config.compact_above}")
    if config.cpus_per_worker <= 0:
        raise BuildError(f"--cpus-per-worker must be > 0, got {config.cpus_per_worker:g}")
    if config.gpus_per_worker is not None and config.gpus_per_worker < 0:
        raise BuildError(f"--gpus-per-worker must be >= 0, got {config.gpus_per_worker:g}")


def config_id(config: BuildConfig, score: str, score_settings: dict, model_config: dict,
              data_identity: str) -> str:
    """Hash of every setting besides the key columns that changes ``score``'s values.

    It depends on the score's own settings and data only, never on which other scores the same
    build computes: a score built alone and in a suite gets one id (and so resumes the other).
    A score without settings (NASWOT) hashes as before settings existed, so its ids are stable.
    """
    identity = {"score": score, "model": model_config, "split": config.split,
                "precision": config.precision, "data": data_identity}
    if score_settings:
        identity["score_settings"] = score_settings
    return hashlib.sha256(json.dumps(identity, sort_keys=True).encode()).hexdigest()[:16]
