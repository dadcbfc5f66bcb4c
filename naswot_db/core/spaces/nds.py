"""The Network Design Spaces (NDS): one space per file of NDS's data.zip, ``nds-<file>``.

Each file's space is "nds-" + its normalised name (``DARTS_in`` -> ``nds-darts-in``), also
accepted as the bare file name; ``ingest --space nds`` reads every file at once.  Files whose
networks are ImageNet layouts (``_in``) are scored on imagenette2, the others on CIFAR-10.
"""

from naswot_db.core.spaces import (
    SpaceInfo, UnknownNameError, canonical_space, describe, normalised,
)

# Every file of the NDS data.zip (``nds_data/<name>.json``)
NDS_FILE_NAMES: tuple[str, ...] = (
    "Amoeba", "Amoeba_in", "DARTS", "DARTS_in", "DARTS_fix-w-d", "DARTS_lr-wd",
    "DARTS_lr-wd_in", "ENAS", "ENAS_in", "ENAS_fix-w-d", "NASNet", "NASNet_in", "PNAS",
    "PNAS_in", "PNAS_fix-w-d", "ResNet", "ResNet-B", "ResNet_lr-wd", "ResNet_lr-wd_in",
    "ResNet_reruns", "ResNet_rng1", "ResNet_rng2", "ResNet_rng3", "ResNeXt-A", "ResNeXt-A_in",
    "ResNeXt-B", "ResNeXt-B_in", "Vanilla", "Vanilla_lr-wd", "Vanilla_lr-wd_in",
    "Vanilla_reruns", "Vanilla_rng1", "Vanilla_rng2", "Vanilla_rng3",
)
NDS_PREFIX = "nds-"
NDS_ALL = "nds"  # ``ingest --space nds`` reads every NDS file of a directory at once
# NDS reports test accuracy only
_TASKS = (("cifar10", None, ("cifar10", "test")), ("imagenette2", None, ("imagenet", "test")))
_CITATION = "Radosavovic et al., On Network Design Spaces for Visual Recognition, ICCV 2019"


def nds_space_name(file_name: str) -> str:
    """The space of one NDS file: ``DARTS_in`` -> ``nds-darts-in``."""
    return NDS_PREFIX + normalised(file_name)


INFOS = tuple(describe(SpaceInfo(
    name=nds_space_name(file_name),
    aliases=(normalised(file_name),),  # the bare file name, e.g. "DARTS_in"
    citation=_CITATION,
    implementation="naswot_db.builder.spaces.nds:NDSSpace",
    arguments=(file_name,),
    datasets=("imagenette2",) if "_in" in file_name else ("cifar10",),
    help=f"{NDS_PREFIX}<file> (e.g. nds-darts)",
    family=NDS_ALL,
    tasks=_TASKS,
    arch_id_bound=100_000,  # each NDS file holds at most 25,000 networks
    encoding="naswot_db.core.encodings.nds:ENCODING",
)) for file_name in NDS_FILE_NAMES)
_FILE_OF = {info.name: info.arguments[0] for info in INFOS}


def is_nds_space(space: str) -> bool:
    return space in _FILE_OF


def nds_file_name(space: str) -> str:
    """The NDS file name (without ``.json``) behind an NDS space."""
    key = canonical_space(space)
    if key not in _FILE_OF:
        raise UnknownNameError(f"{space!r} is not an NDS space")
    return _FILE_OF[key]
