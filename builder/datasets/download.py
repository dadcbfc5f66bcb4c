"""Dataset downloads with checksum verification and a progress bar (pooch).

pooch is imported only when a download is needed: builds with ``--data-root`` run without it.
"""

from __future__ import annotations

import os
from pathlib import Path

from .base import DatasetError

DATA_ENV = "NASWOT_DB_DATA"


def dataset_cache() -> Path:
    """``$NASWOT_DB_DATA`` if set, else the per-user cache chosen by pooch."""
    if os.environ.get(DATA_ENV):
        return Path(os.environ[DATA_ENV])
    import pooch

    return Path(pooch.os_cache("naswot-db"))


def fetch_archive(url: str, md5: str, folder: str) -> Path:
    """Directory holding ``folder`` extracted from the archive at ``url`` (downloaded once)."""
    cache = dataset_cache()
    if (cache / folder).is_dir():
        return cache
    import pooch

    try:
        pooch.retrieve(url, known_hash=f"md5:{md5}", path=cache, progressbar=True,
                       processor=pooch.Untar(extract_dir="."))
    except Exception as exc:  # network errors, checksum mismatch
        raise DatasetError(f"could not download {url} into {cache}: {exc}. Pass --data-root "
                           "pointing at an existing copy instead.") from exc
    return cache
