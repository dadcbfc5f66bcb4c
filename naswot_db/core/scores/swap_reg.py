"""Regularised SWAP-Score (Peng et al., ICLR 2024): SWAP times a Gaussian factor of the parameter
count, exp(-(params_K - mu)^2 / sigma)."""

from naswot_db.core.scores import ScoreInfo, describe

INFO = describe(ScoreInfo(
    name="swap_reg",
    label="SWAP (regularised)",
    citation="Peng et al., SWAP-NAS: Sample-Wise Activation Patterns for Ultra-fast NAS, ICLR 2024",
    implementation="naswot_db.builder.scoring.swap_reg:SwapRegScorer",
    changes_weights=True,
    notes=(
        "swap's value times cal_regular_factor of pym1024/SWAP src/metrics/swap.py: "
        "exp(-(P - mu)^2 / sigma), P = the network's parameter count in thousands",
        "mu = 1500 and sigma = 500000 are chosen here: the authors' public code takes them from "
        "its caller and names no values; they enter the config id",
        "P counts the network as the space builds it (NB201 and NATS-sss: a one-output "
        "classifier), so it differs from a 10-class network's count by the classifier rows",
    ),
))
