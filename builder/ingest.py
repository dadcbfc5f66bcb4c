"""Ingest: turn a benchmark's own files into the archs and accuracies tables of a root."""

from __future__ import annotations

from pathlib import Path

from naswot_db.core.names import NDS_ALL, canonical_ingest_space, spaces_sharing_ground_truth
from naswot_db.schema import (SCORES, TABLES, part_files, prepare_root, read_table,
                              replace_partitions)
from naswot_db.schema.locks import exclusive
from naswot_db.schema.layout import GENERATIONS_DIR, partition_dir, remove_stale_temps

from .spaces import GroundTruth, SpaceError, get_space


def read_ground_truth(space_name: str, source: Path, root: Path) -> dict[str, GroundTruth]:
    """Ground truth per space: one space, or every NDS space in a directory for ``nds``."""
    key = canonical_ingest_space(space_name)
    if key == NDS_ALL:
        from .spaces.nds import ingest_nds

        return ingest_nds(source)
    return {key: get_space(key, root).ingest(source)}


def check_arch_ids_kept(root: Path, space: str, truth: GroundTruth) -> None:
    """Refuse ground truth that would give scored arch ids to different architectures."""
    if not any(part_files(root, SCORES, name) for name in spaces_sharing_ground_truth(space)):
        return
    stored = read_table(root, "archs", space)
    if stored.num_rows == 0:
        return
    new = dict(zip(truth.archs["arch_id"].to_pylist(), truth.archs["arch_str"].to_pylist()))
    for arch_id, arch_str in zip(stored["arch_id"].to_pylist(), stored["arch_str"].to_pylist()):
        if new.get(arch_id) != arch_str:
            raise SpaceError(
                f"{space}: this source numbers its archs differently from the one the scores in "
                f"{root} were built on (arch {arch_id} would change); ingest it into a new root")


def ingest_ground_truth(space_name: str, source: Path, root: Path) -> dict[str, tuple[int, int]]:
    """Read ``source`` and replace those spaces' ground truth in ``root``.

    Everything is read and validated before anything is written.  Returns, per space written,
    the number of arch rows and accuracy rows.
    """
    truths = read_ground_truth(space_name, Path(source), root)
    for name, truth in truths.items():
        check_arch_ids_kept(root, name, truth)
    prepare_root(root)
    for name, truth in truths.items():
        with exclusive(root, f"ingest-{name}", f"an ingest of {name}"):
            for directory in (root, root / GENERATIONS_DIR, *(
                    partition_dir(root, TABLES[table], name) for table in ("archs", "accuracies"))):
                remove_stale_temps(directory)  # what a killed ingest left behind
            replace_partitions(root, {"archs": truth.archs, "accuracies": truth.accuracies}, name)
    return {name: (t.archs.num_rows, t.accuracies.num_rows) for name, t in truths.items()}
