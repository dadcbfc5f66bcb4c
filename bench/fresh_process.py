"""Run ``naswot-db`` (or a Python script) in a fresh process; report its wall time and peak memory.

The child runs the CLI exactly as ``python -m naswot_db`` does (a script as ``python SCRIPT``
does), then prints its own peak
resident memory and whether torch or the builder got imported, so each figure belongs to that
one command (not to the benchmark's own process or earlier children).  The peak is Linux's
``VmHWM`` of the child's own address space: ``ru_maxrss`` would also count the parent's peak,
which Linux carries into a child started by fork and exec.
"""

from __future__ import annotations

import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

_CLI = ("sys.argv = ['naswot-db', *sys.argv[1:]]\n"
        "try:\n    runpy.run_module('naswot_db', run_name='__main__')\n"
        "except SystemExit:\n    pass\n")
_SCRIPT = "sys.argv = sys.argv[1:]\nrunpy.run_path(sys.argv[0], run_name='__main__')\n"
_REPORT = ("heavy = [m for m in ('torch', 'naswot_db.builder') if m in sys.modules]\n"
           "try:\n"
           "    with open('/proc/self/status') as status:\n"
           "        peak = next(int(l.split()[1]) for l in status if l.startswith('VmHWM')) / 1024\n"
           "except (OSError, StopIteration):\n"
           "    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024\n"
           "print(f'PROBE {peak:.0f} {\",\".join(heavy) or \"none\"}', file=sys.stderr)\n")


@dataclass(frozen=True)
class Run:
    wall_s: float
    peak_mb: float
    heavy: str  # torch / builder modules the command imported, or "none"
    stdout: str


def _run(runner: str, args: list[str], env: dict[str, str] | None, cwd: Path | None) -> Run:
    probe = "import resource, runpy, sys\n" + runner + _REPORT
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", probe, *args], env=env, cwd=cwd,
                          capture_output=True, text=True)
    wall = time.perf_counter() - start
    if done.returncode != 0 or "PROBE " not in done.stderr:
        raise RuntimeError(f"{' '.join(args)} failed: {done.stderr.strip()}")
    peak, heavy = done.stderr.rsplit("PROBE ", 1)[1].split()
    return Run(wall, float(peak), heavy, done.stdout)


def run_cli(args: list[str], env: dict[str, str] | None = None,
            cwd: Path | None = None) -> Run:
    """One fresh ``naswot-db ARGS`` process; raises if it fails."""
    return _run(_CLI, args, env, cwd)


def run_script(script: Path, args: list[str], env: dict[str, str] | None = None,
               cwd: Path | None = None) -> Run:
    """One fresh ``python SCRIPT ARGS`` process; raises if it fails."""
    return _run(_SCRIPT, [str(script), *args], env, cwd)


def best_run(args: list[str], repeats: int, env: dict[str, str] | None = None,
             cwd: Path | None = None) -> Run:
    """The fastest of ``repeats`` fresh runs (the machine is shared), with the highest peak."""
    runs = [run_cli(args, env, cwd) for _ in range(repeats)]
    fastest = min(runs, key=lambda r: r.wall_s)
    return Run(fastest.wall_s, max(r.peak_mb for r in runs), fastest.heavy, fastest.stdout)
