"""What a build does: the configuration, its parsing from CLI text and its identity hash."""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

from naswot_db.errors import NaswotDbError

PRECISIONS = ("fp32", "tf32")
_MAX_RANGE = 10_000_000  # more than any benchmark's arch count


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


def parse_int_list(text: str, what: str) -> list[int]:
    """``"0-4"``, ``"1,3,7"`` or ``"0-2,10"`` -> sorted distinct ints (ranges inclusive)."""
    values: set[int] = set()
    try:
        for piece in filter(None, (p.strip() for p in text.split(","))):
            low, sep, high = piece.partition("-") if not piece.startswith("-") else (piece, "", "")
            if sep:
                start, stop = int(low), int(high)
                if stop < start:
                    raise BuildError(f"invalid {what} range {piece!r}: end before start")
                if stop - start >= _MAX_RANGE:
                    raise BuildError(f"{what} range {piece!r} is too large "
                                     f"(at most {_MAX_RANGE:,} values)")
                values.update(range(start, stop + 1))
            else:
                values.add(int(piece))
    except ValueError:
        raise BuildError(f"invalid {what} {text!r}: expected e.g. 0-4 or 1,3,7") from None
    if not values:
        raise BuildError(f"empty {what} {text!r}")
    if min(values) < 0:
        raise BuildError(f"invalid {what} {text!r}: values must be >= 0")
    return sorted(values)


@dataclass(frozen=True)
class BuildConfig:
    """Everything a build needs; the CLI and the Python API both fill this."""

    space: str
    dataset: str
    root: Path
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
    progress: bool = True

    def describe(self) -> dict:
        """JSON-ready form of the whole configuration (stored in the runs table)."""
        data = asdict(self)
        data.update(root=str(self.root), data_root=str(self.data_root) if self.data_root else None,
                    shard=str(self.shard) if self.shard else None)
        return data


def config_id(config: BuildConfig, model_config: dict, data_identity: str) -> str:
    """Hash of every setting besides the key columns that changes a score's value."""
    identity = {"score": "naswot", "model": model_config, "split": config.split,
                "precision": config.precision, "data": data_identity}
    return hashlib.sha256(json.dumps(identity, sort_keys=True).encode()).hexdigest()[:16]
