"""The build runner: configuration, resume, chunked atomic writes, provenance.

The engines that run a build's per-arch work (:mod:`.scoring_loop`): in this process, in local
worker processes (:mod:`.workers`, ``--workers``) or on Ray actors (:mod:`.ray_engine`,
``--engine ray``).
"""

from .config import BuildConfig, BuildError, Shard
from .run import BuildSummary, run_build

__all__ = ["BuildConfig", "BuildError", "BuildSummary", "Shard", "run_build"]
