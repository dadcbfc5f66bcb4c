"""What a researcher would write instead of ``naswot-db search --space nb201 --n 10,100,1000``.

pandas reads the shipped Parquet files, NumPy draws 500 runs per N on naswot-db's documented
random stream (so the numbers are naswot-db's: one stored replicate per arch, so the replicate
draw picks it), and the paper's table is printed.  Timed against the CLI by
bench/cli_latency.py.  Usage: ``python bench/search_script.py data/shipped``.
"""

import sys
from pathlib import Path

import numpy as np
import pandas as pd

COLUMNS = {"C10 valid": ("cifar10-valid", "x-valid"), "C10 test": ("cifar10", "ori-test"),
           "C100 valid": ("cifar100", "x-valid"), "C100 test": ("cifar100", "x-test"),
           "IN16 valid": ("ImageNet16-120", "x-valid"), "IN16 test": ("ImageNet16-120", "x-test")}
RUNS = 500

shipped = Path(sys.argv[1])
scores = pd.read_parquet(shipped / "scores" / "space=nb201", columns=["arch_id", "value", "time_s"],
                         filters=[("score", "==", "naswot")]).sort_values("arch_id")
labels = pd.read_parquet(shipped / "accuracies" / "space=nb201",
                         columns=["arch_id", "dataset", "split", "epochs", "seed", "accuracy"])
labels = labels[(labels.epochs == 200) & labels.seed.isna()].set_index(["dataset", "split"])
accuracy = np.stack([labels.loc[key].set_index("arch_id").accuracy.reindex(scores.arch_id)
                     .to_numpy() for key in COLUMNS.values()], axis=1)
value, time_s = scores.value.to_numpy(), scores.time_s.to_numpy()


def cells(rows: np.ndarray) -> list[str]:
    return [f"{m:.2f} ± {s:.2f}" for m, s in zip(rows.mean(axis=0), rows.std(axis=0))]


rng = np.random.default_rng(0)
print(f"{'method':26s}{'N':6s}" + "".join(f"{c:16s}" for c in COLUMNS) + "search time (s)")
first = []
for n in (10, 100, 1000):
    draws = rng.integers(0, len(value), (RUNS, n))
    rng.random((RUNS, n))  # the replicate draw
    ranked = np.where(np.isfinite(value[draws]), value[draws], -np.inf)
    best = ranked.argmax(axis=1)
    valid = np.isfinite(ranked[np.arange(RUNS), best])
    picked = accuracy[draws[np.arange(RUNS), best][valid]]
    times = time_s[draws].sum(axis=1)
    best_of_n = np.stack([column[draws].max(axis=1) for column in accuracy.T], axis=1)
    first.append(accuracy[draws[:, 0]])
    print(f"{'NASWOT':26s}{n:<6d}" + "".join(f"{c:16s}" for c in cells(picked))
          + f"{times.mean():.1f} ± {times.std():.1f}")
    print(f"{'best of N (ground truth)':26s}{n:<6d}" + "".join(f"{c:16s}" for c in cells(best_of_n)))
print(f"{'random arch':32s}" + "".join(f"{c:16s}" for c in cells(np.concatenate(first))))
print(f"{'optimal (best in space)':32s}" + "".join(f"{m:<16.2f}" for m in accuracy.max(axis=0)))
