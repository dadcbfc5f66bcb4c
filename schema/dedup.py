"""Each score key counts once, whatever lies on disk.

Builds of one configuration exclude each other (:mod:`.locks`), but a part copied in by hand,
a shared file system without working locks, or a compaction killed halfway can still put a
key on disk twice.  The ``scores`` view therefore keeps one row per key, the one of the
earliest run.  That costs a hash pass over the rows, so a partition whose parts are exactly
one finished compaction (duplicate-free by construction) is read without it.
"""

from __future__ import annotations

import json
import re
import time
from pathlib import Path

# What identifies one scoring: two rows with these values are the same measurement.
SCORE_KEY = ("space", "arch_id", "score", "dataset", "batch_size", "config_id", "init_seed",
             "batch_seed")
KEYS: dict[str, tuple[str, ...]] = {"scores": SCORE_KEY}

# Where a root's own rows meet the shipped ones.  A group is one configuration of scores or one
# ground-truth column (dataset, split, epoch budget): a root's own rows of a group add to the
# shipped rows of that group, the root's row winning on its key (an accuracy is one arch,
# column and seed; ``seed`` NULL is the mean over seeds).  A table without groups (``archs``)
# keeps the rule before: a space's own rows replace its shipped ones.
ROW_KEYS: dict[str, tuple[str, ...]] = {
    "accuracies": ("space", "arch_id", "dataset", "split", "epochs", "seed"),
    "scores": SCORE_KEY,
}
ROW_GROUPS: dict[str, tuple[str, ...]] = {
    "accuracies": ("space", "dataset", "split", "epochs"),
    "scores": ("space", "score", "dataset", "batch_size", "config_id"),
}

_COMPACTED = re.compile(r"^compact-(?P<id>[0-9a-f]{32})-(?P<index>\d{4})-of-(?P<count>\d{4})"
                        r"\.parquet$")


def compacted_name(compaction_id: str, index: int, count: int) -> str:
    """File name of part ``index`` of the ``count`` parts one compaction writes."""
    return f"compact-{compaction_id}-{index:04d}-of-{count:04d}.parquet"


def is_compacted_part(path: Path) -> bool:
    """Whether ``path`` was written by a compaction (its name says so)."""
    return _COMPACTED.match(path.name) is not None


def is_one_compaction(parts: list[Path]) -> bool:
    """True when ``parts`` are all the parts of one finished compaction, and nothing else."""
    matches = [_COMPACTED.match(p.name) for p in parts]
    if not parts or None in matches:
        return False
    ids = {m["id"] for m in matches}
    counts = {int(m["count"]) for m in matches}
    indices = sorted(int(m["index"]) for m in matches)
    return len(ids) == 1 and counts == {len(parts)} and indices == list(range(len(parts)))


# A compaction leaves the parts it replaced on disk for readers that listed them before it
# finished; this marker, written once the new parts are in place, hides them from new readers.
SUPERSEDED_PREFIX = ".superseded-"


def superseded_marker(directory: Path, compaction_id: str) -> Path:
    return directory / f"{SUPERSEDED_PREFIX}{compaction_id}.json"


def superseded_names(directory: Path) -> set[str]:
    """Names of the parts in ``directory`` that a finished compaction replaced."""
    names: set[str] = set()
    for marker in directory.glob(f"{SUPERSEDED_PREFIX}*.json"):
        try:
            names.update(json.loads(marker.read_text())["parts"])
        except (OSError, ValueError, KeyError, TypeError):
            continue  # removed meanwhile, or not ours: hide nothing
    return names


def expired_markers(directory: Path, grace_s: float) -> list[Path]:
    """Markers older than ``grace_s``: their parts can go (no reader still needs them)."""
    now = time.time()
    found = []
    for marker in directory.glob(f"{SUPERSEDED_PREFIX}*.json"):
        try:
            if now - marker.stat().st_mtime >= grace_s:
                found.append(marker)
        except FileNotFoundError:
            continue
    return sorted(found)


def split_by_uniqueness(files: list[Path]) -> tuple[list[Path], list[Path]]:
    """(parts known duplicate-free, parts whose rows must be deduplicated)."""
    by_directory: dict[Path, list[Path]] = {}
    for path in files:
        by_directory.setdefault(path.parent, []).append(path)
    unique: list[Path] = []
    unsure: list[Path] = []
    for parts in by_directory.values():
        (unique if is_one_compaction(parts) else unsure).extend(parts)
    return sorted(unique), sorted(unsure)


def first_per_key_sql(key: tuple[str, ...], source_sql: str) -> str:
    """``source_sql`` with one row per ``key``: the row of the earliest run."""
    partition = ", ".join(f'"{name}"' for name in key)
    return (f"SELECT * FROM ({source_sql}) QUALIFY row_number() OVER "
            f"(PARTITION BY {partition} ORDER BY run_id) = 1")
