"""Fisher (Suite-Zero): per output channel 0.5 * mean_n (sum_hw act * grad)^2 on Conv/Linear
outputs, broadcast to every weight of the channel, summed."""

from naswot_db.scores import ScoreInfo, describe

INFO = describe(ScoreInfo(
    name="fisher",
    citation="Theis et al., Faster gaze prediction with dense networks and Fisher pruning, arXiv:1801.05787 (2018); as a zero-cost proxy: Abdelfattah et al., Zero-Cost Proxies for Lightweight NAS, ICLR 2021",
    implementation="naswot_db.builder.scoring.fisher:FisherScorer",
    needs_labels=True,
    needs_gradients=True,
    suite_zero=True,
    naslib_name="fisher",
))
