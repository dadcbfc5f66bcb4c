"""Read NAS-Bench-201 / NATS-Bench result files into archs and accuracies rows.

Three layouts hold the same per-arch ``ArchResults`` states: the NATS fast-mode directory
(``meta.pickle.pbz2`` + ``NNNNNN.pickle.pbz2``), the NATS single-file pickle and the
NAS-Bench-201 ``.pth``.  Each state is interpreted by nats_bench's own ``ArchResults`` class,
so accuracies and times are exactly what the official API reports.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pyarrow as pa

from .ground_truth import GroundTruth, SpaceError
from .pickles import load_pickle, load_pth

if TYPE_CHECKING:  # nats_bench loads with the first file read: networks build without it
    from nats_bench.api_utils import ArchResults

# NAS-Bench-201 .pth files name their two budgets; NATS files use the epoch count.
_PTH_BUDGETS = {"less": "12", "full": "200"}


def _load_nats_pickle(path: Path) -> Any:
    return load_pickle(path, "a NATS-Bench bz2 pickle", SpaceError, compressed=True)


def source_version(path: Path) -> str:
    """File name plus the version tag it carries, e.g. ``NATS-tss-v1_0-3ffb9``."""
    match = re.search(r"v\d+_\d+-[0-9a-f]+", path.name)
    return f"{path.name} ({match.group(0)})" if match else path.name


def iter_arch_states(source: Path) -> tuple[list[str], Iterator[tuple[int, dict[str, dict]]]]:
    """The meta arch list and an iterator of (arch index, {epochs: ArchResults state})."""
    if not source.exists():
        raise SpaceError(f"benchmark source {source} does not exist")
    if source.is_dir():
        meta_path = source / "meta.pickle.pbz2"
        if not meta_path.exists():
            raise SpaceError(f"{source} is not a NATS-Bench fast-mode directory (no meta.pickle.pbz2)")
        meta = _load_nats_pickle(meta_path)
        files = sorted(p for p in source.glob("*.pickle.pbz2") if p.name[:6].isdigit())

        def from_directory() -> Iterator[tuple[int, dict[str, dict]]]:
            for path in files:
                yield int(path.name[:6]), _load_nats_pickle(path)

        return _meta_archs(meta, source), from_directory()
    if source.suffix == ".pth":
        data = load_pth(source, "a NAS-Bench-201 .pth", SpaceError)
        budgets = _PTH_BUDGETS
    else:
        data = _load_nats_pickle(source)
        budgets = {}
    arch2infos = data.get("arch2infos") if isinstance(data, dict) else None
    if not isinstance(arch2infos, dict):
        raise SpaceError(f"{source} has no arch2infos table; is it a NAS-Bench-201/NATS file?")

    def from_file() -> Iterator[tuple[int, dict[str, dict]]]:
        for index in sorted(arch2infos):
            yield int(index), {budgets.get(hp, hp): state for hp, state in arch2infos[index].items()}

    return _meta_archs(data, source), from_file()


def _meta_archs(meta: Any, source: Path) -> list[str]:
    if not isinstance(meta, dict) or "meta_archs" not in meta:
        raise SpaceError(f"{source} has no meta_archs list; is it a NAS-Bench-201/NATS file?")
    return list(meta["meta_archs"])


def _result_rows(index: int, epochs: int, results: ArchResults) -> Iterator[dict]:
    """Per-seed rows for every dataset and split, then their means (seed NULL).

    ``eval_time_s`` is the API's ``<split>-per-time`` (the split's evaluation time summed over
    the epochs, divided by the epochs), the part of a simulated search's cost after training.
    """
    for dataset in results.get_dataset_names():
        per_split: dict[str, list[tuple[float, float | None, float | None]]] = {}
        for seed in results.get_dataset_seeds(dataset):
            run = results.query(dataset, seed)
            train = run.get_train()
            train_time, trained_epochs = train["all_time"], train["iepoch"] + 1
            splits = {"train": (train["accuracy"], None)}
            for name in run.get_eval_set():
                evaluation = run.get_eval(name)
                splits[name] = (evaluation["accuracy"], None if evaluation["all_time"] is None
                                else evaluation["all_time"] / trained_epochs)
            for split, (accuracy, eval_time) in splits.items():
                per_split.setdefault(split, []).append((accuracy, train_time, eval_time))
                yield _row(index, dataset, split, epochs, int(seed), accuracy, train_time,
                           eval_time)
        for split, values in per_split.items():
            accuracies, train_times, eval_times = zip(*values)
            yield _row(index, dataset, split, epochs, None, float(np.mean(accuracies)),
                       _mean_or_none(train_times), _mean_or_none(eval_times))


def _mean_or_none(values: Sequence[float | None]) -> float | None:
    """The mean, or None unless every value is known."""
    return None if any(v is None for v in values) else float(np.mean(values))


def _row(index: int, dataset: str, split: str, epochs: int, seed: int | None,
         accuracy: float, train_time: float | None, eval_time: float | None) -> dict:
    return {"arch_id": index, "dataset": dataset, "split": split, "epochs": epochs,
            "seed": seed, "accuracy": float(accuracy),
            "train_time_s": None if train_time is None else float(train_time),
            "eval_time_s": None if eval_time is None else float(eval_time)}


def _arch_cost(hp_results: dict[str, ArchResults]) -> tuple[float | None, float | None]:
    """Params and FLOPs (millions) of the CIFAR-10 network, as the API's ``get_cost_info``."""
    for epochs in sorted(hp_results, key=int, reverse=True):
        datasets = hp_results[epochs].get_dataset_names()
        for dataset in ("cifar10-valid", "cifar10", *datasets):
            if dataset in datasets:
                costs = hp_results[epochs].get_compute_costs(dataset)
                return float(costs["params"]), float(costs["flops"])
    return None, None


