"""Advisory locks that keep two writers of the same rows apart on one root.

A lock is ``ROOT/.locks/<name>.lock`` held with ``fcntl.flock``: the kernel releases it when
the holder's process dies, however it dies (``kill -9`` included), so a lock never outlives
its build.  The holder writes its host and pid into the file, so whoever is refused can be
told who holds it.  On a shared file system without working ``flock`` the readers' key
deduplication still shows each row once.
"""

from __future__ import annotations

import fcntl
import json
import os
import re
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from naswot_db.core.errors import NaswotDbError

LOCK_DIR = ".locks"


class LockHeldError(NaswotDbError):
    """Another live process holds the lock."""


def lock_path(root: Path, name: str) -> Path:
    """Where the lock called ``name`` lives (unsafe characters replaced)."""
    return Path(root) / LOCK_DIR / f"{re.sub(r'[^A-Za-z0-9._=-]', '_', name)}.lock"


def _holder(handle) -> str:
    handle.seek(0)
    try:
        holder = json.loads(handle.read() or "{}")
        return f"host {holder['host']}, pid {holder['pid']}"
    except (ValueError, KeyError, TypeError):
        return "a process that has not yet written its name"


@contextmanager
def exclusive(root: Path, name: str, what: str) -> Iterator[None]:
    """Hold the lock ``name`` on ``root`` for the ``with`` block, or raise at once.

    ``what`` names the work in the refusal, e.g. ``"a build of nb201 config 1a2b"``.
    """
    with _held(root, name, what, fcntl.LOCK_EX):
        yield


@contextmanager
def shared(root: Path, name: str, what: str) -> Iterator[None]:
    """Hold ``name`` together with other shared holders, refused while it is held exclusively
    (the shards of one build share the build's lock, which a whole build takes exclusively)."""
    with _held(root, name, what, fcntl.LOCK_SH):
        yield


@contextmanager
def _held(root: Path, name: str, what: str, mode: int) -> Iterator[None]:
    path = lock_path(root, name)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(os.open(path, os.O_RDWR | os.O_CREAT, 0o644), "r+") as handle:
        try:
            fcntl.flock(handle.fileno(), mode | fcntl.LOCK_NB)
        except BlockingIOError:
            raise LockHeldError(f"{what} is already running on {root} ({_holder(handle)}); "
                                "wait for it to finish or stop it, then rerun") from None
        handle.seek(0)
        handle.truncate()  # a shared lock names its latest holder
        handle.write(json.dumps({"host": socket.gethostname(), "pid": os.getpid()}))
        handle.flush()
        try:
            yield
        finally:
            if mode == fcntl.LOCK_EX:
                handle.seek(0)
                handle.truncate()  # a stale name would mislead; the lock dies with the fd
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
