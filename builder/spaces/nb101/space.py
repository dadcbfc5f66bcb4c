"""NAS-Bench-101: 423,624 cells, shipped with naswot-db, ground truth from its TFRecord too.

The arch list of a fresh install is the shipped one (``data/shipped/archs/space=nb101``, the
space enumerated from its rules by ``tools/make_shipped_nb101.py``); a root that ingested
``nasbench_only108.tfrecord`` lists the cells of its file.  Either way an arch's id is the
position of its module hash in the ascending-hash order of the whole space, so one cell has one
id everywhere.  Networks default to the reference NASWOT configuration (stem 16, 3 stacks of 3
modules, 1 output); the original NAS-Bench-101 training configuration (stem 128, 10 classes) is
:data:`ORIGINAL_CONFIG`, registered as the space ``nb101-original``: NB101's archs and
accuracies, its own ``scores`` partition.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
from torch import nn

from naswot_db.schema.nb101_ids import space_ids
from naswot_db.schema import read_table, shipped_root

from ..base import GroundTruth, Space, SpaceError
from .graph import CellSpec, pruned_spec, reference_raises, spec_from_encoding
from .ingest import ingest_nb101
from .models import Network

ORIGINAL_CONFIG = {"stem_channels": 128, "num_stacks": 3, "modules_per_stack": 3,
                   "num_labels": 10}
_HASH = re.compile(r"[0-9a-f]{32}")


def _by_id(archs: pa.Table) -> pa.Table:
    ids = archs.column("arch_id").to_numpy()
    return archs if bool(np.all(ids[1:] > ids[:-1])) else archs.sort_by("arch_id")


def shipped_arch_table() -> pa.Table:
    """The whole space as shipped with naswot-db: ids 0..423,623 in ascending-hash order."""
    return _by_id(read_table(shipped_root(), "archs", space="nb101"))


def ids_by_hash(archs: pa.Table) -> dict[str, int]:
    """Module hash -> arch id of an archs table."""
    return dict(zip(archs.column("arch_str").to_pylist(), archs.column("arch_id").to_pylist()))


class NB101Space(Space):
    """NAS-Bench-101 (Ying et al.); ``arch`` is an arch id, a module hash or (adjacency, ops)."""

    name: str = "nb101"

    def __init__(self, root: Path | None = None, *, name: str = "nb101", stem_channels: int = 16,
                 num_stacks: int = 3, modules_per_stack: int = 3, num_labels: int = 1) -> None:
        super().__init__(root)
        self.name = name
        self._config = {"stem_channels": stem_channels, "num_stacks": num_stacks,
                        "modules_per_stack": modules_per_stack, "num_labels": num_labels}
        self._archs: pa.Table | None = None
        self._ids_by_hash: dict[str, int] | None = None

    def arch_table(self) -> pa.Table:
        """The root's ingested archs, else the shipped ones; sorted by arch id."""
        if self._archs is None:
            archs = read_table(Path(self.root), "archs", space=self.truth_space)
            if archs.num_rows == 0:
                archs = shipped_arch_table()
            if archs.num_rows == 0:
                raise SpaceError(
                    f"no NB101 archs under {self.root} and none shipped; run `naswot-db ingest "
                    f"--space nb101 --source nasbench_only108.tfrecord --root {self.root}` first")
            self._archs = _by_id(archs)
        return self._archs

    def cell(self, arch: Any) -> CellSpec:
        """The pruned cell of ``arch``: an arch id, a module hash, or an (adjacency, ops) pair."""
        if isinstance(arch, Mapping) and {"adjacency", "ops"} <= arch.keys():
            return pruned_spec(arch["adjacency"], arch["ops"])  # e.g. a parsed encoding
        if isinstance(arch, Sequence) and not isinstance(arch, str) and len(arch) == 2:
            return pruned_spec(arch[0], arch[1])
        if isinstance(arch, str):
            return self._cell_by_id(self._id_of_hash(arch))
        if isinstance(arch, (int, np.integer)):
            return self._cell_by_id(int(arch))
        raise SpaceError(f"cannot read {arch!r} as an NB101 arch: give an arch id, a module "
                         "hash, an (adjacency, ops) pair or a dict with those keys")

    def _cell_by_id(self, arch_id: int) -> CellSpec:
        archs = self.arch_table()
        ids = archs.column("arch_id").to_numpy()
        row = int(np.searchsorted(ids, arch_id))
        if row == len(ids) or ids[row] != arch_id:
            raise SpaceError(f"NB101 arch id {arch_id} is not among the {len(ids):,} NB101 archs "
                             f"of {self.root}")
        return spec_from_encoding(archs.column("encoding")[row].as_py())

    def _id_of_hash(self, module_hash: str) -> int:
        if not _HASH.fullmatch(module_hash):
            raise SpaceError(f"{module_hash!r} is not an NB101 module hash (32 hex digits)")
        if self._ids_by_hash is None:
            self._ids_by_hash = ids_by_hash(self.arch_table())
        if module_hash not in self._ids_by_hash:
            raise SpaceError(f"module hash {module_hash} is not among the NB101 archs of "
                             f"{self.root}")
        return self._ids_by_hash[module_hash]

    def build_model(self, arch: Any, num_classes: int | None = None) -> nn.Module:
        config = self._config if num_classes is None else {**self._config,
                                                             "num_labels": num_classes}
        return Network(self.cell(arch), **config)

    def detached(self) -> "NB101Space":
        self.arch_table()
        return self

    def reference_raises(self, arch: Any) -> bool:
        return reference_raises(self.cell(arch))

    def ingest(self, source: Path) -> GroundTruth:
        return ingest_nb101(Path(source), self.truth_space, space_ids())

    def model_config(self) -> dict[str, Any]:
        return dict(self._config)


def original_nb101_space(root: Path | None = None) -> NB101Space:
    """NB101 with the benchmark's own training network: stem 128, 10 classes."""
    return NB101Space(root, name="nb101-original", **ORIGINAL_CONFIG)