def _check_arch_list(space: str, source: Path, meta_archs: list[str],
                     expected: Sequence[str]) -> None:
    """Stop before reading results when ``source`` belongs to another space or version."""
    if meta_archs != list(expected):
        raise SpaceError(
            f"{source} does not hold the {space} space: its arch list ({len(meta_archs)} archs, "
            f"index 0 = {meta_archs[0] if meta_archs else None!r}) differs from the space's "
            f"({len(expected)} archs, index 0 = {expected[0]!r})")


def read_nats_results(space: str, source: Path,
                      expected_archs: Sequence[str] | None = None) -> GroundTruth:
    """archs and accuracies rows of every arch the source holds results for.

    With ``expected_archs`` (the space's arch strings in index order) a file of another space,
    e.g. tss results ingested as sss, is refused before anything is read.
    """
    meta_archs, states = iter_arch_states(source)
    if expected_archs is not None:
        _check_arch_list(space, source, meta_archs, expected_archs)
    from nats_bench.api_utils import ArchResults

    label = source_version(source)
    arch_rows, accuracy_rows = [], []
    for index, hp_states in states:
        if not 0 <= index < len(meta_archs):
            raise SpaceError(f"{source}: results for arch {index}, but the arch list has "
                             f"{len(meta_archs)} archs")
        try:
            hp_results = {epochs: ArchResults.create_from_state_dict(state)
                          for epochs, state in hp_states.items()}
            for epochs, results in hp_results.items():
                accuracy_rows.extend(_result_rows(index, int(epochs), results))
            params, flops = _arch_cost(hp_results)
        except (KeyError, TypeError, ValueError, AttributeError, AssertionError) as exc:
            raise SpaceError(f"{source}: malformed results for arch {index}: {exc!r}") from exc
        arch_rows.append({"arch_id": index, "arch_str": meta_archs[index],
                          "params": params, "flops": flops})
    if not arch_rows:
        raise SpaceError(f"{source} holds no per-architecture results")
    archs = pa.Table.from_pylist(arch_rows)
    archs = archs.append_column("encoding", pa.nulls(archs.num_rows, pa.string()))
    archs = archs.append_column("source", pa.array([label] * archs.num_rows))
    accuracies = pa.Table.from_pylist(accuracy_rows)
    accuracies = accuracies.append_column("source", pa.array([label] * accuracies.num_rows))
    return GroundTruth(archs=_with_space(archs, space), accuracies=_with_space(accuracies, space))


def _with_space(table: pa.Table, space: str) -> pa.Table:
    return table.append_column("space", pa.array([space] * table.num_rows))
