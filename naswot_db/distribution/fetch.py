"""``naswot-db fetch``: a packed archive from a URL or a path, verified, merged into a root.

Order of work: download (resuming), the whole file's sha256 when one is given, every member's
checks into a private staging folder (:func:`.archive.verify_archive`), then the merge
(:func:`.merge.merge_archive`), which itself refuses conflicts before its first write.  Any error
before the merge leaves the root untouched.  A completed download is deleted once merged or
refused, so the next attempt fetches it fresh.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path

from naswot_db.schema import check_root

from .archive import ArchiveError, sha256_of, verify_archive
from .download import Limits, download, is_url
from .limits import DEFAULT_MAX_ROWS
from .merge import MergedPartition, merge_archive


@dataclass(frozen=True)
class FetchSummary:
    """What a fetch added, per file of the archive, and the archive's manifest."""

    source: str
    partitions: list[MergedPartition]
    manifest: dict


def fetch(source: str, root: Path, *, sha256: str | None = None,
          download_dir: Path | None = None, progress: bool = True,
          limits: Limits = Limits(), max_rows: int = DEFAULT_MAX_ROWS) -> FetchSummary:
    """Merge the archive at ``source`` (http(s) URL or local path) into ``root``; a download
    stays within ``limits``, the archive within ``max_rows`` rows."""
    if root.exists() and not root.is_dir():
        raise ArchiveError(f"database root {root} is not a directory")
    check_root(root)
    downloaded = is_url(source)
    if downloaded:
        path = download(source, download_dir, progress=progress, limits=limits)
    elif "://" in source:
        raise ArchiveError(f"cannot fetch {source!r}: give an http(s) URL or a local path")
    else:
        path = Path(source)
        if not path.is_file():
            raise ArchiveError(f"no archive at {path}")
    try:
        if sha256 is not None:
            found = sha256_of(path)
            if found != sha256.strip().lower():
                raise ArchiveError(f"checksum mismatch: {source} has sha256 {found}, expected "
                                   f"{sha256}; nothing was written")
        with tempfile.TemporaryDirectory(prefix="naswot-db-fetch-") as staging:
            archive = verify_archive(path, Path(staging), max_rows)
            partitions = merge_archive(archive, root)
    finally:
        if downloaded:
            path.unlink(missing_ok=True)
    return FetchSummary(source, partitions, archive.manifest)
