"""SWAP-Score (Peng et al., ICLR 2024): distinct sample-wise ReLU activation patterns over 16
images, averaged over Gaussian re-initialisations."""

from naswot_db.core.scores import ScoreInfo, describe

INFO = describe(ScoreInfo(
    name="swap",
    label="SWAP",
    citation="Peng et al., SWAP-NAS: Sample-Wise Activation Patterns for Ultra-fast NAS, ICLR 2024",
    implementation="naswot_db.builder.scoring.swap:SwapScorer",
    changes_weights=True,
    notes=(
        "pym1024/SWAP src/metrics/swap.py and correlation.py: the first 16 images of the build's "
        "batch (the reference: the first batch of an unshuffled loader), no labels",
        "32 repeats, each re-initialising Conv2d/Linear weights ~ N(0, 1), biases 0, BN gamma 1 "
        "beta 0; the score is the mean of the repeats' counts",
        "the re-initialisations are drawn from a generator seeded by the network's initial "
        "weights and the batch (builder/scoring/seeded_draws.py), not the reference's global "
        "seed, so a value depends only on its arch, init seed and batch",
        "a batch of fewer than 16 images is used whole",
    ),
))
