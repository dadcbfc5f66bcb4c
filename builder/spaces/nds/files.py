"""Reading the NDS data files (``nds_data/<Name>.json`` from the NDS data.zip).

A file is a list of trained networks, or a dict ``{"top": [...], "mid": [...]}`` (the reruns
files), which NASWOT concatenates as top then mid.  An arch id is the entry's position in that
order.  Every entry is validated before any row is produced, so a bad entry stops the ingest
with its file, section and position, and nothing is written.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator

import pyarrow as pa

from naswot_db.core.names import NDS_FILE_NAMES, nds_space_name
from naswot_db.core.untrusted_json import loads_untrusted

from ..base import GroundTruth, SpaceError
from naswot_db.core.encodings.nds import format_net

from .net_config import parse_net

_FILE_NAME_BY_LOWER = {name.lower(): name for name in NDS_FILE_NAMES}


def is_imagenet(name: str) -> bool:
    """NASWOT's rule: ``_in`` in the name means ImageNet training and the ImageNet layout."""
    return "_in" in name


@dataclass(frozen=True)
class Entry:
    """One validated trained network of an NDS file."""

    arch_id: int
    net: dict
    optim: dict
    params: float | None
    flops: float | None
    epochs: int
    seed: int | None
    test_error: float
    train_error: float | None


def _entries(data: Any, path: Path) -> Iterator[tuple[str, Any]]:
    """(label, raw entry) in NASWOT's order: the list, or top then mid."""
    if isinstance(data, list):
        sections = [("", data)]
    elif isinstance(data, dict) and isinstance(data.get("top"), list) and isinstance(
            data.get("mid"), list):
        sections = [("top", data["top"]), ("mid", data["mid"])]
    else:
        raise SpaceError(f"{path}: not an NDS file (expected a list of entries or a dict with "
                         "'top' and 'mid' lists)")
    for section, entries in sections:
        for position, entry in enumerate(entries):
            yield (f"{section}[{position}]" if section else f"[{position}]"), entry


def _number(value: Any, what: str, allow_none: bool = False) -> float | None:
    if value is None and allow_none:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError(f"{what} must be a number, got {value!r}")
    return float(value)


def _last_error(entry: dict, key: str, required: bool) -> float | None:
    curve = entry.get(key)
    if curve is None and not required:
        return None
    if not isinstance(curve, list) or not curve:
        raise ValueError(f"{key} must be a non-empty list of top-1 errors, got {curve!r}")
    return _number(curve[-1], f"{key}[-1]")


def _parse_entry(arch_id: int, entry: Any) -> Entry:
    if not isinstance(entry, dict):
        raise ValueError(f"entry must be an object, got {type(entry).__name__}")
    for key in ("net", "optim", "test_ep_top1"):
        if key not in entry:
            raise ValueError(f"missing {key!r}")
    parse_net(entry["net"])
    optim = entry["optim"]
    if not isinstance(optim, dict):
        raise ValueError(f"optim must be an object, got {optim!r}")
    test_error = _last_error(entry, "test_ep_top1", required=True)
    epochs = optim.get("max_ep", len(entry["test_ep_top1"]))
    if isinstance(epochs, bool) or not isinstance(epochs, int) or epochs < 1:
        raise ValueError(f"optim.max_ep must be a positive integer, got {epochs!r}")
    seed = entry.get("rng_seed")
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int)):
        raise ValueError(f"rng_seed must be an integer, got {seed!r}")
    return Entry(arch_id=arch_id, net=entry["net"], optim=optim,
                 params=_number(entry.get("params"), "params", allow_none=True),
                 flops=_number(entry.get("flops"), "flops", allow_none=True),
                 epochs=epochs, seed=seed, test_error=test_error,
                 train_error=_last_error(entry, "train_ep_top1", required=False))


