"""Ends the processes of the local Ray instance a build started once the build's driver is gone.

Ray kills its head processes (GCS, raylet) with the driver, but the raylet's agents
(``ray::DashboardAgent``, ``ray::RuntimeEnvAgent``) notice the raylet's death by polling and
then try to report it to the GCS, which is dead too: they lingered 50 to 85 s after a
``kill -9`` of the driver (issue #24 item 13).  This watchdog runs beside the driver, reading a
pipe whose write end only the driver holds; end of file comes the moment the driver exits or
dies, however it ends, and the watchdog then kills every process that holds a file open in the
instance's session folder (each Ray process keeps its logs there), the driver excepted.

It runs as a plain script (``python ray_watchdog.py SESSION DRIVER_PID``) in its own session, so
a Ctrl-C to the build's process group does not stop it before it has cleaned up, and it imports
nothing but the standard library, so it starts in milliseconds and holds a few MiB.  Linux only
(``/proc``); elsewhere the driver does not start it.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

_ROUNDS = 10  # a killed process may leave a child that opened its log a moment later
_ROUND_PAUSE_S = 0.2


def session_processes(session: str, spared: set[int]) -> list[int]:
    """Pids of the processes (besides ``spared``) with a file open under ``session``."""
    prefix = session.rstrip("/") + "/"
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit() or int(entry) in spared:
            continue
        try:
            targets = (os.readlink(f"/proc/{entry}/fd/{fd}")
                       for fd in os.listdir(f"/proc/{entry}/fd"))
            if any(target.startswith(prefix) for target in targets):
                found.append(int(entry))
        except OSError:  # exited meanwhile, or not ours to read
            continue
    return found


def end_session(session: str, spared: set[int]) -> int:
    """SIGKILL the session's processes until none is left; return how many were killed."""
    killed = 0
    for _ in range(_ROUNDS):
        pids = session_processes(session, spared)
        if not pids:
            break
        for pid in pids:
            try:
                os.kill(pid, signal.SIGKILL)
                killed += 1
            except OSError:
                continue
        time.sleep(_ROUND_PAUSE_S)
    return killed


def start_watchdog(session: str) -> int | None:
    """Start the watchdog for ``session``; the returned pipe end is the driver's to hold (closing
    it, or the driver's death, sets the watchdog off).  None where ``/proc`` is missing."""
    if not Path("/proc/self/fd").is_dir():
        return None
    read_end, write_end = os.pipe()  # both close-on-exec: Ray's own children never inherit it
    try:
        subprocess.Popen([sys.executable, "-I", __file__, session, str(os.getpid())],
                         stdin=read_end, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                         start_new_session=True, close_fds=True)
    except OSError:
        os.close(write_end)
        return None
    finally:
        os.close(read_end)
    return write_end


def _watch(session: str, driver: int) -> None:
    """Wait for the driver's end of the pipe to close, then end the session."""
    while os.read(0, 4096):
        continue
    end_session(session, {os.getpid(), driver})


if __name__ == "__main__":
    _watch(sys.argv[1], int(sys.argv[2]))
