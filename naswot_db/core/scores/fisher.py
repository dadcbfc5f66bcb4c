"""Fisher (Suite-Zero): per output channel 0.5 * mean_n (sum_hw act * grad)^2 on Conv/Linear
outputs, broadcast to every weight of the channel, summed."""

from naswot_db.core.scores import NAN_SENTINEL, ScoreInfo, describe

INFO = describe(ScoreInfo(
    name="fisher",
    citation="Theis et al., Faster gaze prediction with dense networks and Fisher pruning, arXiv:1801.05787 (2018); as a zero-cost proxy: Abdelfattah et al., Zero-Cost Proxies for Lightweight NAS, ICLR 2021",
    implementation="naswot_db.builder.scoring.fisher:FisherScorer",
    needs_labels=True,
    needs_gradients=True,
    suite_zero=True,
    naslib_name="fisher",
    class_head=True,
    notes=(
        'Sums in float64 (the reference adds float32 sums).',
        "Each layer call's own output is used with its gradient; the reference's hook reads the layer's last output (the same for layers called once, as in every space here).",
        'Scored on the network with one output per class of the dataset.',
    ),
    settings=(NAN_SENTINEL,),
))
