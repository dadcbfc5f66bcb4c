"""Assisted REA (the NASWOT paper's AREA): REA seeded by stored scores, run in :mod:`..area`.

The paper runs it 50 times (the others 500).
"""

from . import BudgetJob, SearchMethod, describe_method


def _run(job: BudgetJob):
    from ...errors import QueryError
    from ..area import run_area

    if job.scores is None:
        raise QueryError("AREA needs stored scores")
    return run_area(job.tables, job.mutation, job.scores, job.runs, job.options.seed,
                    job.options.population, job.options.init_sample, job.options.rules())


METHOD = describe_method(SearchMethod(
    name="area",
    label="AREA",
    help="REA seeded with the best-scored of M archs",
    colour="C3",
    default_runs=50,
    uses_population=True,
    uses_scores=True,
    run=_run,
    order=3,
))
