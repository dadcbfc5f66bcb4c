"""NASLib's zero-cost benchmark file ``zc_<space>.json`` and its sidecar (:mod:`..naslib`)."""

from pathlib import Path

from . import ExportFormat, ExportRequest, describe_export


def _write(request: ExportRequest) -> list[Path]:
    from ..naslib import export_naslib

    return export_naslib(request.source, request.output, request.space or "nb201",
                         [request.score] if request.score else None, request.dataset,
                         request.config_id, request.batch_size)


FORMAT = describe_export(ExportFormat(
    name="naslib",
    help="zc_<space>.json (default space nb201, every stored score)",
    write=_write,
    order=0,
))
