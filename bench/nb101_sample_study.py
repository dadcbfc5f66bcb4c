"""The NASWOT paper's NB101 study on a built sample: rank correlations with bootstrap intervals.

    python bench/nb101_sample_study.py --root DB [--score naswot --score jacov] [--resamples 1000]

For every score built into ``DB`` for ``nb101`` (init seed 0, batch seed 0), pairs each arch's
score with the root's NB101 CIFAR-10 test accuracy at 108 epochs (the mean over seeds; on a root
without its own NB101 ground truth, the shipped labels), and prints the number of archs, Kendall
tau-b and Spearman rho with 95% percentile bootstrap intervals (archs resampled with
replacement), excluding non-finite scores as ``naswot-db corr`` does; once over every scored
cell and once without the cells the reference code raises on (as the paper's figure).  The
search table is ``naswot-db search --space nb101 --root DB``.
"""

from __future__ import annotations

import argparse
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", type=Path, required=True)
    parser.add_argument("--score", action="append", default=None)
    parser.add_argument("--resamples", type=int, default=1000)
    args = parser.parse_args()
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
