"""ZiCo (Li et al., ICLR 2023): per weight, the mean absolute gradient over its standard deviation
across batches, summed per layer and log-summed over Conv2d/Linear layers."""

from naswot_db.core.scores import ScoreInfo, describe

INFO = describe(ScoreInfo(
    name="zico",
    label="ZiCo",
    citation="Li et al., ZiCo: Zero-shot NAS via Inverse Coefficient of Variation on Gradients, "
             "ICLR 2023",
    implementation="naswot_db.builder.scoring.zico:ZicoScorer",
    needs_labels=True,
    needs_gradients=True,
    class_head=True,
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
        "scored on the network with one output per class of the dataset (class_head), as the "
        "reference's classifier; a one-output network would have a cross-entropy of 0",
        "needs a batch of at least 2 images",
    ),
))
