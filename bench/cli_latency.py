"""Cold start of the command line: what a user waits for on a fresh install.

Each command runs in a fresh process (``python -m naswot_db``) with an empty ``HOME`` and
working directory, so the root is the (missing) per-user one and the scores are the shipped
NB201 ones.  Prints the best wall time and peak memory of ``--repeats`` runs of each command
and whether it imported torch or the builder.  Targets: ``--help`` under 0.3 s, the NB201
search table under 1 s.  Then that search against bench/search_script.py (the pandas/NumPy
script a researcher would write for the same table from the same shipped Parquet files) in
fresh processes, interleaved round by round: both times, the ratio CLI / script with its
spread over the rounds (target: at most 1.0x), peak memory, and a check that both printed the
same numbers.  Usage: ``python bench/cli_latency.py [--repeats 5] [--rounds 15]``.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import tempfile
from pathlib import Path

import numpy as np

from fresh_process import best_run, run_cli, run_script
from naswot_db.schema import shipped_root

SEARCH = ["search", "--space", "nb201", "--n", "10,100,1000"]
SCRIPT = Path(__file__).with_name("search_script.py")

COMMANDS = {
    "naswot-db --help": (["--help"], 0.3),
    "naswot-db search --space nb201 --n 10,100,1000": (
        ["search", "--space", "nb201", "--n", "10,100,1000"], 1.0),
    "naswot-db info": (["info"], None),
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--rounds", type=int, default=15, help="CLI vs script rounds")
    options = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        home, cwd = Path(folder, "home"), Path(folder, "cwd")
        home.mkdir()
        cwd.mkdir()
        # an installed package has its bytecode: a PYTHONDONTWRITEBYTECODE of this shell would
        # charge the CLI a compile of every module on every start, and the one-file script not
        env = {k: v for k, v in os.environ.items()
               if k not in ("NASWOT_DB_ROOT", "XDG_DATA_HOME", "PYTHONDONTWRITEBYTECODE")}
        env["HOME"] = str(home)
        run_cli(["--help"], env, cwd)  # the first start warms the OS file cache once
        for label, (args, target) in COMMANDS.items():
            run = best_run(args, options.repeats, env, cwd)
            goal = f" (target < {target} s: {'met' if run.wall_s < target else 'MISSED'})" \
                if target else ""
            print(f"{label:48s} {run.wall_s:5.2f} s, peak RSS {run.peak_mb:4.0f} MB, "
                  f"imports torch/builder: {run.heavy}{goal}")
        versus_script(options.rounds, env, cwd)


def _numbers(text: str) -> list[str]:
    """The table's "mean ± std" cells, in order."""
    return re.findall(r"\d+\.\d+ ± \d+\.\d+", text)


def versus_script(rounds: int, env: dict[str, str], cwd: Path) -> None:
    """The NB201 search table: the CLI and the script alternately, each in a fresh process."""
    shipped = [str(shipped_root())]
    cli, script = run_cli(SEARCH, env, cwd), run_script(SCRIPT, shipped, env, cwd)
    assert _numbers(cli.stdout) == _numbers(script.stdout) and _numbers(cli.stdout), \
        "the CLI and the script printed different tables"
    clis, scripts = [], []
    for _ in range(rounds):
        clis.append(run_cli(SEARCH, env, cwd))
        scripts.append(run_script(SCRIPT, shipped, env, cwd))
    ratios = np.array([c.wall_s / s.wall_s for c, s in zip(clis, scripts)])
    print(f"NB201 search table, {rounds} interleaved rounds (fresh processes, same numbers): "
          f"naswot-db {statistics.median(c.wall_s for c in clis):.3f} s "
          f"(peak {max(c.peak_mb for c in clis):.0f} MB), pandas/NumPy script "
          f"{statistics.median(s.wall_s for s in scripts):.3f} s "
          f"(peak {max(s.peak_mb for s in scripts):.0f} MB); ratio {np.median(ratios):.2f}x "
          f"(quartiles {np.quantile(ratios, 0.25):.2f}-{np.quantile(ratios, 0.75):.2f}x)")


if __name__ == "__main__":
    main()
