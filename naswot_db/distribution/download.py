"""Downloading an archive over HTTP(S) with a progress bar and resume of a partial download.

The bytes go to ``<download dir>/<url hash>-<name>.part`` (never into a root).  A transfer that
stops early keeps the partial file and the server's validator (ETag or Last-Modified) beside it;
the next attempt asks only for the rest (``Range`` with ``If-Range``, so a file that changed on
the server is fetched whole again).  A server that ignores ranges sends the whole file, which
replaces the partial one.

Every download is bounded: at most ``max_bytes`` (a larger ``Content-Length`` is refused before
a byte is written; a body that runs past it is cut and its partial file deleted, since it is
not the file asked for), at most ``deadline_s`` seconds in all and never :data:`_STALL_S`
seconds with less than :data:`_STALL_BYTES` received (both keep the partial file: what arrived
is a prefix of the file, and the next attempt resumes after it).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlparse

import platformdirs
import requests
import urllib3
from tqdm import tqdm

from naswot_db.core.errors import NaswotDbError
from naswot_db.schema.storage import APP_NAME

from .limits import DEFAULT_DEADLINE_S, DEFAULT_MAX_BYTES

_CHUNK = 1 << 16
_TIMEOUT_S = (15, 60)  # connect, read
_STALL_S, _STALL_BYTES = 60.0, 1024  # a transfer slower than this is stalled
_CONTENT_RANGE = re.compile(r"bytes (\d+)-(\d+)/(\d+|\*)")


class DownloadError(NaswotDbError):
    """A download that failed or stopped early (the partial file is kept for a resume)."""


def default_download_dir() -> Path:
    return platformdirs.user_cache_path(APP_NAME, appauthor=False) / "downloads"


def is_url(source: str) -> bool:
    return urlparse(source).scheme in ("http", "https")


def partial_path(url: str, folder: Path) -> Path:
    """Where the partial download of ``url`` lives (one file per URL)."""
    name = Path(unquote(urlparse(url).path)).name or "archive"
    safe = re.sub(r"[^A-Za-z0-9._-]", "_", name)
    return folder / f"{hashlib.sha256(url.encode()).hexdigest()[:16]}-{safe}.part"


@dataclass(frozen=True)
class Limits:
    """How much a download may write and how long it may take."""

    max_bytes: int = DEFAULT_MAX_BYTES
    deadline_s: float = DEFAULT_DEADLINE_S


def download(url: str, folder: Path | None = None, progress: bool = True,
             limits: Limits = Limits()) -> Path:
    """Download ``url`` (resuming a partial download of it); return the complete file."""
    return _download(url, folder, progress, limits, time.monotonic() + limits.deadline_s)


def _download(url: str, folder: Path | None, progress: bool, limits: Limits,
              deadline: float) -> Path:
    folder = folder or default_download_dir()
    folder.mkdir(parents=True, exist_ok=True)
    part = partial_path(url, folder)
    state_file = part.with_name(part.name + ".json")
    state = _read_state(state_file) if part.exists() else {}
    have = part.stat().st_size if part.exists() else 0
    headers = {"Accept-Encoding": "identity"}  # byte counts and ranges refer to the file itself
    if have and state.get("validator"):
        headers |= {"Range": f"bytes={have}-", "If-Range": state["validator"]}
    try:
        response = requests.get(url, headers=headers, stream=True,
                                timeout=(_TIMEOUT_S[0], min(_TIMEOUT_S[1], limits.deadline_s)))
    except requests.RequestException as exc:
        raise DownloadError(f"cannot download {url}: {exc}") from None
    with response:
        if response.status_code == 416 and have:  # nothing after byte ``have``
            if have == state.get("total"):
                return _finish(part, state_file)
            part.unlink()  # the partial file is not a prefix of what the server has now
            state_file.unlink(missing_ok=True)
            return _download(url, folder, progress, limits, deadline)
        if response.status_code not in (200, 206):
            raise DownloadError(f"cannot download {url}: HTTP {response.status_code} "
                                f"{response.reason}")
        offset = _resume_offset(response, have)
        total = _total_size(response, offset)
        if total is not None and total > limits.max_bytes:
            raise DownloadError(f"{url} is {total} bytes, more than the {limits.max_bytes} a "
                                "download may be (--max-bytes); nothing was written")
        validator = response.headers.get("ETag") or response.headers.get("Last-Modified")
        _write_state(state_file, {"url": url, "validator": validator, "total": total})
        with open(part, "r+b" if offset else "wb") as handle, tqdm(
                total=total, initial=offset, unit="B", unit_scale=True, unit_divisor=1024,
                desc=part.name.split("-", 1)[1][:-5], disable=not progress,
                dynamic_ncols=True) as bar:
            handle.seek(offset)
            handle.truncate()
            # read the raw body without urllib3's length check: every byte that arrived is
            # kept for the resume, and the size check below reports a short transfer
            response.raw.enforce_content_length = False
            try:
                _copy_body(response, handle, bar, url, limits, deadline)
            except (requests.RequestException, urllib3.exceptions.HTTPError) as exc:
                raise DownloadError(
                    f"download of {url} stopped after {handle.tell()} of {total or '?'} bytes "
                    f"({type(exc).__name__}); run the same command again to resume") from None
            except _TooLarge:
                handle.close()
                part.unlink()
                state_file.unlink(missing_ok=True)
                raise DownloadError(f"{url} sent more than the {limits.max_bytes} bytes a "
                                    "download may be (--max-bytes); the partial file is "
                                    "deleted") from None
            received = handle.tell()
    if total is not None and received != total:
        raise DownloadError(f"download of {url} stopped after {received} of {total} bytes; run "
                            "the same command again to resume")
    return _finish(part, state_file)


class _TooLarge(Exception):
    """The body ran past the size limit."""


def _copy_body(response: requests.Response, handle, bar: tqdm, url: str, limits: Limits,
               deadline: float) -> None:
    """Append the body to ``handle`` until it ends, it passes ``limits.max_bytes`` (raise
    :class:`_TooLarge`), the deadline passes or the transfer stalls (DownloadError)."""
    window_start, window_bytes = time.monotonic(), 0
    while True:
        # read1 returns what one socket read brings, so a trickling server cannot hold the
        # loop past the checks below for longer than the read timeout
        block = response.raw.read1(_CHUNK, decode_content=False)
        if not block:
            return
        if handle.tell() + len(block) > limits.max_bytes:
            raise _TooLarge
        handle.write(block)
        bar.update(len(block))
        now = time.monotonic()
        window_bytes += len(block)
        if now > deadline:
            raise DownloadError(f"download of {url} took longer than {limits.deadline_s:g} s "
                                f"(--timeout); {handle.tell()} bytes are kept, run the same "
                                "command again to resume")
        if now - window_start >= _STALL_S:
            if window_bytes < _STALL_BYTES:
                raise DownloadError(f"download of {url} stalled ({window_bytes} bytes in "
                                    f"{now - window_start:.0f} s); {handle.tell()} bytes are "
                                    "kept, run the same command again to resume")
            window_start, window_bytes = now, 0


def _resume_offset(response: requests.Response, have: int) -> int:
    """Where the body starts in the file: ``have`` for a matching 206, else 0 (whole file)."""
    if response.status_code != 206:
        return 0
    match = _CONTENT_RANGE.fullmatch(response.headers.get("Content-Range", "").strip())
    if not match or int(match.group(1)) != have:
        raise DownloadError(f"the server answered a resume of {response.url} with range "
                            f"{response.headers.get('Content-Range')!r}, not bytes {have}-")
    return have


def _total_size(response: requests.Response, offset: int) -> int | None:
    if response.status_code == 206:
        stated = _CONTENT_RANGE.fullmatch(response.headers["Content-Range"].strip()).group(3)
        return None if stated == "*" else int(stated)
    length = response.headers.get("Content-Length")
    return int(length) + offset if length is not None and length.isdigit() else None


def _finish(part: Path, state_file: Path) -> Path:
    """The complete download under its final name (``.part`` dropped)."""
    final = part.with_suffix("")
    os.replace(part, final)
    state_file.unlink(missing_ok=True)
    return final


def _read_state(path: Path) -> dict:
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return {}


def _write_state(path: Path, state: dict) -> None:
    path.write_text(json.dumps(state))
