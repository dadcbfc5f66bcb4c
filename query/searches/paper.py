"""The NASWOT paper's NB201 search table (ICML 2021, Table 2(a)), printed beside a reproduction.

The numbers are the paper's (REFERENCE-FACTS.md section 6; NASWOT's rows as
``bench/reproduce_nb201.py`` lists them): mean and std over 500 runs (AREA 50) of the chosen
arch's 200-epoch accuracy, per paper column.  A row is shown only where the reproduction ran
the paper's settings: NB201, CIFAR-10 NASWOT scores, the 12,000 s budget, P 10, S 3, M 20,
12-epoch ``cifar10-valid`` fitness.
"""

from __future__ import annotations

from .compare import SearchComparison
from .result import BudgetSearchResult

# method, N -> {column label: (mean, std)}; AREA's test columns are not in the paper
_COLUMNS = ("C10 valid", "C10 test", "C100 valid", "C100 test", "IN16 valid", "IN16 test")
PAPER_NB201: dict[tuple[str, int | None], dict[str, tuple[float, float]]] = {
    key: dict(zip(_COLUMNS, cells)) for key, cells in {
        ("naswot", 10): ((89.14, 1.14), (92.44, 1.13), (68.50, 2.03), (68.62, 2.04),
                         (41.09, 3.97), (41.31, 4.11)),
        ("naswot", 100): ((89.55, 0.89), (92.81, 0.99), (69.35, 1.70), (69.48, 1.70),
                          (42.81, 3.05), (43.10, 3.16)),
        ("naswot", 1000): ((89.69, 0.73), (92.96, 0.81), (69.86, 1.21), (69.98, 1.22),
                           (43.95, 2.05), (44.44, 2.10)),
        ("rea", None): ((91.19, 0.31), (93.92, 0.30), (71.81, 1.12), (71.84, 0.99),
                        (45.15, 0.89), (45.54, 1.03)),
    }.items()}
PAPER_NB201[("area", None)] = {"C10 valid": (91.20, 0.27), "C100 valid": (71.95, 0.99),
                               "IN16 valid": (45.70, 1.05)}
PAPER_RUNS = {"naswot": 500, "rea": 500, "area": 50}
_PAPER_FITNESS = "cifar10-valid:x-valid@12"


def _paper_settings(result: BudgetSearchResult) -> bool:
    s = result.settings
    return (s.budget_s == 12_000 and s.fitness == _PAPER_FITNESS
            and (s.population, s.sample_size) == (10, 3)
            and s.init_sample in (None, 20) and s.tournament_replace and not s.keep_last
            and (s.scores is None or s.scores.split(",")[0].removesuffix(
                " shipped with naswot-db") == "naswot scores on cifar10"))


def paper_rows(comparison: SearchComparison) -> dict[tuple[str, int | None],
                                                     tuple[int, dict[str, tuple[float, float]]]]:
    """The paper's rows this comparison reproduces, keyed as :data:`PAPER_NB201`: the paper's
    runs and its cells."""
    if comparison.space != "nb201":
        return {}
    rows = {}
    sampled = comparison.best_of_n
    if (sampled is not None and sampled.config.score == "naswot"
            and sampled.dataset == "cifar10"):
        rows |= {(sampled.method, n): (PAPER_RUNS[m], cells)  # as the rows name best-of-N
                 for (m, n), cells in PAPER_NB201.items() if m == "naswot"}
    for result in comparison.budgeted:
        key = (result.settings.method, None)
        if key in PAPER_NB201 and _paper_settings(result):
            rows[key] = (PAPER_RUNS[key[0]], PAPER_NB201[key])
    return rows
