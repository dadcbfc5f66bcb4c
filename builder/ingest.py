"""Ingest: turn a benchmark's own files into the archs and accuracies tables of a root."""

from __future__ import annotations

from pathlib import Path

from naswot_db.schema import prepare_root, replace_partition

from .spaces import GroundTruth, get_space


def read_ground_truth(space_name: str, source: Path, root: Path) -> dict[str, GroundTruth]:
    """Ground truth per space: one space, or every NDS space in a directory for ``nds``."""
    if space_name.lower() == "nds":
        from .spaces.nds import ingest_nds

        return ingest_nds(source)
    space = get_space(space_name, root)
    return {space.name: space.ingest(source)}


def ingest_ground_truth(space_name: str, source: Path, root: Path) -> dict[str, tuple[int, int]]:
    """Read ``source`` and replace those spaces' ground truth in ``root``.

    Everything is read and validated before anything is written.  Returns, per space written,
    the number of arch rows and accuracy rows.
    """
    truths = read_ground_truth(space_name, Path(source), root)
    prepare_root(root)
    for name, truth in truths.items():
        replace_partition(root, "archs", truth.archs, name)
        replace_partition(root, "accuracies", truth.accuracies, name)
    return {name: (t.archs.num_rows, t.accuracies.num_rows) for name, t in truths.items()}
