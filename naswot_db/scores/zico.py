"""ZiCo (Li et al., ICLR 2023): per weight, the mean absolute gradient over its standard deviation
across batches, summed per layer and log-summed over Conv2d/Linear layers."""

from naswot_db.scores import ScoreInfo, describe

INFO = describe(ScoreInfo(
    name="zico",
    label="ZiCo",
    citation="Li et al., ZiCo: Zero-shot NAS via Inverse Coefficient of Variation on Gradients, "
             "ICLR 2023",
    implementation="naswot_db.builder.scoring.zico:ZicoScorer",
    needs_labels=True,
    needs_gradients=True,
    notes=(
        "SLDGroup/ZiCo ZeroShotProxy/compute_zico.py, with its batches supplied as the MeCo "
        "repo's NB201 port does (correlation/foresight/pruners/measures/zico.py): the build's "
        "one batch split into two halves (first half, then second)",
        "the gradients are not zeroed between the halves (both the port and SLDGroup's getzico "
        "call backward without zero_grad), so the second sample is g1 + g2",
        "cross-entropy (mean) on the true labels, train mode, the network's own weights; "
        "std over the two samples is numpy's (ddof 0); statistics in float64 from float32 "
        "gradients (the reference: numpy float32)",
        "per Conv2d/Linear weight: entries with std 0 are dropped, S = sum(mean|g| / std), "
        "score = sum of log S over layers with S != 0",
        "needs a classifier with the dataset's classes: a one-output network (nb201, nats-sss "
        "and nb101 as the spaces build them for NASWOT) has a cross-entropy of 0 and no "
        "gradient, and is an error row; nb101-original (ten outputs) builds",
        "needs a batch of at least 2 images",
    ),
))
