"""``--engine ray``: score a build's archs on the actors of a Ray cluster; the driver writes.

W actors (``--workers``), each with ``--cpus-per-worker`` CPUs and ``--gpus-per-worker`` GPUs
(a fraction lets several share one GPU), build and score whole archs.  The driver hands out
small chunks of archs, two per actor at a time, and gives an actor its next chunk as soon as
one is done, so no actor idles while another still has work.  An actor streams each arch's rows
back as soon as it has scored the arch (a Ray streaming generator), so the progress bar moves
per arch; only the driver writes the root (atomic parts, as the local engine), so the root need
not be on a shared file system.  An arch's rows arrive whole or not at all: an actor that dies
(node lost, out of memory, ``ray kill``) has the archs of its chunks that did not come back
handed to the others and a replacement actor started, with no row lost or written twice.  The
scores' classes travel pickled by value, so a plug-in registered only in the driver (or whose
module exists only on the driver's machine) scores on every node.  Ray is an optional
dependency, imported only here and only when this engine runs.
"""

from __future__ import annotations

import collections
import dataclasses
import logging
import math
import os
import pickle
import socket
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from naswot_db.builder.scoring import register_scorer, scorer_class
from naswot_db.builder.spaces import Space

from .config import BuildError
from .devices import resolve_device
from .provenance import device_name
from .ray_watchdog import start_watchdog
from .scoring_loop import ArchScorer, ChunkWriter, ScoringJob, error_rows

INSTALL_HINT = 'the Ray engine needs Ray: pip install "naswot-db[ray]" (or pip install ray)'
_IN_FLIGHT_PER_ACTOR = 2  # a queued chunk hides the driver's round trip
_CHUNKS_PER_ACTOR = 8  # enough chunks that the last ones balance the actors' finishing times
_REPLACEMENTS_PER_WORKER = 3  # then the cluster is losing actors faster than it scores


@dataclass(frozen=True)
class RaySettings:
    """Where the actors run and what each one holds."""

    address: str | None  # None: start a local Ray instance for this build
    workers: int
    gpus_per_worker: float | None  # None: the cluster's GPUs shared evenly, at most one each
    cpus_per_worker: float


def import_ray():
    """The ``ray`` module, or a one-line :class:`BuildError` saying how to install it."""
    try:
        import ray
    except ImportError:
        raise BuildError(INSTALL_HINT) from None
    return ray


class ScoringActor:
    """One Ray actor: a job's :class:`ArchScorer` on the actor's own device."""

    def __init__(self, job: ScoringJob, space: Space, threads: int,
                 scorers: dict[str, bytes]) -> None:
        torch.set_num_threads(threads)
        self.arch_scorer: ArchScorer | None = None
        for score, scorer in scorers.items():
            try:
                register_scorer(pickle.loads(scorer))  # the actor knows only the built-in scores
            except Exception as exc:  # e.g. a module the plug-in imports is missing on this node
                self.status = (f"Error: score {score!r} cannot be loaded on "
                               f"{socket.gethostname()}: {type(exc).__name__}: {exc}")
                return
        try:
            device = resolve_device(job.device)  # the GPUs Ray gave this actor, if any
            self.arch_scorer = ArchScorer(job, space, device)
            self.status = f"{socket.gethostname()}: {device_name(device)}"
        except BuildError as exc:
            self.status = f"Error: {exc}"

    def describe(self) -> str:
        """``host: device``, or ``Error: ...`` when the actor cannot score."""
        return self.status

    def score(self, positions: list[int]) -> Iterator[list[dict]]:
        """Each arch's rows, as soon as they are scored (called as a streaming generator)."""
        for position in positions:
            yield self.arch_scorer.rows(position)


def chunks(positions: np.ndarray, workers: int, chunk_archs: int) -> list[list[int]]:
    """Consecutive runs of positions, small enough that every actor gets several."""
    size = max(1, min(chunk_archs, math.ceil(len(positions) / (workers * _CHUNKS_PER_ACTOR))))
    return [positions[i:i + size].tolist() for i in range(0, len(positions), size)]


def scorer_by_value(ray, score: str) -> bytes:
    """The class of ``score`` pickled by value, so no actor needs its module or registration.

    Built-in scores travel by module path (every actor has naswot-db); a plug-in's module is
    pickled by value for this one call (cloudpickle), unless its author asked for that already.
    """
    scorer = scorer_class(score)
    module = sys.modules[scorer.__module__]
    by_value = (not scorer.__module__.startswith("naswot_db.")
                and module.__name__ not in ray.cloudpickle.list_registry_pickle_by_value())
    if by_value:
        ray.cloudpickle.register_pickle_by_value(module)
    try:
        return ray.cloudpickle.dumps(scorer)
    except Exception as exc:
        raise BuildError(f"score plug-in {scorer.__qualname__} cannot be sent to Ray actors: "
                         f"{type(exc).__name__}: {exc}") from None
    finally:
        if by_value:
            ray.cloudpickle.unregister_pickle_by_value(module)


@dataclass
class _Chunk:
    """A chunk handed to an actor, and how many of its archs' rows the driver holds."""

    actor: Any
    positions: list[int]
    received: int = 0

    def unfinished(self) -> list[int]:
        return self.positions[self.received:]


