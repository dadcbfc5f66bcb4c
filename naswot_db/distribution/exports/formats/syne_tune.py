"""A Syne Tune blackbox folder of one score (:mod:`..syne_tune`)."""

from pathlib import Path

from naswot_db.core.scores import DEFAULT_SCORE

from . import ExportFormat, ExportRequest, describe_export


def _write(request: ExportRequest) -> list[Path]:
    from ..syne_tune import export_syne_tune

    # a blackbox holds one score
    return export_syne_tune(request.source, request.output, request.space or "nb201",
                            request.score or DEFAULT_SCORE, request.dataset, request.config_id,
                            request.batch_size)


FORMAT = describe_export(ExportFormat(
    name="syne-tune",
    help=f"a blackbox folder (default space nb201, score {DEFAULT_SCORE})",
    write=_write,
    order=1,
))
