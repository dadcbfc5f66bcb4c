"""The AZ-NAS aggregate (Lee & Ham, CVPR 2024) as a query over stored scores.

AZ-NAS ranks a population of architectures by each of its four proxies (expressivity,
progressivity, trainability, and complexity = FLOPs) and scores an arch by the sum of
log(rank / N), with ``scipy.stats.rankdata``'s average ranks (ascending: the largest value
gets rank N).  The aggregate therefore depends on which archs are ranked together, so it is
computed at query time over what the root holds, never stored: a population is one (space,
score dataset, batch size, init seed, batch seed) of the three stored ``az_*`` scores, joined
with the arch's ``flops`` score (any replicate: FLOPs depend on the network only), and only
archs with all four values (none NaN) take part.  ``-inf`` components (the reference's NaN)
rank lowest.

``az_nas_rows()`` is a DuckDB table macro over the ``scores`` view with the ``scores`` columns
that a study reads, ``score = 'az_nas'``, registered on every connection; ``time_s`` is the sum
of the four rows' times (what scoring them one by one costs).  ``corr``/``search --score az_nas``
read it in place of the ``scores`` view (:func:`score_relation`);
:func:`naswot_db.query.az_nas_study.az_nas_scores` reads it for one space.
"""

from __future__ import annotations

from .errors import QueryError

AZ_NAS = "az_nas"
COMPONENTS = ("az_expressivity", "az_progressivity", "az_trainability")
COMPLEXITY = "flops"

AZ_NAS_MACRO = f"""
CREATE OR REPLACE MACRO az_nas_rows() AS TABLE
WITH parts AS (
    SELECT space, dataset, batch_size, init_seed, batch_seed, arch_id, score, value,
           config_id, reference_raises, time_s
    FROM scores WHERE score IN {COMPONENTS!r}
), complexity AS (
    SELECT space, dataset, arch_id, avg(value) AS value, avg(time_s) AS time_s
    FROM scores WHERE score = '{COMPLEXITY}' GROUP BY ALL
), wide AS (
    SELECT p.space, p.dataset, p.batch_size, p.init_seed, p.batch_seed, p.arch_id,
           max(p.value) FILTER (WHERE p.score = '{COMPONENTS[0]}') AS c1,
           max(p.value) FILTER (WHERE p.score = '{COMPONENTS[1]}') AS c2,
           max(p.value) FILTER (WHERE p.score = '{COMPONENTS[2]}') AS c3,
           any_value(f.value) AS c4,
           count(DISTINCT p.score) AS parts,
           string_agg(DISTINCT p.config_id, '+' ORDER BY p.config_id) AS config_id,
           bool_or(p.reference_raises) AS reference_raises,
           sum(p.time_s) + any_value(f.time_s) AS time_s
    FROM parts AS p
    JOIN complexity AS f USING (space, dataset, arch_id)
    GROUP BY p.space, p.dataset, p.batch_size, p.init_seed, p.batch_seed, p.arch_id
), usable AS (
    SELECT * FROM wide
    WHERE parts = 3 AND NOT (isnan(c1) OR isnan(c2) OR isnan(c3) OR isnan(c4))
), ranked AS (
    SELECT *,
        count(*) OVER population AS n,
        rank() OVER (population ORDER BY c1)
            + (count(*) OVER (PARTITION BY space, dataset, batch_size, init_seed, batch_seed, c1)
               - 1) / 2.0 AS r1,
        rank() OVER (population ORDER BY c2)
            + (count(*) OVER (PARTITION BY space, dataset, batch_size, init_seed, batch_seed, c2)
               - 1) / 2.0 AS r2,
        rank() OVER (population ORDER BY c3)
            + (count(*) OVER (PARTITION BY space, dataset, batch_size, init_seed, batch_seed, c3)
               - 1) / 2.0 AS r3,
        rank() OVER (population ORDER BY c4)
            + (count(*) OVER (PARTITION BY space, dataset, batch_size, init_seed, batch_seed, c4)
               - 1) / 2.0 AS r4
    FROM usable
    WINDOW population AS (PARTITION BY space, dataset, batch_size, init_seed, batch_seed)
)
SELECT space, dataset, batch_size, init_seed, batch_seed, arch_id, '{AZ_NAS}' AS score,
       ln(r1 / n) + ln(r2 / n) + ln(r3 / n) + ln(r4 / n) AS value,
       'ok' AS status, config_id, reference_raises, time_s
FROM ranked
"""


def register_az_nas(connection) -> None:
    """Create the ``az_nas_rows()`` table macro on ``connection``."""
    connection.execute(AZ_NAS_MACRO)


def score_relation(score: str, view: str = "scores") -> str:
    """What a study reads ``score``'s rows from: the aggregate's macro for ``az_nas`` (it is
    never stored), else ``view``."""
    return "az_nas_rows()" if score == AZ_NAS else view


def _stored_parts(connection, space: str | None, dataset: str | None) -> set[str]:
    return {row[0] for row in connection.execute(
        f"SELECT DISTINCT score FROM scores WHERE score IN {(*COMPONENTS, COMPLEXITY)!r} "
        "AND (? IS NULL OR space = ?) AND (? IS NULL OR dataset = ?)",
        [space, space, dataset, dataset]).fetchall()}


def has_az_nas_rows(connection, space: str | None = None, dataset: str | None = None) -> bool:
    """Whether the aggregate has a row in ``space``/``dataset`` (None: any); the macro runs only
    when its four scores are stored there."""
    if len(_stored_parts(connection, space, dataset)) < len(COMPONENTS) + 1:
        return False
    return bool(connection.execute(
        "SELECT count(*) FROM (SELECT 1 FROM az_nas_rows() WHERE (? IS NULL OR space = ?) "
        "AND (? IS NULL OR dataset = ?) LIMIT 1)", [space, space, dataset, dataset]
    ).fetchall()[0][0])


def az_nas_missing_error(connection, space: str, dataset: str | None) -> QueryError:
    """Why ``space`` (on ``dataset``) has no aggregate: the scores to build, or no arch with
    all four."""
    stored = _stored_parts(connection, space, dataset)
    missing = [name for name in (*COMPONENTS, COMPLEXITY) if name not in stored]
    on = f" on {dataset}" if dataset else ""
    if missing:
        return QueryError(f"{AZ_NAS} of {space}{on} needs the scores {', '.join(missing)} stored "
                          f"(naswot-db build --space {space} --score {','.join(missing)})")
    return QueryError(f"{AZ_NAS} of {space}{on}: no arch has {', '.join(COMPONENTS)} and "
                      f"{COMPLEXITY} all stored on one dataset, none NaN")
