"""``--engine ray``: score a build's archs on the actors of a Ray cluster; the driver writes.

W actors (``--workers``), each with ``--cpus-per-worker`` CPUs and ``--gpus-per-worker`` GPUs
(a fraction lets several share one GPU), build and score whole archs.  The driver hands out
small chunks of archs, two per actor at a time, and gives an actor its next chunk as soon as
one comes back, so no actor idles while another still has work.  Actors return rows; only the
driver writes the root (atomic parts, as the local engine), so the root need not be on a shared
file system.  A chunk's rows are taken only when the whole chunk comes back: an actor that dies
(node lost, out of memory, ``ray kill``) has its unfinished chunks handed to the others and a
replacement actor started, with no row lost or written twice.  Ray is an optional dependency,
imported only here and only when this engine runs.
"""

from __future__ import annotations

import collections
import dataclasses
import logging
import math
import socket
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch

from naswot_db.builder.spaces import Space

from .config import BuildError
from .devices import resolve_device
from .provenance import device_name
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

    def __init__(self, job: ScoringJob, space: Space, threads: int) -> None:
        torch.set_num_threads(threads)
        self.arch_scorer: ArchScorer | None = None
        try:
            device = resolve_device(job.device)  # the GPUs Ray gave this actor, if any
            self.arch_scorer = ArchScorer(job, space, device)
            self.status = f"{socket.gethostname()}: {device_name(device)}"
        except BuildError as exc:
            self.status = f"Error: {exc}"

    def describe(self) -> str:
        """``host: device``, or ``Error: ...`` when the actor cannot score."""
        return self.status

    def score(self, positions: list[int]) -> list[dict]:
        return [row for position in positions for row in self.arch_scorer.rows(position)]


def chunks(positions: np.ndarray, workers: int, chunk_archs: int) -> list[list[int]]:
    """Consecutive runs of positions, small enough that every actor gets several."""
    size = max(1, min(chunk_archs, math.ceil(len(positions) / (workers * _CHUNKS_PER_ACTOR))))
    return [positions[i:i + size].tolist() for i in range(0, len(positions), size)]


class _ActorPool:
    """Starts the actors, replaces dead ones, and records each actor's host and device."""

    def __init__(self, ray, job: ScoringJob, space: Space, settings: RaySettings) -> None:
        self.ray = ray
        self.settings = settings
        self.actor_class = ray.remote(ScoringActor)
        self.job_ref = ray.put(job)
        self.space_ref = ray.put(space.detached())
        self.name_prefix = f"naswot-db-{job.part_prefix}"  # actors are findable by run id
        self.started = 0
        self.devices: list[str] = []

    def start(self):
        actor = self.actor_class.options(
            num_cpus=self.settings.cpus_per_worker, num_gpus=self.settings.gpus_per_worker,
            max_restarts=0, name=f"{self.name_prefix}-{self.started}",
        ).remote(self.job_ref, self.space_ref, max(1, int(self.settings.cpus_per_worker)))
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
    if started_here:
        ray.init(address=settings.address, include_dashboard=False, log_to_driver=False,
                 logging_level=logging.ERROR)
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


def _drive(ray, pool: _ActorPool, todo: list[list[int]], writer: ChunkWriter,
           on_arch: Callable[[], None]) -> int:
    """Hand chunks to actors until every chunk's rows are in ``writer``; return error rows."""
    queue = collections.deque(todo)
    in_flight: dict = {}  # object ref -> (actor, chunk)
    actors: list = []
    replacements = 0
    errors = 0

    def submit(actor) -> None:
        while queue and sum(a is actor for a, _ in in_flight.values()) < _IN_FLIGHT_PER_ACTOR:
            chunk = queue.popleft()
            in_flight[actor.score.remote(chunk)] = (actor, chunk)

    def replace(actor) -> None:
        """Give ``actor``'s chunks back, first and in order, and start a new actor for it."""
        nonlocal replacements
        lost = [ref for ref, (owner, _) in in_flight.items() if owner is actor]
        queue.extendleft(reversed([in_flight.pop(ref)[1] for ref in lost]))
        ray.kill(actor)
        if actor in actors:
            actors.remove(actor)
        replacements += 1
        if replacements > _REPLACEMENTS_PER_WORKER * pool.settings.workers:
            raise BuildError(f"{replacements} Ray workers died; finished rows are kept, rerun "
                             "the same command to resume")
        enlist(pool.start())
        for other in actors:  # an idle survivor takes a share of the returned chunks
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
        [ready], _ = ray.wait(list(in_flight), num_returns=1)
        actor, chunk = in_flight[ready]
        try:
            rows = ray.get(ready)
        except ray.exceptions.RayActorError:
            replace(actor)
            continue
        del in_flight[ready]
        errors += error_rows(rows)
        writer.add(rows)
        for _ in chunk:
            on_arch()
        submit(actor)
    return errors
