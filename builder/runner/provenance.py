"""Where and with what a build ran: the rows of the runs table."""

from __future__ import annotations

import json
import platform
import socket
from datetime import datetime, timezone
from importlib import metadata

import pyarrow as pa
import torch

_PACKAGES = ("naswot-db", "torch", "numpy", "scipy", "pyarrow", "duckdb", "nats_bench")


def package_versions() -> dict[str, str | None]:
    versions: dict[str, str | None] = {"python": platform.python_version()}
    for name in _PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = None
    return versions


def device_name(device: torch.device) -> str:
    if device.type == "cuda":
        return f"{device} ({torch.cuda.get_device_name(device)})"
    return f"cpu ({platform.processor() or platform.machine()}, {torch.get_num_threads()} threads)"


def utc_now() -> datetime:
    return datetime.now(timezone.utc)


def runs_row(run_id: str, started_at: datetime, finished_at: datetime | None,
             device: str, precision: str, config: dict, config_id: str,
             fingerprints: dict[int, str], rows_written: int) -> pa.Table:
    """One runs row describing a build invocation; ``device`` names where it scored."""
    return pa.Table.from_pylist([{
        "run_id": run_id,
        "started_at": started_at,
        "finished_at": finished_at,
        "host": socket.gethostname(),
        "device": device,
        "torch_version": torch.__version__,
        "package_versions": json.dumps(package_versions(), sort_keys=True),
        "precision": precision,
        "config": json.dumps(config, sort_keys=True),
        "config_id": config_id,
        "data_fingerprint": json.dumps({str(k): v for k, v in fingerprints.items()}),
        "rows_written": rows_written,
    }])
