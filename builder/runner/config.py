"""What a build does: the configuration, its shard notation and its identity hash."""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

from naswot_db.errors import NaswotDbError
from naswot_db.scores import DEFAULT_SCORE

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
    """Everything a build needs; the CLI and the Python API both fill this."""

    space: str
    dataset: str
    root: Path
    score: str = DEFAULT_SCORE
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
    workers: int = 1
    engine: str = "local"  # local (processes on this machine) or ray (actors of a Ray cluster)
    ray_address: str | None = None  # ray engine: None starts Ray here, "auto" or HOST:PORT joins
    gpus_per_worker: float | None = None  # ray engine; None: the cluster's GPUs shared evenly
    cpus_per_worker: float = 1.0  # ray engine
    progress: bool = True
    compact: bool = True  # compact the space's scores at the end when they hold many parts

    def describe(self) -> dict:
        """JSON-ready form of the whole configuration (stored in the runs table)."""
        data = asdict(self)
        # resolved, so the record says which folder it was wherever the build was started from
        data.update(root=str(Path(self.root).resolve()),
                    data_root=str(Path(self.data_root).resolve()) if self.data_root else None,
                    shard=str(self.shard) if self.shard else None)
        return data


def config_id(config: BuildConfig, score_settings: dict, model_config: dict,
              data_identity: str) -> str:
    """Hash of every setting besides the key columns that changes a score's value.

    A score without settings (NASWOT) hashes as before settings existed, so its ids are stable.
    """
    identity = {"score": config.score, "model": model_config, "split": config.split,
                "precision": config.precision, "data": data_identity}
    if score_settings:
        identity["score_settings"] = score_settings
    return hashlib.sha256(json.dumps(identity, sort_keys=True).encode()).hexdigest()[:16]
