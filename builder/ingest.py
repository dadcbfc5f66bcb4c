"""Ingest: turn a benchmark's own files into the archs and accuracies tables of a root."""

from __future__ import annotations

from pathlib import Path

from naswot_db.schema import prepare_root, replace_partition

from .spaces import get_space


def ingest_ground_truth(space_name: str, source: Path, root: Path) -> dict[str, tuple[int, int]]:
    """Read ``source`` for ``space_name`` and replace that space's ground truth in ``root``.

    Everything is read and validated before anything is written.  Returns, per space written,
    the number of arch rows and accuracy rows.
    """
    space = get_space(space_name, root)
    truth = space.ingest(Path(source))
    prepare_root(root)
    replace_partition(root, "archs", truth.archs, space.name)
    replace_partition(root, "accuracies", truth.accuracies, space.name)
    return {space.name: (truth.archs.num_rows, truth.accuracies.num_rows)}
