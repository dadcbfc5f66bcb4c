#!/usr/bin/env bash
# The seed-robustness builds behind README "Seed robustness": NB201 archs of the Suite-Zero
# sample (../shared/data/suite-zero-nb201-sample/, the first ARCHS of its 200 CIFAR-10 archs),
# CIFAR-10 images from DATA, five init seeds; three batch seeds for the scores that read images
# (data-free scores repeat their value across batch seeds, so they get one).
# Usage: bench/stability_sample.sh ROOT DATA ARCH_IDS
set -euo pipefail
root=$1 data=$2 archs=$3
build() {  # score batch-size batch-seeds
    nice naswot-db build --space nb201 --dataset cifar10 --root "$root" --data-root "$data" \
        --arch-ids "$archs" --init-seeds 0-4 --threads 1 --quiet \
        --score "$1" --batch-size "$2" --batch-seeds "$3"
}
build meco 64 0-2
build naswot 64 0-2
build tenas_ntk 8 0-2
for score in az_expressivity az_progressivity az_trainability; do build "$score" 16 0; done
build tenas_lr 16 0
build swap 16 0-2
