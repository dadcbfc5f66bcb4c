"""``naswot-db stability``: how much each stored score moves with the init seed and the batch."""

from __future__ import annotations

from pathlib import Path

import click

from .options import format_option, root_option, space_option


@click.command()
@root_option
@space_option(required=True)
@click.option("--score", "scores", default=None,
              help="Comma-separated scores [default: every score stored for the space].")
@click.option("--dataset", default=None, help="Only scores on this dataset.")
@click.option("--target", default=None, metavar="DATASET:SPLIT[@EPOCHS]",
              help="Accuracy target [default: the space's first default target].")
@format_option
def stability(root: Path | None, space: str, scores: str | None, dataset: str | None,
              target: str | None, fmt: str) -> None:
    """Replicate agreement across init seeds, batch seeds and both, and the spread of each
    replicate's Spearman with accuracy, per score."""
    from naswot_db.query.formatting import render
    from naswot_db.query.stability import stability as study

    names = None if scores is None else [part.strip() for part in scores.split(",")]
    click.echo(render(study(root, space=space, scores=names, dataset=dataset, target=target),
                      fmt))
