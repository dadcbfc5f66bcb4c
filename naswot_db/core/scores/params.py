"""Parameter count (Suite-Zero baseline) of the network, in millions, from the space's own
complexity count."""

from naswot_db.core.scores import NAN_SENTINEL, ScoreInfo, describe

INFO = describe(ScoreInfo(
    name="params",
    citation="Krishnakumar et al., NAS-Bench-Suite-Zero: Accelerating Research on Zero Cost Proxies, NeurIPS 2022",
    implementation="naswot_db.builder.scoring.params:ParamsScorer",
    needs_batch=False,
    suite_zero=True,
    naslib_name="params",
    class_head=True,
    notes=(
        'Counted on the network with one output per class of the dataset; only modules a forward pass calls count (as tensorwatch).',
    ),
    settings=(NAN_SENTINEL,),
))
