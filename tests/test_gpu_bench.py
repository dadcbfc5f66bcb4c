"""bench/gpu_throughput.py on the CPU, in an environment like the GPU machines' (no duckdb,
Ray, nats_bench or the query layer's libraries): the scoring path must not need them."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
# installed here, absent on the GPU machines (they have torch, numpy, scipy, pyarrow, click, tqdm)
ABSENT_THERE = ("duckdb", "duckdb_engine", "ray", "nats_bench", "pandas", "platformdirs",
                "pooch", "PIL", "sqlalchemy", "matplotlib", "requests")


def blocked_env(folder: Path) -> dict[str, str]:
    """An environment in which importing any of ABSENT_THERE fails, in every child process too."""
    for name in ABSENT_THERE:
        (folder / name).mkdir()
        (folder / name / "__init__.py").write_text(f"raise ImportError('{name} is blocked')\n")
    return {**os.environ, "PYTHONPATH": str(folder)}


def test_gpu_bench_runs_on_the_cpu_without_the_query_side_libraries(tmp_path):
    env = blocked_env(tmp_path)
    probe = subprocess.run([sys.executable, "-c", "import duckdb"], env=env, capture_output=True)
    assert probe.returncode != 0  # the block works
    result = subprocess.run(
        [sys.executable, str(REPO / "bench" / "gpu_throughput.py"), "--device", "cpu",
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
