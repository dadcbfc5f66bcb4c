"""The catalogue of export formats: one descriptor per format, each in its own file.

An :class:`ExportFormat` is a name, a help line and a ``write`` function from an
:class:`ExportRequest` to the paths it wrote; ``export --format`` takes its choices and help from
here, so a new format is one file.  Built-in formats are the modules of this package; installed
third-party formats are found through the entry point group ``naswot_db.exports`` (each pointing
at an :class:`ExportFormat`), loaded only when a name is not built in or every format is listed.

This module imports neither DuckDB nor the writers: the CLI reads it to parse ``--format``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from naswot_db.core.catalogue import Catalogue
from naswot_db.core.errors import NaswotDbError

if TYPE_CHECKING:
    from naswot_db.query.selection import Source

EXPORT_GROUP = "naswot_db.exports"


class UnknownExportError(NaswotDbError):
    """An ``export --format`` value names no built-in or installed format."""


@dataclass(frozen=True)
class ExportRequest:
    """What ``naswot-db export`` was asked for; None leaves the choice to the format."""

    source: Source  # an open query connection to the root
    output: Path    # the folder to write into
    space: str | None = None
    score: str | None = None
    dataset: str | None = None
    config_id: str | None = None
    batch_size: int | None = None


@dataclass(frozen=True)
class ExportFormat:
    """One export format: its ``--format`` name, its help clause and its writer."""

    name: str
    help: str
    write: Callable[[ExportRequest], list[Path]]  # writes atomically, returns the paths
    order: int = 100  # where it stands in ``--help`` (plug-ins last)


_EXPORTS: Catalogue[ExportFormat] = Catalogue(
    "export format", ExportFormat, __name__, __path__,
    spelling="lower case", group=EXPORT_GROUP)


def describe_export(export: ExportFormat) -> ExportFormat:
    """Add ``export`` to the catalogue; another format of the same name is refused."""
    return _EXPORTS.describe(export)


def _formats() -> list[ExportFormat]:
    return sorted(_EXPORTS.entries(), key=lambda f: (f.order, f.name))


def export_names() -> list[str]:
    """Every format's name, installed ones included."""
    return [export.name for export in _formats()]


def export_format(name: str) -> ExportFormat:
    """The descriptor of format ``name`` (any case); installed plug-ins too."""
    export = _EXPORTS.find(name)
    if export is None:
        raise UnknownExportError(f"unknown export format {name!r}; choose from "
                                 f"{', '.join(export_names())}")
    return export


def exports_help() -> str:
    """``export --format``'s help: every format's clause, plug-ins included."""
    return ("; ".join(f"{f.name}: {f.help}" for f in _formats())
            + f". Installed formats register under the entry point group {EXPORT_GROUP}.")
