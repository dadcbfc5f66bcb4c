"""Ship a finished whole-NB201 build's rows of several scores in data/shipped/, with provenance.

Usage:
    python tools/make_shipped_nb201_zc.py ROOT --score flops,params,synflow \
        --command "naswot-db build ..." --commit SHA [--dataset cifar10] [--archs 15625]

ROOT is a database root that a ``naswot-db build`` filled.  Each score configuration becomes
one compact Parquet file, ``scores/space=nb201/nb201-DATASET-SCORE-CONFIG.parquet``: the
table's columns only, schema version stamped as this release's, sorted by replicate and arch,
zstd level 19.  Values and times are copied as built; a configuration is refused unless every
replicate holds each of the space's archs exactly once, because a fresh install answers
whole-space questions from these files.  The provenance (command, commit, machine, wall time
from the runs rows, config ids, per-score counts and cost, file checksums) is appended to
data/shipped/PROVENANCE.md as one section, replacing an earlier section for the same scores.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
from dataclasses import dataclass
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from naswot_db.core.scores import canonical_score
from naswot_db.schema import SCORES, part_files, read_table
from naswot_db.schema.sql import view_sql
from naswot_db.schema.storage import conform, partition_dir

SPACE = "nb201"
ARCHS = 15_625
SHIPPED = Path(__file__).resolve().parents[1] / "data" / "shipped"


@dataclass(frozen=True)
class ShippedFile:
    """One written file and what the provenance says about it."""

    path: Path
    score: str
    config_id: str
    batch_size: int
    replicates: int
    archs: int
    statuses: dict[str, int]
    mean_time_s: float
    run_ids: list[str]


def build_rows(root: Path, dataset: str, score: str) -> pa.Table:
    """The root's own ``score`` rows on ``dataset`` (each key once, as the ``scores`` view
    keeps it), without the partition column and the old version stamp."""
    files = part_files(root, SCORES, SPACE)
    if not files:
        raise SystemExit(f"Error: {root} holds no {SPACE} scores")
    with duckdb.connect() as connection:
        connection.execute(view_sql(SCORES, files))
        return connection.sql(
            "SELECT * EXCLUDE (space, schema_version) FROM scores WHERE dataset = ? AND score = ? "
            "ORDER BY config_id, batch_size, init_seed, batch_seed, arch_id",
            params=[dataset, score]).to_arrow_table()


def check_complete(rows: pa.Table, archs: int) -> None:
    """Refuse a configuration unless each of its replicates holds archs 0..archs-1 once."""
    score = rows.column("score")[0].as_py()
    frame = rows.select(["arch_id", "init_seed", "batch_seed"]).to_pandas()
    for (init_seed, batch_seed), group in frame.groupby(["init_seed", "batch_seed"]):
        if not np.array_equal(group["arch_id"].to_numpy(), np.arange(archs)):
            raise SystemExit(f"Error: {score} replicate {init_seed},{batch_seed} holds "
                             f"{len(group):,} rows, not one per arch 0..{archs - 1}: "
                             "the build is not finished")


def write_configuration(rows: pa.Table, shipped: Path, dataset: str,
                        archs: int) -> ShippedFile:
    """Write one checked score configuration's rows as one shipped file (replacing an older
    one of the same score and configuration)."""
    score = rows.column("score")[0].as_py()
    config_id = rows.column("config_id")[0].as_py()
    batch_size = rows.column("batch_size")[0].as_py()
    directory = partition_dir(shipped, SCORES, SPACE)
    directory.mkdir(parents=True, exist_ok=True)
    target = directory / f"{SPACE}-{dataset}-{score}-{config_id}.parquet"
    pq.write_table(conform(SCORES, rows), target, compression="zstd", compression_level=19)
    statuses, counts = np.unique(rows.column("status").to_numpy(zero_copy_only=False),
                                 return_counts=True)
    replicates = len({(i, b) for i, b in zip(rows.column("init_seed").to_pylist(),
                                              rows.column("batch_seed").to_pylist())})
    return ShippedFile(target, score, config_id, batch_size, replicates, archs,
                       dict(zip(statuses.tolist(), counts.tolist())),
                       float(np.mean(rows.column("time_s").to_numpy())),
                       sorted(set(rows.column("run_id").to_pylist())))


def configurations(root: Path, dataset: str, score: str) -> list[pa.Table]:
    """The rows of each configuration of ``score`` in ``root``."""
    rows = build_rows(root, dataset, score)
    if rows.num_rows == 0:
        raise SystemExit(f"Error: {root} holds no {score} scores of {SPACE} on {dataset}")
    keys = rows.select(["config_id", "batch_size"]).to_pylist()
    starts = [i for i, key in enumerate(keys) if i == 0 or key != keys[i - 1]]
    return [rows.slice(start, stop - start)
            for start, stop in zip(starts, [*starts[1:], rows.num_rows])]


def cpu_model() -> str:
    """This machine's CPU model as /proc/cpuinfo names it (the platform's name elsewhere)."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def run_summary(root: Path, run_ids: set[str]) -> list[str]:
    """Provenance lines from the runs rows that wrote the shipped rows."""
    runs = [row for row in read_table(root, "runs").to_pylist() if row["run_id"] in run_ids]
    if not runs:
        return ["- Runs: no runs rows for these score rows in the root"]
    started = min(row["started_at"] for row in runs)
    finished = [row["finished_at"] for row in runs if row["finished_at"] is not None]
    wall = (f"{(max(finished) - started).total_seconds():,.0f} s wall "
            f"({started:%Y-%m-%d %H:%M} to {max(finished):%H:%M} UTC)"
            if len(finished) == len(runs) else "not finished (a run has no finished_at)")
    versions = json.loads(runs[0]["package_versions"])
    return [f"- Runs: {', '.join(sorted(run_ids))}; {wall}, host {runs[0]['host']}, device "
            f"{runs[0]['device']}, torch {runs[0]['torch_version']}, naswot-db "
            f"{versions.get('naswot-db')}, precision {runs[0]['precision']}"]


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def provenance_section(root: Path, dataset: str, files: list[ShippedFile], command: str,
                       commit: str, regenerate: str, notes: list[str]) -> str:
    """The Markdown section that PROVENANCE.md gets for ``files``."""
    names = ", ".join(dict.fromkeys(f.score for f in files))
    lines = [f"## NB201 {dataset} scores: {names} (`scores/space={SPACE}`, "
             "tools/make_shipped_nb201_zc.py)", "",
             f"- Source: a full `naswot-db build` of all {files[0].archs:,} archs at project "
             f"commit {commit}, on this machine: {os.cpu_count()} CPUs (`nproc`), "
             f"{cpu_model()}, CPU only:", "", f"      {command}", "",
             *run_summary(root, {run for f in files for run in f.run_ids}),
             *(f"- {note}" for note in notes),
             "- Files (values and times exactly as built; only the schema version stamp is this "
             "release's; one zstd-compressed Parquet file per score configuration):", "",
             "| score | file | config id | batch | replicates | rows ok / singular / error "
             "| s / arch (build + score) | size | sha256 |",
             "|---|---|---|---|---|---|---|---|---|"]
    for f in files:
        counts = " / ".join(f"{f.statuses.get(s, 0):,}" for s in ("ok", "singular", "error"))
        lines.append(f"| {f.score} | `{f.path.name}` | `{f.config_id}` | {f.batch_size} | "
                     f"{f.replicates} | {counts} | {f.mean_time_s:.3f} | "
                     f"{f.path.stat().st_size / 1024:,.0f} KB | `{sha256(f.path)}` |")
    lines += ["", f"- Regenerate: `{regenerate}`",
              "- Read by queries as NB201's scores wherever a root has no rows of its own for "
              "them (README, Where data lives); every output that uses them says so.", ""]
    return "\n".join(lines)


