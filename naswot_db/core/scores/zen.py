"""Zen-score (Suite-Zero): re-initialised network, Gaussian inputs, log of the mean feature
perturbation plus the BatchNorm variance term."""

from naswot_db.core.scores import ScoreInfo, describe

INFO = describe(ScoreInfo(
    name="zen",
    citation="Lin et al., Zen-NAS: A Zero-Shot NAS for High-Performance Image Recognition, ICCV 2021",
    implementation="naswot_db.builder.scoring.zen:ZenScorer",
    needs_batch=False,
    changes_weights=True,
    suite_zero=True,
    naslib_name="zen",
    notes=(
        "Weights and Gaussian inputs come from a generator seeded with the seed setting (reference: torch's global generator), so the value depends on the arch and batch shape, not on the init seed.",
        "BatchNorm running statistics are reset first (the reference's copy never ran a forward).",
        'Networks without nn.AdaptiveAvgPool2d (NB101) are an error row.',
    ),
))
