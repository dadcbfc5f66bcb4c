#!/usr/bin/env bash
# The seed-robustness builds behind README "Seed robustness": NB201 archs of the Suite-Zero
# sample (../shared/data/suite-zero-nb201-sample/, its 200 CIFAR-10 archs in index order),
# CIFAR-10 images from DATA, five init seeds; three batch seeds for the scores that read images
# (data-free scores repeat their value across batch seeds, so they get one).  Sized for a
# shared 2-core machine: MeCo on the first 40 archs, the others on the first 20, two chains at
# once.
# Usage: bench/stability_sample.sh ROOT DATA
set -euo pipefail
root=$1 data=$2
first40=0,50,100,150,350,450,600,750,800,900,1000,1050,1100,1150,1200,1250,1300,1350,1400,1450,1500,1550,1650,1750,1800,1850,1900,1950,2100,2150,2250,2300,2350,2400,2500,2550,2700,2800,2850,2900
first20=0,50,100,150,350,450,600,750,800,900,1000,1050,1100,1150,1200,1250,1300,1350,1400,1450
build() {  # archs score batch-size batch-seeds
    nice naswot-db build --space nb201 --dataset cifar10 --root "$root" --data-root "$data" \
        --arch-ids "$1" --init-seeds 0-4 --threads 1 --quiet \
        --score "$2" --batch-size "$3" --batch-seeds "$4"
}
build "$first40" meco 64 0-2 &
for score in az_expressivity az_progressivity az_trainability; do build "$first20" "$score" 16 0; done
build "$first20" tenas_ntk 8 0-2
wait
