"""Build workers never outlive the build process that started them.

A worker that survived a killed parent would keep writing rows while a restarted build scores
the same archs: duplicates.  On Linux the kernel delivers SIGKILL to the worker when its parent
dies (``prctl(PR_SET_PDEATHSIG)``); everywhere, a watchdog thread ends the worker as soon as
its parent process is gone.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import signal
import sys
import threading
import time

_PR_SET_PDEATHSIG = 1
_WATCH_SECONDS = 0.5


def _kernel_kills_on_parent_death() -> None:
    libc = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)
    libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)


def _watch(parent_pid: int) -> None:
    while os.getppid() == parent_pid:
        time.sleep(_WATCH_SECONDS)
    os._exit(1)  # parent gone: stop now, without flushing rows a restart will redo


def die_with_parent(parent_pid: int) -> None:
    """Call first thing in a worker: end this process when ``parent_pid`` dies."""
    if sys.platform.startswith("linux"):
        _kernel_kills_on_parent_death()
    if os.getppid() != parent_pid:  # the parent died before the signal was armed
        os._exit(1)
    threading.Thread(target=_watch, args=(parent_pid,), daemon=True,
                     name="parent-watchdog").start()
