"""The packed-root archive: its layout, its manifest, and the checks a received one must pass.

An archive is an uncompressed tar (the Parquet parts inside are compressed already) whose first
member is the manifest ``naswot-db-archive.json``, second the sha256 of the manifest, then one
deduplicated Parquet file per table partition::

    naswot-db-archive.json
    naswot-db-archive.sha256
    archs/space=nb201/archs.parquet
    accuracies/space=nb201/accuracies.parquet
    scores/space=nb201/scores.parquet
    runs/runs.parquet

The manifest lists every file's table, space, rows, size and sha256, the schema version, row
counts per table and space, the runs' provenance and the citations.  :func:`verify_archive`
copies the members of a received archive into a private staging folder while hashing them and
accepts it only when every name is one of the layout's, every member a plain file, every
checksum and size matches and every Parquet file carries this schema version: nothing is
extracted by name, so ``../`` members, absolute paths and links never reach the disk.
"""

from __future__ import annotations

import hashlib
import json
import io
import re
import tarfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

import pyarrow.parquet as pq

from naswot_db.core.errors import NaswotDbError
from naswot_db.core.names import UnknownNameError, canonical_space
from naswot_db.schema import SCHEMA_VERSION, TABLES
from naswot_db.core.untrusted_json import loads_untrusted

from .limits import DEFAULT_MAX_ROWS

MANIFEST_NAME = "naswot-db-archive.json"
MANIFEST_DIGEST_NAME = "naswot-db-archive.sha256"
ARCHIVE_FORMAT = "naswot-db-archive"
FORMAT_VERSION = 1
_CHUNK = 1 << 20
MAX_MANIFEST_BYTES = 64 << 20
# table/space=<space>/<table>.parquet, or runs/runs.parquet; spaces are canonical names
_DATA_MEMBER = re.compile(r"(?P<table>archs|accuracies|scores)/space=(?P<space>[a-z0-9][a-z0-9-]*)"
                          r"/(?P=table)\.parquet|(?P<runs>runs)/runs\.parquet")


class ArchiveError(NaswotDbError):
    """An archive that cannot be packed, read or trusted."""


@dataclass(frozen=True)
class ArchiveFile:
    """One Parquet file of an archive, as the manifest describes it."""

    path: str
    table: str
    space: str | None
    rows: int
    size: int
    sha256: str

    def as_json(self) -> dict[str, Any]:
        return {"path": self.path, "table": self.table, "space": self.space, "rows": self.rows,
                "size": self.size, "sha256": self.sha256}


def member_path(table: str, space: str | None) -> str:
    """Where a table partition's one file lives inside an archive."""
    return f"{table}/space={space}/{table}.parquet" if TABLES[table].partitioned \
        else f"{table}/{table}.parquet"


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(_CHUNK), b""):
            digest.update(block)
    return digest.hexdigest()


def manifest_bytes(manifest: dict[str, Any]) -> bytes:
    return json.dumps(manifest, indent=1, sort_keys=True).encode()


def write_archive(output: Path, manifest: dict[str, Any], staged: dict[str, Path]) -> None:
    """Write the tar at ``output`` (a temporary name the caller renames): manifest, digest,
    then the staged files under their member paths, with fixed owners and times."""
    payload = manifest_bytes(manifest)
    digest = hashlib.sha256(payload).hexdigest().encode() + b"\n"
    with tarfile.open(output, "w", format=tarfile.PAX_FORMAT) as tar:
        for name, data in ((MANIFEST_NAME, payload), (MANIFEST_DIGEST_NAME, digest)):
            info = _member_info(name, len(data))
            tar.addfile(info, io.BytesIO(data))
        for name, path in staged.items():
            with open(path, "rb") as handle:
                tar.addfile(_member_info(name, path.stat().st_size), handle)


def _member_info(name: str, size: int) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.size, info.mode, info.mtime = size, 0o644, 0
    return info


@dataclass(frozen=True)
class VerifiedArchive:
    """A received archive whose every file passed the checks, copied under ``folder``."""

    manifest: dict[str, Any]
    files: tuple[ArchiveFile, ...]
    folder: Path

    def local_path(self, entry: ArchiveFile) -> Path:
        return self.folder / entry.path


