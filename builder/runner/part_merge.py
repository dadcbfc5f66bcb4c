"""A build's rolling merge: every :data:`MERGE_PARTS` parts a writer writes become one part.

A build writes one part per chunk (64 archs, or what 30 s gave), so a long build, a build in
progress or a killed one would leave thousands of small files, and every query pays DuckDB's
per-file cost for each (NB101: 6,620 parts).  So each part writer merges its own parts as it
goes: once it has written :data:`MERGE_PARTS` of them, their rows (read back with pyarrow,
concatenated in order, unchanged) are written as one part, atomically, named from the
writer's prefix (``<prefix>-merge-00003``, so names stay unique across workers and runs), and
a superseded marker (the mechanism compaction uses, :mod:`naswot_db.schema.dedup`) hides the
originals from new readers.  They stay on disk for queries that listed them; a compaction
deletes them once its grace time has passed.  A merged part is loose (not compaction-named):
the end-of-build compaction still runs when more than 64 loose parts remain.  Merged rows keep
their run id, so a run's recorded row count and a resumed build's skip list are unchanged.

One marker per merge, written once and never changed: a compaction may delete an expired
marker at any moment without racing a writer that would rewrite it, and at NB101 scale
reading the 206 markers costs a listing 2.6 ms (a rewritten per-writer marker would save
little of that and rewrite a growing list 206 times).  A merge holds the partition's
compaction lock for the milliseconds it takes, so a compaction never rewrites parts that a
merge then duplicates; while a compaction runs, merges wait for the next part (a compaction
that starts during a merge says the partition is busy, as for another compaction).  A part of
:data:`LARGE_PART_ROWS` rows or more (a large ``--chunk-size``) is never merged.

Readers see each key once at every instant except in one crash window: killed after the
merged part landed and before its marker, both sets stay visible.  That reads correctly, as a
compaction killed halfway does: the views keep one row per key, the score grid detects the
repeated keys and reads the deduplicated view, and ``naswot-db check`` reports the keys with
its ``naswot-db compact`` hint.  A merge that fails only costs speed: its originals stay
visible, a warning says why, and the build goes on.
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from naswot_db.schema import write_part
from naswot_db.schema.dedup import superseded_marker, superseded_names
from naswot_db.schema.locks import LockHeldError, exclusive
from naswot_db.schema.atomic import atomic_write_bytes

MERGE_PARTS = 32  # NB101 x 15 replicates in 64-arch chunks: 6,620 parts -> 206 merged + 28
LARGE_PART_ROWS = 1 << 15  # a part this big (a large --chunk-size) is left as it is, so a
# merge never holds more than 32 x 32,768 rows (the default chunk of 64 archs x 15 seeds: 960)


class PartMerge:
    """The parts one writer has written since its last merge, merged every ``merge_parts``."""

    def __init__(self, root: Path, space: str, prefix: str,
                 merge_parts: int = MERGE_PARTS) -> None:
        self.root, self.space, self.prefix = root, space, prefix
        self.merge_parts = merge_parts
        self.pending: list[Path] = []
        self.merges = 0

    def add(self, part: Path, rows: int) -> None:
        """Note one part of ``rows`` rows written; merge the pending small ones once there are
        ``merge_parts``."""
        if rows >= LARGE_PART_ROWS:
            return
        self.pending.append(part)
        if len(self.pending) >= self.merge_parts:
            try:
                with exclusive(self.root, f"compact-{self.space}",  # the lock compaction holds
                               f"a compaction of {self.space}"):
                    self._merge()
            except LockHeldError:
                return  # a compaction is running: merge after the next part
            except Exception as exc:  # noqa: BLE001 - the rows are stored; a merge only adds speed
                warnings.warn(f"merging {len(self.pending)} {self.space} score parts failed "
                              f"({type(exc).__name__}: {exc}); they stay as they are",
                              RuntimeWarning, stacklevel=2)
                self.pending = []

    def _merge(self) -> None:
        """Write the pending parts as one, then hide them; a compaction may have taken some."""
        directory = self.pending[0].parent
        hidden = superseded_names(directory)
        parts = [p for p in self.pending if p.name not in hidden and p.exists()]
        name = f"{self.prefix}-merge-{self.merges:05d}"
        self.merges += 1
        if len(parts) > 1:
            rows = pa.concat_tables([pq.read_table(p) for p in parts])
            merged = write_part(self.root, "scores", rows, space=self.space, part_name=name)
            try:
                atomic_write_bytes(superseded_marker(directory, name),
                                   json.dumps({"parts": sorted(p.name for p in parts)}).encode())
            except BaseException:
                merged.unlink(missing_ok=True)  # the originals alone hold the rows again
                raise
        self.pending = []
