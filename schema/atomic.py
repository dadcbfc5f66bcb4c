"""Files and folders that appear whole or not at all: the one atomic-write rule of the project.

Everything is written under a temporary name beside its target (``.tmp-<host>-<pid>-<uuid>-``,
so readers skip it and a later writer can tell whether its writer still lives), flushed to
disk, then renamed into place.  Parts, markers, archives and exports all go through here.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

_TMP_PREFIX = ".tmp-"
TEMP_PATTERN = re.compile(r"^\.tmp-(?P<host>.+?)-(?P<pid>\d+)-[0-9a-f]{32}-")


def is_temp(path: Path) -> bool:
    """A file still being written (or left by a killed writer), never read."""
    return path.name.startswith(_TMP_PREFIX)


def temp_name(final_name: str) -> str:
    """A temporary name for ``final_name`` that records this writer's host and pid."""
    return f"{_TMP_PREFIX}{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex}-{final_name}"


@contextmanager
def atomic_file(path: Path) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; flush it and rename it to ``path`` if the block
    succeeds, remove it otherwise."""
    tmp = path.with_name(temp_name(path.name))
    try:
        yield tmp
        with open(tmp, "rb") as handle:
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def atomic_write_bytes(path: Path, payload: bytes) -> None:
    """Write ``payload`` as the whole of ``path``, atomically."""
    with atomic_file(path) as tmp:
        tmp.write_bytes(payload)


@contextmanager
def atomic_folder(path: Path) -> Iterator[Path]:
    """Yield a temporary folder beside ``path``; put it in place of ``path`` if the block
    succeeds (an older folder there is removed only after the new one is in place)."""
    tmp = path.with_name(temp_name(path.name))
    tmp.mkdir(parents=True)
    old = path.with_name(temp_name(path.name))
    try:
        yield tmp
        if path.exists():
            os.replace(path, old)
        os.replace(tmp, path)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
        shutil.rmtree(old, ignore_errors=True)
