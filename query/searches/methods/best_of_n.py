"""Best-of-N: score N random archs, keep the best-scored (the NASWOT paper's search).

Not budgeted: one table row per N, with its baselines; it runs in :mod:`..best_of_n`.  Its label
names the score that ranks the N ("best of N by jacov"); by NASWOT's own score it is the paper's
NASWOT method, and ``naswot`` stays accepted as its name.
"""

from dataclasses import dataclass

from naswot_db.core.scores import DEFAULT_SCORE

from . import SearchMethod, describe_method

BEST_OF_N = "best-of-n"


@dataclass(frozen=True)
class _BestOfN(SearchMethod):
    def table_label(self, score: str) -> str:
        return "NASWOT" if score == DEFAULT_SCORE else super().table_label(score)


METHOD = describe_method(_BestOfN(
    name=BEST_OF_N,
    label="best of N by {score}",
    help="the best-scored of N random archs, a row per N with its baselines",
    colour="C0",
    budgeted=False,
    aliases=("naswot",),
    order=0,
))