def read_entries(path: Path) -> list[Entry]:
    """Every entry of one NDS file, validated; SpaceError names the first bad one."""
    try:
        data = loads_untrusted(path.read_bytes())
    except OSError as exc:
        raise SpaceError(f"cannot read NDS file {path}: {exc}") from exc
    except ValueError as exc:
        raise SpaceError(f"{path} is not valid JSON: {exc}") from exc
    entries = []
    for arch_id, (label, raw) in enumerate(_entries(data, path)):
        try:
            entries.append(_parse_entry(arch_id, raw))
        except (ValueError, KeyError, TypeError) as exc:
            has_job = isinstance(raw, dict) and "job_id" in raw
            job = f" (job_id {raw['job_id']!r})" if has_job else ""
            raise SpaceError(f"{path}: malformed entry {label}{job}, arch id {arch_id}: "
                             f"{exc}") from exc
    if not entries:
        raise SpaceError(f"{path} holds no entries")
    return entries


def _accuracy_rows(entry: Entry, dataset: str) -> Iterator[dict]:
    """Final test (and train) accuracy: the run's own seed, and seed NULL (mean of one run)."""
    splits = {"test": entry.test_error, "train": entry.train_error}
    seeds = [entry.seed, None] if entry.seed is not None else [None]
    for split, error in splits.items():
        if error is None:
            continue
        for seed in seeds:
            yield {"arch_id": entry.arch_id, "dataset": dataset, "split": split,
                   "epochs": entry.epochs, "seed": seed, "accuracy": 100.0 - error,
                   "train_time_s": None}


def ground_truth(name: str, path: Path) -> GroundTruth:
    """archs and accuracies rows of the NDS file ``path`` for the space of NDS name ``name``."""
    entries = read_entries(path)
    space = nds_space_name(name)
    dataset = "imagenet" if is_imagenet(name) else "cifar10"
    source = f"{path.name} (NDS data.zip)"
    archs = pa.Table.from_pylist([{
        "space": space, "arch_id": e.arch_id, "arch_str": format_net(e.net),
        "encoding": format_net({"net": e.net, "optim": e.optim}),
        "params": e.params, "flops": e.flops, "source": source,
    } for e in entries], schema=pa.schema([
        ("space", pa.string()), ("arch_id", pa.int64()), ("arch_str", pa.string()),
        ("encoding", pa.string()), ("params", pa.float64()), ("flops", pa.float64()),
        ("source", pa.string())]))
    rows = [row | {"space": space, "source": source}
            for e in entries for row in _accuracy_rows(e, dataset)]
    accuracies = pa.Table.from_pylist(rows, schema=pa.schema([
        ("arch_id", pa.int64()), ("dataset", pa.string()), ("split", pa.string()),
        ("epochs", pa.int32()), ("seed", pa.int64()), ("accuracy", pa.float64()),
        ("train_time_s", pa.float64()), ("space", pa.string()), ("source", pa.string())]))
    return GroundTruth(archs=archs, accuracies=accuracies)


def file_name_of(path: Path) -> str:
    """The NDS name a file holds, from its file name (``DARTS_in.json`` -> ``DARTS_in``)."""
    name = _FILE_NAME_BY_LOWER.get(path.stem.lower()) if path.suffix == ".json" else None
    if name is None:
        raise SpaceError(f"{path.name} is not an NDS data file: expected one of "
                         f"{', '.join(n + '.json' for n in NDS_FILE_NAMES)}")
    return name


def ingest_nds(source: Path) -> dict[str, GroundTruth]:
    """Ground truth of every NDS space in ``source`` (an nds_data directory or one file).

    Files are matched by name (``DARTS.json`` -> ``nds-darts``); other files in a directory are
    ignored.  Every file is read and validated before this returns, so a caller that writes
    only afterwards writes nothing when any entry is malformed.
    """
    source = Path(source)
    if source.is_dir():
        paths = {name: source / f"{name}.json" for name in NDS_FILE_NAMES
                 if (source / f"{name}.json").is_file()}
        if not paths:
            raise SpaceError(f"{source} holds no NDS data files (e.g. DARTS.json, ResNet.json)")
    elif source.is_file():
        paths = {file_name_of(source): source}
    else:
        raise SpaceError(f"NDS source {source} does not exist")
    return {nds_space_name(name): ground_truth(name, path) for name, path in paths.items()}
