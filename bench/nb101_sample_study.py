"""The NASWOT paper's NB101 study on a built sample: rank correlations with bootstrap intervals.

    python bench/nb101_sample_study.py --root DB [--score naswot --score jacov] [--resamples 1000]

For every score built into ``DB`` for ``nb101`` (init seed 0, batch seed 0), pairs each arch's
score with the root's NB101 CIFAR-10 test accuracy at 108 epochs (the mean over seeds; on a root
without its own NB101 ground truth, the shipped labels), and prints the number of archs, Kendall
tau-b and Spearman rho with 95% percentile bootstrap intervals (archs resampled with
replacement), excluding non-finite scores as ``naswot-db corr`` does; once over every scored
cell and once without the cells the reference code raises on (as the paper's figure).  The
search table is ``naswot-db search --space nb101 --root DB``.

``--runs`` also prints every NB101 build run of the root: its ``--workers`` x threads, archs,
wall seconds, archs/s and the FLOPs of its archs' 128-channel networks per second (the work a
run's cells hold, so runs over different random cells of the space compare fairly).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

from naswot_db.query import connect
from naswot_db.query.stats import kendall_tau_b, spearman, usable


def paired(root: Path, score: str, as_reference: bool) -> tuple[np.ndarray, np.ndarray]:
    """Scores and accuracies; ``as_reference`` leaves out the cells the reference code raises on
    (NaN in the paper's NB101 correlation)."""
    rows = connect(root).execute(
        "SELECT value, accuracy FROM scored WHERE space = 'nb101' AND score = ? "
        f"{'AND NOT reference_raises ' if as_reference else ''}"
        "AND init_seed = 0 AND batch_seed = 0 AND acc_dataset = 'cifar10' AND acc_split = 'test' "
        "AND acc_epochs = 108 AND acc_seed IS NULL", [score]).fetchnumpy()
    return rows["value"].astype(float), rows["accuracy"].astype(float)


def interval(statistic, x: np.ndarray, y: np.ndarray, resamples: int,
             rng: np.random.Generator) -> tuple[float, float]:
    draws = [statistic(x[index], y[index])
             for index in (rng.integers(0, len(x), len(x)) for _ in range(resamples))]
    low, high = np.percentile(draws, [2.5, 97.5])
    return float(low), float(high)


def print_runs(root: Path) -> None:
    """Each NB101 build run: its split of the CPU and its throughput in archs and in FLOPs."""
    source = connect(root)
    runs = source.execute(
        "SELECT run_id, config, rows_written, epoch(finished_at) - epoch(started_at) AS seconds "
        "FROM runs WHERE json_extract_string(config, '$.space') = 'nb101' "
        "AND finished_at IS NOT NULL ORDER BY started_at").fetchall()
    for run_id, config_text, rows, seconds in runs:
        config = json.loads(config_text)
        ids = config["arch_ids"] or []
        flops = source.execute("SELECT sum(flops) FROM archs WHERE space = 'nb101' AND "
                               "arch_id IN (SELECT unnest(?::BIGINT[]))", [ids]).fetchone()[0]
        print(f"run {run_id}: --workers {config['workers']}, devices "
              f"{', '.join(config['worker_devices'])}; {rows} rows ({len(ids)} archs selected) "
              f"in {seconds:.1f} s = {rows / seconds:.3f} archs/s; FLOPs of their 128-channel "
              f"networks (a measure of the cells' work) {(flops or 0) / 1e12:.2f} T = "
              f"{(flops or 0) / 1e9 / seconds:.1f} G per s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", type=Path, required=True)
    parser.add_argument("--score", action="append", default=None)
    parser.add_argument("--resamples", type=int, default=1000)
    parser.add_argument("--runs", action="store_true", help="also each build run's throughput")
    args = parser.parse_args()
    if args.runs:
        print_runs(args.root)
    for score, as_reference in [(s, r) for s in args.score or ["naswot"] for r in (False, True)]:
        values, accuracy = paired(args.root, score, as_reference)
        keep = usable(values, accuracy)
        x, y = values[keep], accuracy[keep]
        rng = np.random.default_rng(0)
        tau, rho = kendall_tau_b(x, y), spearman(x, y)
        tau_ci = interval(kendall_tau_b, x, y, args.resamples, rng)
        rho_ci = interval(spearman, x, y, args.resamples, rng)
        print(f"{score}{' as the reference (raising cells left out)' if as_reference else ''}: "
              f"{len(values)} archs scored, {int(keep.sum())} used "
              f"({len(values) - int(keep.sum())} non-finite excluded); "
              f"Kendall tau-b {tau:.3f} [{tau_ci[0]:.3f}, {tau_ci[1]:.3f}], "
              f"Spearman {rho:.3f} [{rho_ci[0]:.3f}, {rho_ci[1]:.3f}] (95% bootstrap, "
              f"{args.resamples} resamples)")


if __name__ == "__main__":
    main()
