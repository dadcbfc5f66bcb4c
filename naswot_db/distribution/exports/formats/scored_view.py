"""The ``scored`` view as plain files, one per space: CSV or Parquet (:mod:`..tables`)."""

from pathlib import Path

from . import ExportFormat, ExportRequest, describe_export


def _writer(suffix: str):
    def write(request: ExportRequest) -> list[Path]:
        from ..tables import export_tables

        return export_tables(request.source, request.output, suffix, request.space,
                             request.score, request.dataset, request.config_id,
                             request.batch_size)
    return write


CSV = describe_export(ExportFormat(
    name="csv", help="the scored view, one <space>.csv per space (default every scored space)",
    write=_writer("csv"), order=2))
PARQUET = describe_export(ExportFormat(
    name="parquet", help="the same as <space>.parquet", write=_writer("parquet"), order=3))
