"""The build runner: configuration, resume, chunked atomic writes, provenance."""

from .config import BuildConfig, BuildError, Shard
from .run import BuildSummary, run_build

__all__ = ["BuildConfig", "BuildError", "BuildSummary", "Shard", "run_build"]
