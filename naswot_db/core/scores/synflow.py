"""SynFlow (Suite-Zero): BN off, float64, absolute weights, an all-ones input; sum of
|theta * dR/dtheta| over Conv/Linear weights."""

from naswot_db.core.scores import NAN_SENTINEL, ScoreInfo, ScoreSetting, describe

INFO = describe(ScoreInfo(
    name="synflow",
    citation="Tanaka et al., Pruning neural networks without any data by iteratively conserving synaptic flow, NeurIPS 2020; as a zero-cost proxy: Abdelfattah et al., Zero-Cost Proxies for Lightweight NAS, ICLR 2021",
    implementation="naswot_db.builder.scoring.synflow:SynflowScorer",
    needs_batch=False,
    needs_gradients=True,
    changes_weights=True,
    suite_zero=True,
    naslib_name="synflow",
    class_head=True,
    notes=(
        "Stores the raw sum by default; setting log_compress=True applies Suite-Zero's sign-aware log.",
        'The signs are not restored: the build scores a copy that is discarded.',
        'Scored on the network with one output per class of the dataset.',
    ),
    settings=(NAN_SENTINEL, ScoreSetting(
        "log_compress", bool, False,
        "store Suite-Zero's sign-aware log of the sum (log s, -log -s) instead of the sum")),
))