def verify_archive(archive: Path, staging: Path, max_rows: int = DEFAULT_MAX_ROWS) -> VerifiedArchive:
    """Check ``archive`` member by member, copying its files into ``staging`` (an empty
    private folder); raise :class:`ArchiveError` at the first thing that is not as packed.

    The manifest comes first, so every later member's size is checked against it before a byte
    of the member is written, and the staged bytes never exceed the archive's own size (an
    uncompressed tar holds every byte of its members; a sparse member, which would expand on
    the disk, is refused).  ``max_rows`` bounds the rows the manifest may list in all, which
    bounds the memory of the merge that reads them.
    """
    try:
        with tarfile.open(archive, "r:") as tar:
            members = iter(enumerate(tar))
            received = _copy_manifest(tar, members, archive, staging)
            manifest = _checked_manifest(archive, staging, received)
            files = tuple(_manifest_files(archive, manifest, archive.stat().st_size, max_rows))
            received |= _copy_members(tar, members, archive, staging,
                                      {entry.path: entry for entry in files})
    except tarfile.TarError as exc:
        raise ArchiveError(f"{archive} is not a complete naswot-db archive ({exc}); if it was "
                           "downloaded, fetch it again") from None
    except EOFError:
        raise ArchiveError(f"{archive} is truncated; if it was downloaded, fetch it "
                           "again") from None
    listed = {entry.path for entry in files}
    missing = sorted(listed - set(received) - {MANIFEST_NAME, MANIFEST_DIGEST_NAME})
    if missing:
        raise ArchiveError(f"{archive} is truncated or incomplete: {len(missing)} listed file(s) "
                           f"missing, first {missing[0]}")
    for entry in files:
        size, digest = received[entry.path]
        if size != entry.size or digest != entry.sha256:
            raise ArchiveError(f"checksum mismatch for {entry.path} in {archive} (sha256 "
                               f"{digest[:12]}..., manifest says {entry.sha256[:12]}...): the "
                               "archive is corrupt; nothing was written")
        _check_parquet(archive, entry, staging / entry.path)
    return VerifiedArchive(manifest, files, staging)


def _copy_manifest(tar: tarfile.TarFile, members, archive: Path,
                   staging: Path) -> dict[str, tuple[int, str]]:
    """Copy the manifest and its digest (the first two members, each at most
    :data:`MAX_MANIFEST_BYTES`); (size, sha256) per name."""
    received: dict[str, tuple[int, str]] = {}
    for _ in range(2):
        position, member = next(members, (None, None))
        if member is None:
            break
        name = _checked_name(archive, member, position)
        if member.size > MAX_MANIFEST_BYTES:
            raise ArchiveError(f"{archive} has a {member.size}-byte {name}; a naswot-db "
                               f"manifest is at most {MAX_MANIFEST_BYTES} bytes")
        received[name] = _copy_member(tar, member, archive, staging / name)
    return received


def _copy_members(tar: tarfile.TarFile, members, archive: Path, staging: Path,
                  listed: dict[str, ArchiveFile]) -> dict[str, tuple[int, str]]:
    """Copy the data members into ``staging`` by their checked names, each only when the
    manifest lists it with the member's size; (size, sha256) per name."""
    received: dict[str, tuple[int, str]] = {}
    for position, member in members:
        name = _checked_name(archive, member, position)
        if name in received:
            raise ArchiveError(f"{archive} holds {name} twice")
        entry = listed.get(name)
        if entry is None:
            raise ArchiveError(f"{archive} holds {name}, which its manifest does not list")
        if member.size != entry.size:
            raise ArchiveError(f"{archive} holds {member.size} bytes of {name}; its manifest "
                               f"says {entry.size}: the archive is corrupt; nothing was written")
        target = staging / name
        target.parent.mkdir(parents=True, exist_ok=True)
        received[name] = _copy_member(tar, member, archive, target)
    return received


def _copy_member(tar: tarfile.TarFile, member: tarfile.TarInfo, archive: Path,
                 target: Path) -> tuple[int, str]:
    """Copy one member's bytes to ``target`` (never more than it declares); (size, sha256)."""
    digest, size = hashlib.sha256(), 0
    source = tar.extractfile(member)
    with open(target, "wb") as handle:
        for block in iter(lambda: source.read(_CHUNK), b""):
            digest.update(block)
            handle.write(block)
            size += len(block)
    if size != member.size:
        raise ArchiveError(f"{archive} is truncated inside {member.name}; if it was downloaded, "
                           "fetch it again")
    return size, digest.hexdigest()


def _checked_name(archive: Path, member: tarfile.TarInfo, position: int) -> str:
    """The member's name if it is a plain file at a path of the layout, else an error."""
    name = member.name
    parts = PurePosixPath(name).parts
    if name.startswith("/") or "\\" in name or ".." in parts or not parts:
        raise ArchiveError(f"{archive} holds a member whose path escapes the root: {name!r}; "
                           "refusing it")
    if member.issparse():
        raise ArchiveError(f"{archive} holds {name!r} as a sparse member; archives hold plain "
                           "files only; nothing was written")
    if not member.isfile():
        kind = "link" if member.issym() or member.islnk() else "non-file member"
        raise ArchiveError(f"{archive} holds a {kind} {name!r}; archives hold plain files only")
    expected = (MANIFEST_NAME, MANIFEST_DIGEST_NAME)
    if position < 2 and name != expected[position]:
        raise ArchiveError(f"{archive} does not start with the {expected[position]} of a "
                           f"naswot-db archive (found {name!r})")
    if position >= 2 and not _DATA_MEMBER.fullmatch(name):
        raise ArchiveError(f"{archive} holds {name!r}, which is not a file of the naswot-db "
                           "archive layout")
    return name


