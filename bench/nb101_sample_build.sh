#!/usr/bin/env bash
# The NB101 study's build, as run for the README: a uniform random sample of 10,000 NB101 cells
# (numpy default_rng(2026).choice(423624, 10000, replace=False), sorted), NASWOT at batch 128
# on CIFAR-10, in two halves built back to back: the cells at even positions with
# --workers 2 --threads 1, the odd ones with --workers 1 --threads 2 (two uniform samples of
# 5,000 cells each, so the halves also time the two ways to split a 2-core CPU on a 5,000-arch
# build; `bench/nb101_sample_study.py --runs` prints their throughput).  Each half's wall time
# and peak memory go to ROOT/../half_{a,b}.time; rerunning resumes.
#
#   bash bench/nb101_sample_build.sh DATA_ROOT ROOT [SCORE]
set -euo pipefail
data_root=$1 root=$2 score=${3:-naswot}
work=$(dirname "$root")
python - "$work" <<'PY'
import sys
import numpy as np
ids = np.sort(np.random.default_rng(2026).choice(423624, 10000, replace=False)).tolist()
for name, half in (("a", ids[0::2]), ("b", ids[1::2])):
    open(f"{sys.argv[1]}/half_{name}.txt", "w").write(",".join(map(str, half)))
PY
for spec in "a 2 1" "b 1 2"; do
  set -- $spec
  echo "half $1: --workers $2 --threads $3, start $(date -u +%FT%TZ)"
  /usr/bin/time -v -o "$work/half_$1.time" naswot-db build --space nb101 --dataset cifar10 \
    --score "$score" --data-root "$data_root" --arch-ids "$(cat "$work/half_$1.txt")" \
    --workers "$2" --threads "$3" --root "$root"
  echo "half $1: end $(date -u +%FT%TZ)"
done
