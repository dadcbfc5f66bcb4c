"""The compaction a build runs when it ends, so that a finished build leaves a few large parts.

A build writes one part per chunk (64 archs by default): a full NB101 build leaves thousands
of small files, and every query pays for opening each one and for deduplicating keys across
them.  Once every part of the build has landed, a partition holding more than the build's
``compact_above`` parts outside compactions (:data:`COMPACT_ABOVE_PARTS` by default) is compacted
(:func:`~naswot_db.schema.compaction.compact_partition`: atomic, safe while queries and other
builds run).  The build's rows are already safe on disk, so a compaction that cannot run
(another one holds the partition's lock) or that fails only adds a note to the build's output.
"""

from __future__ import annotations

from pathlib import Path

from naswot_db.schema.locks import LockHeldError
from naswot_db.schema.layout import loose_parts

COMPACT_ABOVE_PARTS = 64  # a build that leaves more parts outside compactions compacts at its end


def compact_after_build(root: Path, space: str,
                        above: int = COMPACT_ABOVE_PARTS) -> str | None:
    """Compact ``space``'s scores when they hold more than ``above`` loose parts; a line saying
    what was done (or why not), or None when the partition is left as it is.  Never raises."""
    try:
        if len(loose_parts(root, space)) <= above:
            return None
    except Exception as exc:  # noqa: BLE001 - the rows are stored; a failed compaction only costs speed
        return _failed(root, space, exc)
    try:  # imported here: compaction needs duckdb, which a scoring-only machine may lack
        from naswot_db.schema.compaction import GRACE_S, compact_partition
    except ImportError as exc:
        return (f"Note: {space} scores not compacted ({exc}); `naswot-db compact --root {root}` "
                "compacts them where duckdb is installed")
    try:
        done = compact_partition(root, space)
    except LockHeldError as exc:
        return f"Note: {space} scores not compacted ({exc})"
    except Exception as exc:  # noqa: BLE001 - the rows are stored; a failed compaction only costs speed
        return _failed(root, space, exc)
    return (f"compacted {space} scores: {done.parts_before:,} parts, {done.rows_before:,} rows "
            f"-> {done.parts_after} parts, {done.rows_after:,} rows (the replaced parts stay "
            f"hidden {GRACE_S:.0f} s for queries in flight; a later build or compact deletes "
            f"them)")


def _failed(root: Path, space: str, exc: Exception) -> str:
    return (f"Note: compacting the {space} scores failed ({type(exc).__name__}: {exc}); every "
            f"row is stored, `naswot-db compact --root {root}` retries")
