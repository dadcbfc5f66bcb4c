"""Regularised evolution under a time budget, run in :mod:`..rea`."""

from . import BudgetJob, SearchMethod, describe_method


def _run(job: BudgetJob):
    from ..rea import run_rea

    return run_rea(job.tables, job.mutation, job.runs, job.options.seed,
                   job.options.population, job.options.rules())


METHOD = describe_method(SearchMethod(
    name="rea",
    label="REA",
    help="regularised evolution",
    colour="C1",
    uses_population=True,
    run=_run,
    order=2,
))
