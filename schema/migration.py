"""Schema version 2 -> 3: NB101 arch ids become positions in the ascending-hash order.

Version 2 numbered NB101 archs by first appearance in the ingested file; version 3 gives every
cell the position of its module hash in the whole space (the shipped, enumerated arch list), so
ids agree between the shipped tables, any ingest and any root.  A root whose file listed its
hashes in ascending order (as FreeREA's copy of the benchmark data does) keeps every id and only
its manifest changes; any other (a part of a file, another order) has its NB101 archs,
accuracies and scores (``nb101`` and ``nb101-original``) rewritten with the new ids.

The rewrite cannot be torn: every new file is staged under ``ROOT/.migration-3/`` first, then a
``COMMIT`` file is written, then the staged files replace the originals one rename each, then
the manifest says version 3.  Killed before ``COMMIT``, the next writer drops the stage; killed
after it, the next writer finishes the renames.  Readers refuse a root in between.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from naswot_db.core.errors import NaswotDbError

from .atomic import atomic_write_bytes
from .layout import part_files
from .locks import exclusive
from .nb101_ids import space_ids as nb101_space_ids
from .tables import ACCURACIES, ARCHS, SCORES

FROM_VERSION = 2
STAGE_DIR = ".migration-3"
_COMMIT = "COMMIT"
_NB101_TRUTH = "nb101"
_NB101_SCORE_SPACES = ("nb101", "nb101-original")


class MigrationError(NaswotDbError):
    """A version-2 root whose NB101 archs cannot be renumbered."""


def interrupted(root: Path) -> bool:
    """True while a committed migration's renames are not all done."""
    return (root / STAGE_DIR / _COMMIT).exists()


def _read(path: Path) -> pa.Table:
    return pq.read_table(path)


def new_nb101_ids(root: Path) -> dict[int, int]:
    """Old id -> new id of every NB101 arch of a version-2 ``root`` whose id changes."""
    parts = part_files(root, ARCHS, _NB101_TRUTH)
    if not parts:
        return {}
    space_ids = nb101_space_ids()
    changed = {}
    for path in parts:
        table = _read(path)
        for old, module_hash in zip(table.column("arch_id").to_pylist(),
                                    table.column("arch_str").to_pylist()):
            if module_hash not in space_ids:
                raise MigrationError(
                    f"{root}: NB101 arch {old} has hash {module_hash!r}, which is no cell of the "
                    "space; ingest the benchmark's file into a new root")
            if space_ids[module_hash] != old:
                changed[old] = space_ids[module_hash]
    return changed


def _renumbered(table: pa.Table, changed: dict[int, int]) -> pa.Table:
    ids = table.column("arch_id").to_numpy()
    old = np.fromiter(changed, dtype=np.int64, count=len(changed))
    new = np.fromiter(changed.values(), dtype=np.int64, count=len(changed))
    order = np.argsort(old)
    where = np.clip(np.searchsorted(old[order], ids), 0, len(old) - 1)
    hit = old[order][where] == ids
    remapped = np.where(hit, new[order][where], ids)
    index = table.column_names.index("arch_id")
    return table.set_column(index, table.schema.field("arch_id"), pa.array(remapped, pa.int64()))


def _stage(root: Path, changed: dict[int, int]) -> None:
    stage = root / STAGE_DIR
    shutil.rmtree(stage, ignore_errors=True)
    staged = []
    for table, spaces in ((ARCHS, (_NB101_TRUTH,)), (ACCURACIES, (_NB101_TRUTH,)),
                          (SCORES, _NB101_SCORE_SPACES)):
        for space in spaces:
            for path in part_files(root, table, space):
                relative = path.relative_to(root)
                target = stage / relative
                target.parent.mkdir(parents=True, exist_ok=True)
                pq.write_table(_renumbered(_read(path), changed), target)
                with open(target, "rb") as handle:
                    os.fsync(handle.fileno())
                staged.append(str(relative))
    atomic_write_bytes(stage / _COMMIT, json.dumps(staged).encode())


def _finish(root: Path) -> None:
    """Move every staged file onto its original (idempotent), then drop the stage."""
    stage = root / STAGE_DIR
    for relative in json.loads((stage / _COMMIT).read_text()):
        staged = stage / relative
        if staged.exists():
            os.replace(staged, root / relative)
    shutil.rmtree(stage)


def migrate(root: Path, write_manifest) -> None:
    """Bring a version-2 ``root`` to version 3 (``write_manifest`` stamps the new version)."""
    with exclusive(root, "migrate", "a schema migration"):
        stage = root / STAGE_DIR
        if interrupted(root):
            _finish(root)
        elif stage.exists():
            shutil.rmtree(stage)  # killed before its commit: the originals are untouched
        changed = new_nb101_ids(root)
        if changed:
            _stage(root, changed)
            _finish(root)
        write_manifest()
