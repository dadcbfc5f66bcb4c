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
that a study reads, ``score = 'az_nas'``, registered on every connection;
:func:`naswot_db.query.az_nas_study.az_nas_scores` reads it for one space.
"""

from __future__ import annotations

AZ_NAS = "az_nas"
COMPONENTS = ("az_expressivity", "az_progressivity", "az_trainability")
COMPLEXITY = "flops"

AZ_NAS_MACRO = f"""
CREATE OR REPLACE MACRO az_nas_rows() AS TABLE
WITH parts AS (
    SELECT space, dataset, batch_size, init_seed, batch_seed, arch_id, score, value,
           config_id, reference_raises
    FROM scores WHERE score IN {COMPONENTS!r}
), complexity AS (
    SELECT space, dataset, arch_id, avg(value) AS value
    FROM scores WHERE score = '{COMPLEXITY}' GROUP BY ALL
), wide AS (
    SELECT p.space, p.dataset, p.batch_size, p.init_seed, p.batch_seed, p.arch_id,
           max(p.value) FILTER (WHERE p.score = '{COMPONENTS[0]}') AS c1,
           max(p.value) FILTER (WHERE p.score = '{COMPONENTS[1]}') AS c2,
           max(p.value) FILTER (WHERE p.score = '{COMPONENTS[2]}') AS c3,
           any_value(f.value) AS c4,
           count(DISTINCT p.score) AS parts,
           string_agg(DISTINCT p.config_id, '+' ORDER BY p.config_id) AS config_id,
           bool_or(p.reference_raises) AS reference_raises
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
       'ok' AS status, config_id, reference_raises
FROM ranked
"""


def register_az_nas(connection) -> None:
    """Create the ``az_nas_rows()`` table macro on ``connection``."""
    connection.execute(AZ_NAS_MACRO)