class _ActorPool:
    """Starts the actors, replaces dead ones, and records each actor's host and device."""

    def __init__(self, ray, job: ScoringJob, space: Space, settings: RaySettings) -> None:
        self.ray = ray
        self.settings = settings
        self.actor_class = ray.remote(ScoringActor)
        self.job_ref = ray.put(job)
        self.space_ref = ray.put(space.detached())
        self.scorers = {score: scorer_by_value(ray, score) for score in job.scores}
        self.name_prefix = f"naswot-db-{job.part_prefix}"  # actors are findable by run id
        self.started = 0
        self.devices: list[str] = []

    def start(self):
        actor = self.actor_class.options(
            num_cpus=self.settings.cpus_per_worker, num_gpus=self.settings.gpus_per_worker,
            max_restarts=0, name=f"{self.name_prefix}-{self.started}",
        ).remote(self.job_ref, self.space_ref, max(1, int(self.settings.cpus_per_worker)),
                 self.scorers)
        self.started += 1
        return actor

    def ready(self, actor) -> bool:
        """Wait until ``actor`` is up: False if it died; one that cannot score stops the build."""
        try:
            status = self.ray.get(actor.describe.remote())
        except self.ray.exceptions.RayActorError:
            return False
        if status.startswith("Error: "):
            raise BuildError(f"Ray worker: {status[len('Error: '):]}")
        self.devices.append(status)
        return True


def _check_resources(ray, settings: RaySettings) -> None:
    """A request the cluster can never meet would wait forever: refuse it now."""
    available = ray.cluster_resources()
    for resource, each in (("CPU", settings.cpus_per_worker), ("GPU", settings.gpus_per_worker)):
        needed = each * settings.workers
        if needed > available.get(resource, 0) + 1e-9:
            raise BuildError(f"--workers {settings.workers} x {each:g} {resource} needs "
                             f"{needed:g} {resource}s; the Ray cluster has "
                             f"{available.get(resource, 0):g}")


def default_gpus_per_worker(ray, device: str, workers: int) -> float:
    """No GPU for ``--device cpu``; else the cluster's GPUs shared evenly, at most one each."""
    if device == "cpu":
        return 0.0
    gpus = ray.cluster_resources().get("GPU", 0)
    return min(1.0, gpus / workers) if gpus else 0.0


def run_in_ray(job: ScoringJob, space: Space, settings: RaySettings,
               on_arch: Callable[[], None]) -> tuple[int, int, list[str]]:
    """Score ``job`` on Ray actors; return (rows written, error rows, each actor's device)."""
    ray = import_ray()
    started_here = not ray.is_initialized()
    watchdog = None
    if started_here:
        ray.init(address=settings.address, include_dashboard=False, log_to_driver=False,
                 logging_level=logging.ERROR)
        watchdog = _watch_local_instance(ray)
    try:
        if settings.gpus_per_worker is None:
            settings = dataclasses.replace(settings, gpus_per_worker=default_gpus_per_worker(
                ray, job.device, settings.workers))
        _check_resources(ray, settings)
        pool = _ActorPool(ray, job, space, settings)
        writer = ChunkWriter(job)
        try:
            errors = _drive(ray, pool, chunks(job.positions, settings.workers, job.chunk_archs),
                            writer, on_arch)
        finally:
            writer.flush()  # finished chunks are valid even when the build stops
        return writer.written, errors, pool.devices
    finally:
        if started_here:
            ray.shutdown()
        if watchdog is not None:
            os.close(watchdog)  # the watchdog ends whatever of the instance is still running


def _watch_local_instance(ray) -> int | None:
    """When ``ray.init`` started a Ray instance here (not joined one): a watchdog that ends its
    processes once this driver is gone (:mod:`.ray_watchdog`); the pipe end this driver holds."""
    node = ray._private.worker._global_node  # no public API says whether init started a head
    if node is None or not node.head:
        return None
    return start_watchdog(node.get_session_dir_path())


def _drive(ray, pool: _ActorPool, todo: list[list[int]], writer: ChunkWriter,
           on_arch: Callable[[], None]) -> int:
    """Hand chunks to actors until every arch's rows are in ``writer``; return error rows."""
    queue = collections.deque(todo)
    in_flight: dict = {}  # streaming generator of one chunk's per-arch rows -> its _Chunk
    actors: list = []
    replacements = 0
    errors = 0

    def submit(actor) -> None:
        while queue and sum(c.actor is actor for c in in_flight.values()) < _IN_FLIGHT_PER_ACTOR:
            positions = queue.popleft()
            stream = actor.score.options(num_returns="streaming").remote(positions)
            in_flight[stream] = _Chunk(actor, positions)

    def replace(actor) -> None:
        """Give back what ``actor``'s chunks did not return, first and in order; start another."""
        nonlocal replacements
        lost = [in_flight.pop(stream) for stream, chunk in list(in_flight.items())
                if chunk.actor is actor]
        queue.extendleft(reversed([c.unfinished() for c in lost if c.unfinished()]))
        ray.kill(actor)
        if actor in actors:
            actors.remove(actor)
        replacements += 1
        if replacements > _REPLACEMENTS_PER_WORKER * pool.settings.workers:
            raise BuildError(f"{replacements} Ray workers died; finished rows are kept, rerun "
                             "the same command to resume")
        enlist(pool.start())
        for other in actors:  # an idle survivor takes a share of the returned archs
            submit(other)

    def enlist(actor) -> None:
        if pool.ready(actor):
            actors.append(actor)
            submit(actor)
        else:
            replace(actor)

    for actor in [pool.start() for _ in range(pool.settings.workers)]:  # all start at once
        enlist(actor)
    while in_flight:
        [stream], _ = ray.wait(list(in_flight), num_returns=1)
        chunk = in_flight[stream]
        try:
            rows = ray.get(next(stream))  # one arch's rows, whole
        except StopIteration:  # the chunk is done
            del in_flight[stream]
            submit(chunk.actor)
            continue
        except ray.exceptions.RayActorError:
            replace(chunk.actor)
            continue
        chunk.received += 1
        errors += error_rows(rows)
        writer.add(rows)
        on_arch()
    return errors
