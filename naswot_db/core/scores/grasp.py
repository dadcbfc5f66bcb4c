"""GraSP (Suite-Zero): sum of -theta * Hg over Conv/Linear weights (Hessian-gradient product of the
cross-entropy loss)."""

from naswot_db.core.scores import NAN_SENTINEL, ScoreInfo, describe

INFO = describe(ScoreInfo(
    name="grasp",
    citation="Wang et al., Picking Winning Tickets Before Training by Preserving Gradient Flow, ICLR 2020; as a zero-cost proxy: Abdelfattah et al., Zero-Cost Proxies for Lightweight NAS, ICLR 2021",
    implementation="naswot_db.builder.scoring.grasp:GraspScorer",
    needs_labels=True,
    needs_gradients=True,
    suite_zero=True,
    naslib_name="grasp",
    class_head=True,
    notes=(
        'Pass 1 is the shared cross-entropy pass; Hg is taken with autograd.grad instead of z.backward() (the same values).',
        'Sums in float64 (reference: float32).',
        'Scored on the network with one output per class of the dataset.',
    ),
    settings=(NAN_SENTINEL,),
))