def replace_section(document: str, section: str) -> str:
    """``document`` with ``section`` appended, an earlier section of the same heading dropped."""
    heading = section.splitlines()[0]
    parts = document.rstrip("\n").split("\n## ")
    kept = [parts[0]] + [p for p in parts[1:] if f"## {p.splitlines()[0]}" != heading]
    return "\n## ".join(kept) + "\n\n" + section


def main(argv: list[str] | None = None) -> list[ShippedFile]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("root", type=Path)
    parser.add_argument("--score", required=True, help="comma-separated score names")
    parser.add_argument("--command", required=True, help="the build command, as run")
    parser.add_argument("--commit", required=True, help="project commit the build ran")
    parser.add_argument("--dataset", default="cifar10")
    parser.add_argument("--archs", type=int, default=ARCHS, help="archs a complete build holds")
    parser.add_argument("--shipped", type=Path, default=SHIPPED)
    parser.add_argument("--note", action="append", default=[],
                        help="a fact the root does not hold (load average, peak memory), as a "
                             "provenance bullet; repeatable")
    args = parser.parse_args(argv)
    scores = [canonical_score(name) for name in args.score.split(",") if name.strip()]
    chosen = [rows for score in scores for rows in configurations(args.root, args.dataset, score)]
    for rows in chosen:  # all checked before anything is written
        check_complete(rows, args.archs)
    files = [write_configuration(rows, args.shipped, args.dataset, args.archs) for rows in chosen]
    regenerate = (f"python tools/make_shipped_nb201_zc.py ROOT --score {','.join(scores)} "
                  f"--dataset {args.dataset} --command '...' --commit {args.commit}")
    provenance = args.shipped / "PROVENANCE.md"
    document = provenance.read_text() if provenance.exists() else "# Shipped tables\n"
    provenance.write_text(replace_section(document, provenance_section(
        args.root, args.dataset, files, args.command, args.commit, regenerate, args.note)))
    return files


if __name__ == "__main__":
    for shipped_file in main():
        print(f"{shipped_file.path} ({shipped_file.path.stat().st_size / 1024:,.0f} KB)")
