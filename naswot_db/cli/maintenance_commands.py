"""``naswot-db check``, ``compact`` and ``migrate``: verify a root, merge its small parts, bring
an older root to this schema version."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from .options import root_option, space_option


def _root(root: Path | None) -> Path:
    from naswot_db.schema import default_root

    return Path(root) if root is not None else default_root()


@click.command()
@root_option
def check(root: Path | None) -> None:
    """Verify a root: manifest, every part's schema, duplicate score keys, temporary files of
    killed writers, ingest generations, runs' row counts. One line per finding; exit status 1
    when there is any."""
    from naswot_db.schema.checks import check_findings, manifest_summary

    resolved = _root(root)
    findings = check_findings(resolved)
    for finding in findings:
        click.echo(finding)
    if findings:
        click.echo(f"{len(findings)} problem(s) in {resolved}", err=True)
        sys.exit(1)
    click.echo(manifest_summary(resolved))


@click.command()
@root_option
@space_option(help_text="Only this space's scores [default: every scored space].")
@click.option("--grace", "grace_s", type=click.FloatRange(min=0), default=600.0,
              show_default=True,
              help="Seconds the replaced parts stay on disk (hidden) for queries in flight; "
                   "a later compact deletes them.")
def compact(root: Path | None, space: str | None, grace_s: float) -> None:
    """Rewrite each score partition's many small parts as a few large ones, each key once;
    record each finished run's rows as the rows of it present (after an interrupted or
    repaired build has been rerun).

    Safe while builds and queries run: a query sees every key once at every instant, parts a
    build adds meanwhile are kept, and the replaced parts stay readable for --grace seconds.
    """
    from naswot_db.schema.compaction import compact_root

    from naswot_db.schema.duckdb_limits import bounded_connection
    from naswot_db.schema.run_counts import recount_runs

    resolved = _root(root)
    compacted = compact_root(resolved, [space] if space else None, grace_s)
    if not compacted:
        click.echo(f"{resolved}: no scores to compact")
    with bounded_connection() as connection:
        for run_id, recorded, present in recount_runs(resolved, connection):
            click.echo(f"runs: run {run_id} recounted: {recorded} rows recorded, {present} "
                       "present now")
    for done in compacted:
        click.echo(f"{done.space}: {done.parts_before} parts, {done.rows_before:,} rows -> "
                   f"{done.parts_after} parts, {done.rows_after:,} rows; "
                   f"{done.parts_deleted} replaced parts deleted")


@click.command()
@root_option
def migrate(root: Path | None) -> None:
    """Bring a root of an older schema version to this one (any command that writes to the root
    does so too): version 2 numbered NB101 archs by file order, version 3 by module hash."""
    from naswot_db.schema import SCHEMA_VERSION, prepare_root
    from naswot_db.schema.storage import MANIFEST_NAME

    resolved = _root(root)
    if not (resolved / MANIFEST_NAME).exists():
        raise click.ClickException(f"{resolved} is not a naswot-db root")
    prepare_root(resolved)
    click.echo(f"{resolved}: schema version {SCHEMA_VERSION}")


COMMANDS = (check, compact, migrate)
