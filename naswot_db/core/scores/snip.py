"""SNIP (Suite-Zero): sum of |grad * weight| over Conv/Linear weights of the cross-entropy loss."""

from naswot_db.core.scores import NAN_SENTINEL, ScoreInfo, describe

INFO = describe(ScoreInfo(
    name="snip",
    citation="Lee et al., SNIP: Single-shot Network Pruning based on Connection Sensitivity, ICLR 2019; as a zero-cost proxy: Abdelfattah et al., Zero-Cost Proxies for Lightweight NAS, ICLR 2021",
    implementation="naswot_db.builder.scoring.snip:SnipScorer",
    needs_labels=True,
    needs_gradients=True,
    suite_zero=True,
    naslib_name="snip",
    class_head=True,
    notes=(
        "|dL/dW * W| of the weight gradient instead of a weight mask's gradient (the same values).",
        'Sums in float64 (reference: float32).',
        'Scored on the network with one output per class of the dataset.',
    ),
    settings=(NAN_SENTINEL,),
))
