"""Cold start of the command line: what a user waits for on a fresh install.

Each command runs in a fresh process (``python -m naswot_db``) with an empty ``HOME`` and
working directory, so the root is the (missing) per-user one and the scores are the shipped
NB201 ones.  Prints the best wall time and peak memory of ``--repeats`` runs of each command
and whether it imported torch or the builder.  Targets: ``--help`` under 0.3 s, the NB201
search table under 1 s.  Usage: ``python bench/cli_latency.py [--repeats 5]``.
"""

from __future__ import annotations

import argparse
import os
import tempfile
from pathlib import Path

from fresh_process import best_run, run_cli

COMMANDS = {
    "naswot-db --help": (["--help"], 0.3),
    "naswot-db search --space nb201 --n 10,100,1000": (
        ["search", "--space", "nb201", "--n", "10,100,1000"], 1.0),
    "naswot-db info": (["info"], None),
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    options = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        home, cwd = Path(folder, "home"), Path(folder, "cwd")
        home.mkdir()
        cwd.mkdir()
        env = {k: v for k, v in os.environ.items() if k not in ("NASWOT_DB_ROOT", "XDG_DATA_HOME")}
        env["HOME"] = str(home)
        run_cli(["--help"], env, cwd)  # the first start warms the OS file cache once
        for label, (args, target) in COMMANDS.items():
            run = best_run(args, options.repeats, env, cwd)
            goal = f" (target < {target} s: {'met' if run.wall_s < target else 'MISSED'})" \
                if target else ""
            print(f"{label:48s} {run.wall_s:5.2f} s, peak RSS {run.peak_mb:4.0f} MB, "
                  f"imports torch/builder: {run.heavy}{goal}")


if __name__ == "__main__":
    main()
