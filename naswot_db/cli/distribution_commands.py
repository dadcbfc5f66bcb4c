"""``naswot-db pack``, ``fetch`` and ``export``: the commands that move a database between labs
and into other tools.  Only click is imported at load; none of them imports torch."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from naswot_db.distribution.limits import DEFAULT_DEADLINE_S, DEFAULT_MAX_BYTES, DEFAULT_MAX_ROWS

from .options import (
    LazyHelpOption, dataset_option, optional_score_option, root_option, space_option,
    spaces_option,
)

if TYPE_CHECKING:
    from naswot_db.distribution.exports.formats import ExportFormat


def _resolved(root: Path | None) -> Path:
    from naswot_db.schema import default_root

    return root if root is not None else default_root()


@click.command()
@root_option
@spaces_option("Only this space (repeatable) [default: every space of the root].")
@optional_score_option("Only this score [default: every score].")
@dataset_option(help_text="Only scores computed on this dataset.")
@click.option("--config-id", default=None, help="Only scores of this configuration.")
@click.option("--output", "-o", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="Archive file to write, e.g. nb201-naswot.tar.")
def pack(root: Path | None, spaces: tuple[str, ...], score: str | None, dataset: str | None,
         config_id: str | None, output: Path) -> None:
    """Write the root (or the selected scores and their spaces' ground truth) as one archive.

    Also writes ARCHIVE.sha256; publish both anywhere that serves files.
    """
    from naswot_db.distribution.pack import PackSelection, pack as pack_root

    summary = pack_root(_resolved(root), output, PackSelection(spaces, score, dataset, config_id))
    for entry in summary.files:
        click.echo(f"{entry.path}: {entry.rows} rows")
    click.echo(f"wrote {summary.archive} ({summary.size / 1e6:.2f} MB, sha256 {summary.sha256})")


@click.command()
@click.argument("source")
@root_option
@click.option("--sha256", default=None,
              help="Expected sha256 of the whole archive (the publisher's ARCHIVE.sha256).")
@click.option("--download-dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Where partial downloads are kept [default: the per-user cache folder].")
@click.option("--max-bytes", type=click.IntRange(min=1), default=DEFAULT_MAX_BYTES, show_default=True,
              help="Largest download accepted; a larger one is refused or cut and deleted.")
@click.option("--timeout", type=click.FloatRange(min=0, min_open=True), default=DEFAULT_DEADLINE_S,
              show_default=True, help="Seconds a download may take in all (what arrived is "
                                      "kept for a resume).")
@click.option("--max-rows", type=click.IntRange(min=1), default=DEFAULT_MAX_ROWS, show_default=True,
              help="Most rows an archive may hold (the merge holds them in memory).")
@click.option("--quiet", is_flag=True, help="No progress bar.")
def fetch(source: str, root: Path | None, sha256: str | None, download_dir: Path | None,
          max_bytes: int, timeout: float, max_rows: int, quiet: bool) -> None:
    """Verify the archive at SOURCE (http(s) URL or path) and merge it into the root.

    A stopped download resumes when the same command is run again.
    """
    from naswot_db.distribution.download import Limits
    from naswot_db.distribution.fetch import fetch as fetch_archive

    summary = fetch_archive(source, _resolved(root), sha256=sha256, download_dir=download_dir,
                            progress=not quiet, limits=Limits(max_bytes, timeout),
                            max_rows=max_rows)
    for part in summary.partitions:
        where = f"{part.table}/{part.space}" if part.space else part.table
        repeated = f", {part.repeated} repeated rows dropped" if part.repeated else ""
        click.echo(f"{where}: {part.added} rows added, {part.already_stored} already "
                   f"stored{repeated}")
    for name, citation in summary.manifest.get("citations", {}).items():
        click.echo(f"Please cite ({name}): {citation}", err=True)


def _export_format(_ctx, _param, name: str | None):
    from naswot_db.distribution.exports.formats import export_format

    return None if name is None else export_format(name)


def _exports_help() -> str:
    from naswot_db.distribution.exports.formats import exports_help

    return exports_help()


@click.command()
@click.option("--format", "fmt", required=True, callback=_export_format, cls=LazyHelpOption,
              help_text=_exports_help)
@root_option
@space_option(help_text="Space to export [default: the format's, see --format].")
@optional_score_option("Score to export [default: the format's, see --format].")
@dataset_option(help_text="Only scores computed on this dataset [default: every one, one task "
                          "each].")
@click.option("--config-id", default=None, help="Score configuration, when several exist.")
@click.option("--batch-size", type=int, default=None,
              help="Scoring batch size, when several exist.")
@click.option("--output", "-o", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="Folder to write into.")
def export(fmt: ExportFormat, root: Path | None, space: str | None, score: str | None,
           dataset: str | None, config_id: str | None, batch_size: int | None,
           output: Path) -> None:
    """Export scores for NASLib, Syne Tune, as plain CSV / Parquet files, or in an installed
    format."""
    from naswot_db.distribution.exports.formats import ExportRequest
    from naswot_db.query.selection import open_source

    with open_source(root) as source:
        written = fmt.write(ExportRequest(source, output, space, score, dataset, config_id,
                                          batch_size))
    for path in written:
        click.echo(f"wrote {path}")


COMMANDS = (pack, fetch, export)
