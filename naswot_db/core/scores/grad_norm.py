"""grad_norm (Suite-Zero): sum over Conv/Linear layers of the L2 norm of the weight gradient of
the cross-entropy loss on the batch's labels."""

from naswot_db.core.scores import NAN_SENTINEL, ScoreInfo, describe

INFO = describe(ScoreInfo(
    name="grad_norm",
    citation="Abdelfattah et al., Zero-Cost Proxies for Lightweight NAS, ICLR 2021",
    implementation="naswot_db.builder.scoring.grad_norm:GradNormScorer",
    needs_labels=True,
    needs_gradients=True,
    suite_zero=True,
    naslib_name="grad_norm",
    class_head=True,
    notes=(
        'Per-layer norms and their sum in float64 (reference: float32).',
        'Scored on the network with one output per class of the dataset.',
    ),
    settings=(NAN_SENTINEL,),
))
