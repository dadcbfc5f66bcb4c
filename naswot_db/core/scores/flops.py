"""FLOPs (Suite-Zero baseline) of the network for one input image, in MFLOPs, from the space's own
complexity count."""

from naswot_db.core.scores import NAN_SENTINEL, ScoreInfo, describe

INFO = describe(ScoreInfo(
    name="flops",
    citation="Krishnakumar et al., NAS-Bench-Suite-Zero: Accelerating Research on Zero Cost Proxies, NeurIPS 2022",
    implementation="naswot_db.builder.scoring.flops:FlopsScorer",
    needs_batch=False,
    suite_zero=True,
    naslib_name="flops",
    class_head=True,
    notes=(
        "Counted on the network with one output per class of the dataset, for one image of the dataset's shape, with zeros as input (tensorwatch: torch.rand; counts do not depend on values).",
    ),
    settings=(NAN_SENTINEL,),
))
