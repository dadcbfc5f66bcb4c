"""NAS-Bench-101 ground truth: TFRecord file -> archs and accuracies tables, columnar.

Each record is one training run: JSON ``[module_hash, epochs, raw_adjacency, raw_operations,
base64 ModelMetrics]``.  An arch's id is the position of its module hash in the ascending-hash
order of the whole space (the shipped, enumerated arch list), so a cell keeps the id it has on a
fresh install; a hash outside the space is refused.  Per record only a few
numbers are kept in typed arrays; rows are assembled with NumPy at the end, so memory grows
with the numbers, not with Python objects per row.

Accuracies rows: dataset ``cifar10``, split ``valid``/``test``, epochs = the budget of the run,
seed = repeat index (0, 1, 2 in file order within a hash and budget; NULL for their mean),
accuracy in percent (the file holds fractions), train_time_s = the final training time (its
mean for the mean row).
"""

from __future__ import annotations

import base64
import binascii
from array import array
from pathlib import Path

import numpy as np
import pyarrow as pa

from ..base import GroundTruth, SpaceError
from .graph import encoding_json, spec_from_record
from naswot_db.builder.formats.nb101_protobuf import ProtobufError, decode_model_metrics
from naswot_db.builder.formats.tfrecord import read_record_chunks
from naswot_db.core.untrusted_json import loads_untrusted

DATASET = "cifar10"
SPLITS = ("valid", "test")
_FINAL_EVALUATION = 2  # evaluation_data: [step 0, halfway, final], as the official API reads it


class _Runs:
    """The few numbers kept per record, in compact typed arrays."""

    def __init__(self) -> None:
        self.arch_id = array("q")
        self.epochs = array("l")
        self.valid = array("d")
        self.test = array("d")
        self.train_time = array("d")

    def numpy(self) -> dict[str, np.ndarray]:
        return {name: np.frombuffer(values, dtype=values.typecode)
                for name, values in vars(self).items()}


def ingest_nb101(source: Path, space: str, space_ids: dict[str, int]) -> GroundTruth:
    """Read ``source`` (nasbench_only108.tfrecord or nasbench_full.tfrecord) into tables.

    ``space_ids`` maps every module hash of the space to its arch id.
    """
    if not source.is_file():
        raise SpaceError(f"NAS-Bench-101 file {source} does not exist")
    arch_ids: dict[str, int] = {}
    encodings: list[str] = []
    params = array("d")
    runs = _Runs()
    for chunk in read_record_chunks(source):
        for offset, payload in chunk.records():
            try:
                module_hash, epochs, raw_adjacency, raw_ops, raw_metrics = loads_untrusted(payload)
                metrics = decode_model_metrics(base64.b64decode(raw_metrics, validate=True))
                final = metrics.evaluation_data[_FINAL_EVALUATION]
                arch = arch_ids.get(module_hash)
                if arch is None:
                    if not isinstance(module_hash, str) or len(module_hash) != 32:
                        raise ValueError(f"module hash {module_hash!r} is not 32 hex digits")
                    if module_hash not in space_ids:
                        raise ValueError(f"module hash {module_hash} is not a cell of the space")
                    spec = spec_from_record(raw_adjacency, raw_ops)
                    arch = arch_ids[module_hash] = space_ids[module_hash]
                    encodings.append(encoding_json(module_hash, spec))
                    params.append(metrics.trainable_parameters)
                runs.arch_id.append(arch)
                runs.epochs.append(epochs)
                runs.valid.append(final.validation_accuracy)
                runs.test.append(final.test_accuracy)
                runs.train_time.append(final.training_time)
            except (ValueError, TypeError, IndexError, AttributeError, binascii.Error,
                    ProtobufError, SpaceError) as exc:
                raise SpaceError(f"{source}: record at byte offset {offset} is not a "
                                 f"NAS-Bench-101 record: {exc}") from exc
    if not encodings:
        raise SpaceError(f"{source} holds no NAS-Bench-101 records")
    label = source.name
    archs = pa.table({
        "space": pa.repeat(space, len(encodings)),
        "arch_id": pa.array(list(arch_ids.values()), pa.int64()),
        "arch_str": pa.array(list(arch_ids), pa.string()),
        "encoding": pa.array(encodings, pa.string()),
        "params": pa.array(np.frombuffer(params, dtype=np.float64)),
        "flops": pa.nulls(len(encodings), pa.float64()),
        "source": pa.repeat(label, len(encodings)),
    }).sort_by("arch_id")
    return GroundTruth(archs=archs, accuracies=_accuracy_table(runs.numpy(), space, label))


def _accuracy_table(runs: dict[str, np.ndarray], space: str, label: str) -> pa.Table:
    """Per-repeat rows and mean rows for both splits, ordered by arch, epochs, split, seed."""
    order = np.lexsort((runs["epochs"], runs["arch_id"]))  # stable: file order within a group
    arch, epochs = runs["arch_id"][order], runs["epochs"][order]
    new_group = np.ones(len(order), dtype=bool)
    new_group[1:] = (arch[1:] != arch[:-1]) | (epochs[1:] != epochs[:-1])
    group_starts = np.flatnonzero(new_group)
    group_sizes = np.diff(np.append(group_starts, len(order)))
    repeat = np.arange(len(order)) - np.repeat(group_starts, group_sizes)

    def group_mean(values: np.ndarray) -> np.ndarray:
        return np.add.reduceat(values[order], group_starts) / group_sizes

    split_blocks = []
    for split_code, split in enumerate(SPLITS):
        accuracy = runs[split]
        split_blocks.append({
            "arch_id": np.concatenate([arch, arch[group_starts]]),
            "epochs": np.concatenate([epochs, epochs[group_starts]]),
            "split": np.full(len(order) + len(group_starts), split_code, dtype=np.int8),
            "seed": np.concatenate([repeat, np.full(len(group_starts), -1)]),
            "accuracy": 100.0 * np.concatenate([accuracy[order], group_mean(accuracy)]),
            "train_time_s": np.concatenate([runs["train_time"][order],
                                            group_mean(runs["train_time"])]),
        })
    columns = {name: np.concatenate([block[name] for block in split_blocks])
               for name in split_blocks[0]}
    mean_last = np.where(columns["seed"] < 0, np.iinfo(np.int64).max, columns["seed"])
    rows = np.lexsort((mean_last, columns["split"], columns["epochs"], columns["arch_id"]))
    columns = {name: values[rows] for name, values in columns.items()}
    count = len(rows)
    return pa.table({
        "space": pa.repeat(space, count),
        "arch_id": pa.array(columns["arch_id"], pa.int64()),
        "dataset": pa.repeat(DATASET, count),
        "split": pa.DictionaryArray.from_arrays(columns["split"], list(SPLITS)).cast(pa.string()),
        "epochs": pa.array(columns["epochs"], pa.int32()),
        "seed": pa.array(columns["seed"], pa.int64(), mask=columns["seed"] < 0),
        "accuracy": pa.array(columns["accuracy"], pa.float64()),
        "train_time_s": pa.array(columns["train_time_s"], pa.float64()),
        "source": pa.repeat(label, count),
    })
