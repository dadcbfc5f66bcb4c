"""The one vocabulary of spaces, shared by the builder, the query layer and the CLI.

Each space has one canonical name: the registry key, the ``space`` partition and
column value, the CLI value and the name in every message.  Other spellings are accepted at the
edge (any case, ``_`` for ``-``, NDS file names as in ``nds_DARTS_in``) and normalised here,
once.  This module imports nothing heavy, so query commands can use it without torch.
"""

from __future__ import annotations

from naswot_db.core.errors import NaswotDbError

# Every file of the NDS data.zip (``nds_data/<name>.json``); its space is "nds-" + normalised name.
NDS_FILE_NAMES: tuple[str, ...] = (
    "Amoeba", "Amoeba_in", "DARTS", "DARTS_in", "DARTS_fix-w-d", "DARTS_lr-wd",
    "DARTS_lr-wd_in", "ENAS", "ENAS_in", "ENAS_fix-w-d", "NASNet", "NASNet_in", "PNAS",
    "PNAS_in", "PNAS_fix-w-d", "ResNet", "ResNet-B", "ResNet_lr-wd", "ResNet_lr-wd_in",
    "ResNet_reruns", "ResNet_rng1", "ResNet_rng2", "ResNet_rng3", "ResNeXt-A", "ResNeXt-A_in",
    "ResNeXt-B", "ResNeXt-B_in", "Vanilla", "Vanilla_lr-wd", "Vanilla_lr-wd_in",
    "Vanilla_reruns", "Vanilla_rng1", "Vanilla_rng2", "Vanilla_rng3",
)
NDS_PREFIX = "nds-"
# ``ingest --space nds`` reads every NDS file of a directory at once
NDS_ALL = "nds"


def _normalised(name: str) -> str:
    return name.strip().lower().replace("_", "-")


def nds_space_name(file_name: str) -> str:
    """The space of one NDS file: ``DARTS_in`` -> ``nds-darts-in``."""
    return NDS_PREFIX + _normalised(file_name)


_NDS_FILE_OF = {nds_space_name(name): name for name in NDS_FILE_NAMES}

# canonical name -> the space whose archs and accuracies it shares (itself when absent)
_FIXED_SPACES: dict[str, str] = {
    "nb201": "nb201",
    "nats-sss": "nats-sss",
    "nb101": "nb101",
    "nb101-original": "nb101",  # NB101's archs, built as the benchmark's 128-channel network
}
SPACE_NAMES: tuple[str, ...] = (*_FIXED_SPACES, *_NDS_FILE_OF)

# training-image pools a scoring batch is drawn from (see builder/datasets/batches.py)
SPLITS: tuple[str, ...] = ("all", "nb201-train")



class UnknownNameError(NaswotDbError):
    """A space or score name that no spelling rule maps to a known one."""


# other names of a space: NATS-Bench's topology search space is NAS-Bench-201
_SPACE_ALIASES = {"nats-tss": "nb201"}
# the scoring datasets, as every table and message spells them
DATASET_NAMES: tuple[str, ...] = ("cifar10", "cifar100", "ImageNet16-120", "imagenette2")


def canonical_dataset(name: str) -> str:
    """``name`` spelled as the tables spell it when it is a known dataset in any case
    (``CIFAR10``, ``imagenet16-120``); any other name as given (a plug-in's dataset)."""
    return next((known for known in DATASET_NAMES if known.lower() == name.strip().lower()),
                name)


def canonical_space(name: str) -> str:
    """The canonical name of space ``name`` in any accepted spelling."""
    key = _normalised(name)
    key = _SPACE_ALIASES.get(key, key)
    if key in _FIXED_SPACES or key in _NDS_FILE_OF:
        return key
    if NDS_PREFIX + key in _NDS_FILE_OF:  # a bare NDS file name, e.g. "DARTS_in"
        return NDS_PREFIX + key
    raise UnknownNameError(
        f"unknown space {name!r}; known spaces: {', '.join(_FIXED_SPACES)}, and "
        f"{NDS_PREFIX}<file> for every NDS file ({', '.join(list(_NDS_FILE_OF)[:4])}, ...)")


def nds_file_name(space: str) -> str:
    """The NDS file name (without ``.json``) behind an NDS space."""
    key = canonical_space(space)
    if key not in _NDS_FILE_OF:
        raise UnknownNameError(f"{space!r} is not an NDS space")
    return _NDS_FILE_OF[key]


def is_nds_space(space: str) -> bool:
    return space in _NDS_FILE_OF


def score_datasets(space: str) -> tuple[str, ...]:
    """The datasets a space's networks are scored on (NDS: ImageNet layouts on imagenette2)."""
    key = canonical_space(space)
    if key in _NDS_FILE_OF:
        return ("imagenette2",) if "_in" in _NDS_FILE_OF[key] else ("cifar10",)
    if ground_truth_space(key) == "nb101":
        return ("cifar10",)
    return ("cifar10", "cifar100", "ImageNet16-120")


def ground_truth_space(space: str) -> str:
    """The space whose archs and accuracies ``space`` uses (nb101-original -> nb101)."""
    key = canonical_space(space)
    return _FIXED_SPACES.get(key, key)


def spaces_sharing_ground_truth(space: str) -> tuple[str, ...]:
    """Every space (``space`` included) whose archs and accuracies are ``space``'s."""
    return (space, *(name for name, owner in _FIXED_SPACES.items()
                     if owner == space and name != space))


def ground_truth_space_sql(column: str) -> str:
    """SQL for :func:`ground_truth_space` of a space column (views join on it)."""
    cases = " ".join(f"WHEN '{name}' THEN '{owner}'" for name, owner in _FIXED_SPACES.items()
                     if name != owner)
    return f"CASE {column} {cases} ELSE {column} END"


def canonical_ingest_space(name: str) -> str:
    """The space an ingest writes: ``nds`` (every NDS file) or a space owning ground truth."""
    return NDS_ALL if _normalised(name) == NDS_ALL else ground_truth_space(name)


# config_id prefix of published proxy values read from NASLib's zc_*.json files (``naswot-db
# ingest --format naslib-zc``): other people's measurements, kept apart from the root's builds
PEER_CONFIG_PREFIX = "naslib-zc-"


def is_peer_config(config_id: str) -> bool:
    """Whether score rows of ``config_id`` are published values ingested from a peer file."""
    return config_id.startswith(PEER_CONFIG_PREFIX)


def peer_config_sql(column: str) -> str:
    """SQL for :func:`is_peer_config` of a config_id column."""
    return f"starts_with({column}, '{PEER_CONFIG_PREFIX}')"
