"""The build runner: configuration, resume, chunked atomic writes, provenance."""

from .config import BuildConfig, BuildError, Shard, parse_int_list
from .run import BuildSummary, run_build

__all__ = ["BuildConfig", "BuildError", "BuildSummary", "Shard", "parse_int_list", "run_build"]
