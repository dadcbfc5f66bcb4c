"""Zen-score (Suite-Zero): re-initialised network, Gaussian inputs, log of the mean feature
perturbation plus the BatchNorm variance term."""

from naswot_db.core.scores import GLOBAL_POOL, NAN_SENTINEL, ScoreInfo, ScoreSetting, describe

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
        "Needs an nn.AdaptiveAvgPool2d global pool (needs_network): a build on NB101, whose network pools with torch.mean, stops with an Error line when zen is named and skips zen with a note under suite-zero or all; scored directly, such a network is an error row.",
    ),
    settings=(NAN_SENTINEL, ScoreSetting(
        "seed", int, 0, "seed of the generator of its Gaussian weights and inputs")),
    needs_network=(GLOBAL_POOL,),
))