def _checked_manifest(archive: Path, staging: Path,
                      received: dict[str, tuple[int, str]]) -> dict[str, Any]:
    """The manifest, once its digest matches and its format and schema version are ours."""
    if MANIFEST_NAME not in received or MANIFEST_DIGEST_NAME not in received:
        raise ArchiveError(f"{archive} has no manifest; it is not a naswot-db archive")
    stated = (staging / MANIFEST_DIGEST_NAME).read_text().strip()
    if received[MANIFEST_NAME][1] != stated:
        raise ArchiveError(f"checksum mismatch for the manifest of {archive}: the archive is "
                           "corrupt; nothing was written")
    try:
        manifest = loads_untrusted((staging / MANIFEST_NAME).read_bytes())
    except ValueError as exc:
        raise ArchiveError(f"the manifest of {archive} is not JSON: {exc}") from None
    if not isinstance(manifest, dict) or manifest.get("format") != ARCHIVE_FORMAT:
        raise ArchiveError(f"{archive} is not a naswot-db archive (manifest format "
                           f"{manifest.get('format') if isinstance(manifest, dict) else None!r})")
    if manifest.get("format_version") != FORMAT_VERSION:
        raise ArchiveError(f"{archive} is archive format {manifest.get('format_version')!r}; "
                           f"this naswot-db reads format {FORMAT_VERSION}")
    if manifest.get("schema_version") != SCHEMA_VERSION:
        raise ArchiveError(f"{archive} holds schema version {manifest.get('schema_version')!r}; "
                           f"this naswot-db reads version {SCHEMA_VERSION}: use a matching "
                           "naswot-db release or ask for a repacked archive")
    return manifest


def _manifest_files(archive: Path, manifest: dict[str, Any], archive_size: int,
                    max_rows: int) -> list[ArchiveFile]:
    """The manifest's file list, each entry at the one path its table and space allow, with
    sizes the archive can hold and at most ``max_rows`` rows in all."""
    try:
        files = [ArchiveFile(path=str(f["path"]), table=str(f["table"]),
                             space=None if f["space"] is None else str(f["space"]),
                             rows=_count(f["rows"]), size=_count(f["size"]),
                             sha256=str(f["sha256"]))
                 for f in manifest["files"]]
    except (KeyError, TypeError, ValueError) as exc:
        raise ArchiveError(f"the manifest of {archive} has a malformed file list: {exc!r}") from None
    if sum(entry.size for entry in files) > archive_size:
        raise ArchiveError(f"the manifest of {archive} lists {sum(e.size for e in files)} bytes "
                           f"of files, more than the {archive_size}-byte archive can hold: the "
                           "archive is corrupt; nothing was written")
    rows = sum(entry.rows for entry in files)
    if rows > max_rows:
        raise ArchiveError(f"{archive} holds {rows:,} rows, more than the {max_rows:,} a fetch "
                           "takes (--max-rows); nothing was written")
    for entry in files:
        if entry.table not in TABLES or entry.path != member_path(entry.table, entry.space):
            raise ArchiveError(f"the manifest of {archive} lists {entry.path!r} as table "
                               f"{entry.table!r}, space {entry.space!r}, which do not match")
        if entry.space is not None:
            try:
                known = canonical_space(entry.space) == entry.space
            except UnknownNameError:
                known = False
            if not known:
                raise ArchiveError(f"{archive} holds space {entry.space!r}, which this "
                                   "naswot-db does not know")
    if len({entry.path for entry in files}) != len(files):
        raise ArchiveError(f"the manifest of {archive} lists a file twice")
    return files


def _count(value: Any) -> int:
    """A row or byte count of the manifest: a non-negative integer, nothing else."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError(f"{value!r} is not a count")
    return value


def _check_parquet(archive: Path, entry: ArchiveFile, path: Path) -> None:
    """The file is Parquet of ``entry``'s table, this schema version, with the stated rows."""
    try:
        metadata = pq.read_metadata(path)
    except Exception as exc:  # noqa: BLE001 - Arrow raises several types for a bad file
        raise ArchiveError(f"{entry.path} in {archive} is not a readable Parquet file: "
                           f"{exc}") from None
    stamped = metadata.schema.to_arrow_schema().metadata or {}
    version = stamped.get(b"naswot_db.schema_version", b"?").decode()
    table = stamped.get(b"naswot_db.table", b"?").decode()
    if version != str(SCHEMA_VERSION) or table != entry.table:
        raise ArchiveError(f"{entry.path} in {archive} is table {table!r} of schema version "
                           f"{version}; expected {entry.table!r} of version {SCHEMA_VERSION}")
    expected = TABLES[entry.table].file_schema()
    found = metadata.schema.to_arrow_schema()
    # as in a root, a part may lack nullable columns (read as NULL), nothing else may differ
    foreign = [f.name for f in found if expected.get_field_index(f.name) < 0
               or expected.field(f.name).type != f.type]
    absent = [f.name for f in expected if not f.nullable and found.get_field_index(f.name) < 0]
    if foreign or absent:
        raise ArchiveError(f"{entry.path} in {archive} does not have the {entry.table} columns "
                           f"of schema version {SCHEMA_VERSION} (unexpected "
                           f"{foreign or 'none'}, missing {absent or 'none'})")
    if metadata.num_rows != entry.rows:
        raise ArchiveError(f"{entry.path} in {archive} holds {metadata.num_rows} rows; the "
                           f"manifest says {entry.rows}")
