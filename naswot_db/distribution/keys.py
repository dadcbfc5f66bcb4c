"""What identifies a row of each table, and which of its columns must agree between copies.

Two roots that hold the same key hold the same fact: an architecture, one ground-truth value,
one scoring of one replicate, one build.  Merging keeps the root's row when the values agree
(the rows are the same fact, recorded twice) and refuses when they differ.  Columns outside
both lists (``source``, ``time_s``, ``run_id``, ``schema_version``, ...) describe where a row
came from and may differ between two copies of the same fact.
"""

from __future__ import annotations

KEY_COLUMNS: dict[str, tuple[str, ...]] = {
    "archs": ("space", "arch_id"),
    "accuracies": ("space", "arch_id", "dataset", "split", "epochs", "seed"),
    "scores": ("space", "arch_id", "score", "dataset", "batch_size", "init_seed", "batch_seed",
               "config_id"),
    "runs": ("run_id",),
}

VALUE_COLUMNS: dict[str, tuple[str, ...]] = {
    "archs": ("arch_str", "encoding", "params", "flops"),
    "accuracies": ("accuracy", "train_time_s", "eval_time_s"),
    "scores": ("value", "status"),
    "runs": ("started_at", "host", "device", "torch_version", "config_id"),
}
