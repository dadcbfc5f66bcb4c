"""A build CLI process killed (SIGKILL) once it has stored some parts: what a crash leaves."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path


def one_thread_env() -> dict[str, str]:
    """The environment of a build subprocess: one OpenMP thread, as a loaded CI machine."""
    return {**os.environ, "OMP_NUM_THREADS": "1"}


def kill_after_parts(args: list[str], root: Path, parts: int, space: str = "nb201") -> None:
    """Run ``args`` and kill it with SIGKILL as soon as ``parts`` score parts have landed."""
    process = subprocess.Popen(args, env=one_thread_env(), stdout=subprocess.DEVNULL,
                               stderr=subprocess.PIPE)
    folder = root / "scores" / f"space={space}"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and len(list(folder.glob("*.parquet"))) < parts:
        assert process.poll() is None, process.stderr.read().decode()
        time.sleep(0.05)
    process.send_signal(signal.SIGKILL)
    process.wait()
