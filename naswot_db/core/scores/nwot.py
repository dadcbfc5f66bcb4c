"""nwot: NASLib's NASWOT (the v2 'updated' procedure): codes of every nn.ReLU's input, one
forward, slogdet.  Our exact reference procedure of the paper is ``naswot``."""

from naswot_db.core.scores import NAN_SENTINEL, ScoreInfo, describe

INFO = describe(ScoreInfo(
    name="nwot",
    citation="Mellor et al., Neural Architecture Search without Training, ICML 2021 (v2 code, as NASLib implements it)",
    implementation="naswot_db.builder.scoring.nwot:NwotScorer",
    suite_zero=True,
    naslib_name="nwot",
    notes=(
        'K is the exact integer kernel in float64 (reference: float32 matmuls, exact below 2**24 units).',
        'With labels in the batch, the codes come from the shared cross-entropy forward (the same train-mode forward values).',
    ),
    settings=(NAN_SENTINEL,),
))
