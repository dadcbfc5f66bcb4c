"""TE-NAS's number of linear regions (Chen et al., ICLR 2021) as AZ-NAS re-implements it per
architecture: distinct ReLU activation codes over a batch of Gaussian inputs."""

from naswot_db.core.scores import ScoreInfo, describe

INFO = describe(ScoreInfo(
    name="tenas_lr",
    label="TE-NAS linear regions",
    citation="Chen et al., Neural Architecture Search on ImageNet in Four GPU Hours: A "
             "Theoretically Inspired Perspective (TE-NAS), ICLR 2021",
    implementation="naswot_db.builder.scoring.tenas_lr:TenasLrScorer",
    needs_batch=False,
    notes=(
        "cvlab-yonsei/AZ-NAS NB201/ZeroShotProxy/compute_te_nas_score.py compute_RN_score (from "
        "VITA-Group/TENAS lib/procedures/linear_region_counter.py): one batch of N(0, 1) inputs "
        "of the build's batch shape, train mode, no_grad, the network's own init",
        "the code of an input: sign of the output of every nn.ReLU whose input is 4-D, "
        "concatenated; the reference's half-precision sum over codes of 1 / (number of codes "
        "equal to it) is the number of distinct codes, counted here exactly",
        "with every input distinct in a full-size network the count is at most the batch size "
        "and often equals it (the original TE-NAS counts 3000 3x3 crops on a 1-channel supernet)",
        "the Gaussian inputs are drawn from a generator seeded by the network's initial "
        "weights (builder/scoring/seeded_draws.py); data-free, so every batch seed repeats the "
        "value",
    ),
))
