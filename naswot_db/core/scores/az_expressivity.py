"""AZ-NAS expressivity (Lee & Ham, CVPR 2024): the sum over the stem and cell outputs of the
entropy of the normalised eigenvalues of the channel covariance."""

from naswot_db.core.scores import ScoreInfo, describe

# shared by the three AZ-NAS component descriptors
AZ_NAS_CITATION = ("Lee and Ham, AZ-NAS: Assembling Zero-Cost Proxies for Network Architecture "
                   "Search, CVPR 2024")
AZ_NAS_NOTES = (
    "cvlab-yonsei/AZ-NAS NB201/ZeroShotProxy/compute_az_nas_score.py: kaiming-normal fan-in "
    "re-initialisation (biases 0, BN gamma 1 beta 0), N(0, 1) inputs of the build's batch "
    "shape (the reference: its loader's batch, 64), train mode, float32",
    "features: the stem's output and every cell's (NB201, NATS-sss) or every weighted "
    "layer's (NB101: stem and cells, the max-pools skipped) output",
    "weights, inputs and Rademacher signs are drawn from a generator seeded by the "
    "network's initial weights (builder/scoring/seeded_draws.py), not the reference's "
    "global seed; data-free, so every batch seed repeats the value",
    "NaN becomes -inf as in the reference; the AZ-NAS aggregate over a population is the "
    "query-side score az_nas (query/az_nas.py)",
)

INFO = describe(ScoreInfo(
    name="az_expressivity",
    label="AZ-NAS expressivity",
    citation=AZ_NAS_CITATION,
    implementation="naswot_db.builder.scoring.az_expressivity:AzExpressivityScorer",
    needs_batch=False,
    needs_gradients=False,
    changes_weights=True,
    notes=AZ_NAS_NOTES,
))
