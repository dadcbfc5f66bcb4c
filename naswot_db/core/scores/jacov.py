"""The Jacobian-covariance score of the NASWOT paper's first version (Suite-Zero's ``jacov``)."""

from naswot_db.core.scores import NAN_SENTINEL, ScoreInfo, describe

INFO = describe(ScoreInfo(
    name="jacov",
    citation="Mellor et al., Neural Architecture Search without Training, arXiv:2006.04647v1 "
             "(2020), the Jacobian-covariance score",
    implementation="naswot_db.builder.scoring.jacov:JacovScorer",
    needs_gradients=True,
    suite_zero=True,
    naslib_name="jacov",
    class_head=True,
    settings=(NAN_SENTINEL,),
))
