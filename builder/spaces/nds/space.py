"""One NDS design space (``nds-darts``, ``nds-resnext-a-in``, ...) as a naswot-db Space.

The arch list is the ingested archs table of the root (arch id = position in the NDS file);
``build_model`` also takes an entry's ``net`` object (or its JSON), so any NDS net can be
rebuilt without an ingest.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Mapping

import pyarrow as pa
from torch import nn

from naswot_db.core.encodings import EncodingError
from naswot_db.core.encodings.nds import parse_net as parse_net_str
from naswot_db.schema import read_table

from ..base import GroundTruth, Space, SpaceError
from .anynet import STEM_WIDTH, AnyNet
from naswot_db.core.names import nds_file_name, nds_space_name

from .files import file_name_of, ground_truth, is_imagenet
from .nas_networks import NetworkCIFAR, NetworkImageNet
from .net_config import NasNetConfig, NetConfig, parse_net

NUM_CLASSES = 1


def build_network(config: NetConfig, imagenet: bool, res_stem: bool,
                  num_classes: int = NUM_CLASSES) -> nn.Module:
    """The network NASWOT builds for an NDS net (1 output, drop-path 0, stem width 12)."""
    if isinstance(config, NasNetConfig):
        network = NetworkImageNet if imagenet else NetworkCIFAR
        return network(config.width, num_classes, config.depth, config.aux, config.genotype)
    return AnyNet(config, res_stem=res_stem, num_classes=num_classes, stem_width=STEM_WIDTH)


class NDSSpace(Space):
    """An NDS space; the NDS file name decides the layout, the stem and the scoring dataset."""

    def __init__(self, nds: str, root: Path | None = None) -> None:
        super().__init__(root)
        self.nds = nds
        self.name = nds_space_name(nds)
        self.imagenet = is_imagenet(nds)
        # NASWOT: ResNet/ResNeXt names get the 7x7 ResNet stem, every other AnyNet the 3x3 one
        self.res_stem = "ResN" in nds
        self._nets: dict[int, str] | None = None

    def arch_table(self) -> pa.Table:
        table = read_table(self.root, "archs", self.name)
        if table.num_rows == 0:
            raise SpaceError(
                f"no {self.name} archs under {self.root}; ingest the NDS files first: "
                f"naswot-db ingest --space nds --source NDS_DATA_DIR --root {self.root}")
        return table

    def _nets_by_id(self) -> dict[int, str]:
        if self._nets is None:
            table = self.arch_table()
            self._nets = dict(zip(table.column("arch_id").to_pylist(),
                                  table.column("arch_str").to_pylist()))
        return self._nets

    def detached(self) -> "NDSSpace":
        self._nets_by_id()
        return self

    def _net_by_id(self, arch_id: int) -> str:
        if arch_id not in self._nets_by_id():
            raise SpaceError(f"{self.name} has no arch id {arch_id} under {self.root} "
                             f"(ids 0..{len(self._nets) - 1})")
        return self._nets[arch_id]

    def net_config(self, arch: Any) -> NetConfig:
        """The model description of an arch id, a ``net`` object or its JSON text."""
        if isinstance(arch, str):
            try:
                arch = parse_net_str(arch)
            except EncodingError as exc:
                raise SpaceError(f"{self.name}: {exc}") from exc
        elif not isinstance(arch, Mapping):
            arch = parse_net_str(self._net_by_id(int(arch)))
        try:
            return parse_net(arch)
        except (ValueError, KeyError, TypeError) as exc:
            raise SpaceError(f"{self.name}: invalid NDS net: {exc}") from exc

    def build_model(self, arch: Any, num_classes: int | None = None) -> nn.Module:
        return build_network(self.net_config(arch), self.imagenet, self.res_stem,
                             num_classes or NUM_CLASSES)

    def reference_raises(self, arch: Any) -> bool:
        """An auxiliary head makes the train-mode output a nested tuple: ``y.backward`` fails."""
        config = self.net_config(arch)
        return isinstance(config, NasNetConfig) and config.aux

    def ingest(self, source: Path) -> GroundTruth:
        """Read this space's file: ``source`` is the file itself or the nds_data directory."""
        source = Path(source)
        path = source / f"{self.nds}.json" if source.is_dir() else source
        if not path.is_file():
            raise SpaceError(f"NDS file {path} does not exist")
        if file_name_of(path) != self.nds:
            raise SpaceError(f"{path.name} holds NDS space {nds_space_name(file_name_of(path))}, "
                             f"not {self.name}")
        return ground_truth(self.nds, path)

    def model_config(self) -> dict[str, Any]:
        return {"num_classes": NUM_CLASSES, "drop_path_prob": 0.0, "anynet_stem_w": STEM_WIDTH,
                "layout": "imagenet" if self.imagenet else "cifar",
                "anynet_stem": "res_stem_in" if self.res_stem else "simple_stem_in"}


def make_nds_space(name: str, root: Path | None = None) -> NDSSpace:
    """The NDS space ``name`` (e.g. ``nds-darts``, ``nds-resnext-a-in``) over ``root``."""
    return NDSSpace(nds_file_name(name), root)
