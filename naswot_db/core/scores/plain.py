"""plain (Suite-Zero): sum of grad * weight (signed) over Conv/Linear weights of the cross-entropy
loss."""

from naswot_db.core.scores import NAN_SENTINEL, ScoreInfo, describe

INFO = describe(ScoreInfo(
    name="plain",
    citation="Abdelfattah et al., Zero-Cost Proxies for Lightweight NAS, ICLR 2021",
    implementation="naswot_db.builder.scoring.plain:PlainScorer",
    needs_labels=True,
    needs_gradients=True,
    suite_zero=True,
    naslib_name="plain",
    class_head=True,
    notes=(
        'Sums in float64 (reference: float32).',
        'Scored on the network with one output per class of the dataset.',
    ),
    settings=(NAN_SENTINEL,),
))
