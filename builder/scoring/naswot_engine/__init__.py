"""NASWOT's fast engine: the reference's kernel in one recording pass (:mod:`.kernel`), the
plan of which hooked calls count, reused for a ``no_grad`` pass on the same model
(:mod:`.call_plan`), and the replayed forward of a static network (:mod:`.forward_tape`).

Only NASWOT's scorer (:mod:`naswot_db.builder.scoring.naswot`) uses it; every other score is
its own file beside it.
"""

from .call_plan import CallPlan, PlanCache
from .kernel import log_abs_det, naswot_kernel

__all__ = ["CallPlan", "PlanCache", "log_abs_det", "naswot_kernel"]
