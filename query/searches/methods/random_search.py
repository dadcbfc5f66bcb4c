"""Random search under a time budget (NAS-Bench-201's baseline), run in :mod:`..random_budget`."""

from . import BudgetJob, SearchMethod, describe_method


def _run(job: BudgetJob):
    from ..random_budget import run_random

    return run_random(job.tables, job.runs, job.options.seed, job.options.budget_s,
                      job.options.keep_last)


METHOD = describe_method(SearchMethod(
    name="random",
    label="random search",
    help="random archs trained until the budget is spent",
    colour="C7",
    run=_run,
    order=1,
))
