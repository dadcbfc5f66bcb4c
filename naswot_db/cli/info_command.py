"""``naswot-db info``: what a root holds (spaces, ground truth, score configurations)."""

from __future__ import annotations

from pathlib import Path

import click

from .options import root_option

_INFO_FORMATS = ("table", "json", "markdown")


@click.command()
@root_option
@click.option("--format", "fmt", type=click.Choice(_INFO_FORMATS), default="table",
              show_default=True, help="Output format.")
def info(root: Path | None, fmt: str) -> None:
    """List a root's spaces: archs, ground truth, score configurations, shipped or own."""
    from naswot_db.query.formatting import render
    from naswot_db.query.info import root_info

    described = root_info(root)
    if fmt == "json":
        click.echo(described.to_json())
        return
    heading = "## " if fmt == "markdown" else ""
    blocks = [described.header()]
    for name, frame in described.sections().items():
        body = render(frame, fmt) if len(frame) else "(none)"
        blocks.append(f"{heading}{name}\n{body}")
    click.echo("\n\n".join(blocks))
