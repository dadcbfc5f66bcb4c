"""Running the real CLI in a child process under hostile inputs and measuring what it cost.

:func:`run_measured` starts ``python -m naswot_db ...`` with a probe that, at exit, records
the process's peak resident memory (``VmHWM``: unlike ``ru_maxrss`` it is not inherited from
the test process) and the bytes it handed to ``write``
(``wchar`` of ``/proc/self/io``: files, pipes and temporary files alike), so a test can bound
both, and check that a refusal is one ``Error:`` line.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

_PROBE = """
import atexit, json, os, sys
def _report():
    io = dict(line.split(": ") for line in open("/proc/self/io").read().splitlines())
    status = dict(line.split(":", 1) for line in open("/proc/self/status").read().splitlines())
    with open(os.environ["NASWOT_TEST_MEASURE"], "w") as handle:
        json.dump({"rss_kb": int(status["VmHWM"].split()[0]), "wchar": int(io["wchar"])},
                  handle)
atexit.register(_report)
sys.argv = ["naswot-db", *sys.argv[1:]]
from naswot_db.cli import main
main()
"""


@dataclass(frozen=True)
class Measured:
    """A finished CLI run: exit status, output, peak RSS (MiB) and bytes written."""

    returncode: int
    stdout: str
    stderr: str
    peak_rss_mib: float
    written_bytes: int

    def assert_one_error_line(self, *fragments: str) -> str:
        """The run failed with exactly one ``Error:`` line holding every fragment (besides
        ``Note:`` lines, which say where the answer came from)."""
        lines = [line for line in self.stderr.splitlines()
                 if line.strip() and not line.startswith("Note: ")]
        assert self.returncode == 1, (self.returncode, self.stderr[-3000:])
        assert len(lines) == 1 and lines[0].startswith("Error: "), self.stderr[-3000:]
        for fragment in fragments:
            assert fragment in lines[0], lines[0]
        return lines[0]


def run_measured(tmp_path: Path, *args: str, env: dict[str, str] | None = None,
                 timeout: float = 300) -> Measured:
    """Run ``naswot-db ARGS`` in a child process and measure it."""
    measure = tmp_path / f"measure-{os.urandom(4).hex()}.json"
    environment = {**os.environ, "OMP_NUM_THREADS": "1", **(env or {}),
                   "NASWOT_TEST_MEASURE": str(measure)}
    done = subprocess.run([sys.executable, "-c", _PROBE, *args], env=environment,
                          capture_output=True, text=True, timeout=timeout)
    figures = json.loads(measure.read_text())
    print(f"naswot-db {' '.join(args)[:80]}: peak RSS {figures['rss_kb'] / 1024:.0f} MiB, "
          f"{figures['wchar']} bytes written")
    return Measured(done.returncode, done.stdout, done.stderr, figures["rss_kb"] / 1024,
                    figures["wchar"])
