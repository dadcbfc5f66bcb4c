"""The one vocabulary of spaces, datasets and splits, shared by the builder, the query layer and
the CLI.

Each space has one canonical name: the registry key, the ``space`` partition and column value,
the CLI value and the name in every message.  Other spellings are accepted at the edge (any
case, ``_`` for ``-``, aliases, NDS file names as in ``nds_DARTS_in``) and normalised once, by
the space catalogue (:mod:`naswot_db.core.spaces`, one descriptor per space), whose questions
are asked here by name.  This module imports nothing heavy, so query commands can use it
without torch.
"""

from __future__ import annotations

from naswot_db.core.errors import UnknownNameError
from naswot_db.core.spaces import (
    BUILTIN_SPACES, canonical_space, ground_truth_space, ground_truth_space_sql, score_datasets,
    space_info, spaces_sharing_ground_truth,
)
from naswot_db.core.spaces.nds import (
    NDS_ALL, NDS_FILE_NAMES, NDS_PREFIX, is_nds_space, nds_file_name, nds_space_name,
)

__all__ = [
    "DATASET_NAMES", "NDS_ALL", "NDS_FILE_NAMES", "NDS_PREFIX", "PEER_CONFIG_PREFIX",
    "SPACE_NAMES", "SPLITS", "UnknownNameError", "canonical_dataset", "canonical_ingest_space",
    "canonical_space", "ground_truth_space", "ground_truth_space_sql", "is_nds_space",
    "is_peer_config", "nds_file_name", "nds_space_name", "peer_config_sql", "score_datasets",
    "spaces_sharing_ground_truth",
]

# the built-in spaces (with installed plug-ins: naswot_db.core.spaces.space_names())
SPACE_NAMES: tuple[str, ...] = BUILTIN_SPACES

# training-image pools a scoring batch is drawn from (see builder/datasets/batches.py)
SPLITS: tuple[str, ...] = ("all", "nb201-train")

# the scoring datasets, as every table and message spells them
DATASET_NAMES: tuple[str, ...] = ("cifar10", "cifar100", "ImageNet16-120", "imagenette2")


def canonical_dataset(name: str) -> str:
    """``name`` spelled as the tables spell it when it is a known dataset in any case
    (``CIFAR10``, ``imagenet16-120``); any other name as given (a plug-in's dataset)."""
    return next((known for known in DATASET_NAMES if known.lower() == name.strip().lower()),
                name)


def canonical_ingest_space(name: str) -> str:
    """The space an ingest writes: a family (``nds``: every NDS file) or a space owning
    ground truth."""
    if name.strip().lower() == NDS_ALL:
        return NDS_ALL
    return space_info(name).truth_space


# config_id prefix of published proxy values read from NASLib's zc_*.json files (``naswot-db
# ingest --format naslib-zc``): other people's measurements, kept apart from the root's builds
PEER_CONFIG_PREFIX = "naslib-zc-"


def is_peer_config(config_id: str) -> bool:
    """Whether score rows of ``config_id`` are published values ingested from a peer file."""
    return config_id.startswith(PEER_CONFIG_PREFIX)


def peer_config_sql(column: str) -> str:
    """SQL for :func:`is_peer_config` of a config_id column."""
    return f"starts_with({column}, '{PEER_CONFIG_PREFIX}')"
