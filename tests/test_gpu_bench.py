"""bench/gpu_throughput.py on the CPU, in an environment like the GPU machines': naswot-db
not installed (a bare checkout) and no duckdb, Ray, nats_bench or the query layer's libraries;
the scoring path must need none of them."""

from __future__ import annotations

import os
import site
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
# installed here, absent on the GPU machines (they have torch, numpy, scipy, pyarrow, click, tqdm)
ABSENT_THERE = ("duckdb", "duckdb_engine", "ray", "nats_bench", "pandas", "platformdirs",
                "pooch", "PIL", "sqlalchemy", "matplotlib", "requests")


def blocked_env(folder: Path) -> dict[str, str]:
    """For ``python -S``: the installed libraries without their ``.pth`` hooks (so not the
    editable naswot-db), and importing any of ABSENT_THERE fails, in child processes too."""
    for name in ABSENT_THERE:
        (folder / name).mkdir()
        (folder / name / "__init__.py").write_text(f"raise ImportError('{name} is blocked')\n")
    return {**os.environ, "PYTHONPATH": os.pathsep.join([str(folder), *site.getsitepackages()])}


def test_gpu_bench_runs_on_the_cpu_without_the_query_side_libraries(tmp_path):
    env = blocked_env(tmp_path)
    for probe in ("import duckdb", "import naswot_db"):  # blocked; not installed
        assert subprocess.run([sys.executable, "-S", "-c", probe], env=env, cwd=tmp_path,
                              capture_output=True).returncode != 0
    result = subprocess.run(
        [sys.executable, "-S", str(REPO / "bench" / "gpu_throughput.py"), "--device", "cpu",
         "--archs", "3", "--batch-size", "8", "--workers", "1,2", "--check-archs", "2"],
        env=env, capture_output=True, text=True, timeout=300, cwd=tmp_path)
    assert result.returncode == 0, result.stderr[-3000:]
    lines = result.stdout.strip().splitlines()
    assert lines[0].startswith("device cpu")
    assert [line.split(":")[0].strip() for line in lines[1:]] == [
        "local W=1", "local W=2", "ray", "max |score - CPU score|", "summary"]
    assert "skipped, Ray does not import" in lines[3]
    assert "0.000e+00 over 2 archs" in lines[4]  # CPU against CPU: bit-identical
    assert "archs/s" in lines[1] and "peak RSS" in lines[1]
