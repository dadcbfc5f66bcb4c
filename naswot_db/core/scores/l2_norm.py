"""l2_norm (Suite-Zero): sum over Conv/Linear layers of the L2 norm of the weights at init."""

from naswot_db.core.scores import NAN_SENTINEL, ScoreInfo, describe

INFO = describe(ScoreInfo(
    name="l2_norm",
    citation="Abdelfattah et al., Zero-Cost Proxies for Lightweight NAS, ICLR 2021",
    implementation="naswot_db.builder.scoring.l2_norm:L2NormScorer",
    needs_batch=False,
    suite_zero=True,
    naslib_name="l2_norm",
    class_head=True,
    notes=(
        'Norms and their sum in float64 (reference: float32).',
        "Scored on the network with one output per class of the dataset (the classifier's weight counts).",
    ),
    settings=(NAN_SENTINEL,),
))
