"""``--workers N``: split a scoring job over N processes (one CPU thread share each).

Small convolutions scale poorly over threads, so on a CPU N single-thread processes score
more archs per second than one process with N threads.  Workers take archs one at a time from
a shared counter, so none sits idle while another still has a queue of slow archs; each writes
its own parts; progress comes back through a queue.  A worker dies with the build process
(:mod:`.parent_death`), so no orphan keeps writing after a ``kill``.  The scores' classes travel
to the workers (by module path: a spawned process shares the build's ``sys.path``) and are
registered there, so a plug-in registered only in the build process scores in them too.
"""

from __future__ import annotations

import dataclasses
import multiprocessing as mp
import os
import pickle
import queue
import signal
from collections.abc import Iterator
from multiprocessing.sharedctypes import Synchronized

import numpy as np
import torch

from naswot_db.builder.scoring import Scorer, register_scorer, scorer_class

from .config import BuildError
from .parent_death import die_with_parent
from .scoring_loop import ScoringJob, run_scoring_job

_DONE = "done"


def claimed_positions(positions: np.ndarray, next_index: Synchronized) -> Iterator[int]:
    """The positions this worker claims, one at a time, from the index all workers share."""
    while True:
        with next_index.get_lock():
            index = next_index.value
            next_index.value += 1
        if index >= len(positions):
            return
        yield int(positions[index])


def _worker(job: ScoringJob, scorers: list[type[Scorer]], threads: int,
            next_index: Synchronized, messages: mp.Queue, parent_pid: int) -> None:
    die_with_parent(parent_pid)
    torch.set_num_threads(threads)
    for scorer in scorers:
        register_scorer(scorer)  # a spawned process knows only the built-in scores
    written, errors = run_scoring_job(job, lambda: messages.put(1),
                                      claimed_positions(job.positions, next_index))
    messages.put((_DONE, written, errors))


def sendable_scorer(score: str) -> type[Scorer]:
    """The class of ``score``, checked to travel by module path to a spawned process."""
    scorer = scorer_class(score)
    try:
        pickle.dumps(scorer)
    except (pickle.PicklingError, AttributeError, TypeError) as exc:
        raise BuildError(f"score plug-in {scorer.__qualname__} cannot be sent to --workers "
                         f"processes ({exc}); define it at the top level of an importable "
                         "module") from None
    return scorer


def run_in_workers(job: ScoringJob, devices: list[torch.device], on_arch) -> tuple[int, int]:
    """Run ``job`` over one process per entry of ``devices``, sharing its archs.

    Several entries may name one GPU: the processes share it.  Returns (written, errors).
    """
    workers = len(devices)
    context = mp.get_context("spawn")
    messages = context.Queue()
    next_index = context.Value("q", 0)
    threads = max(1, torch.get_num_threads() // workers)
    scorers = [sendable_scorer(score) for score in job.scores]
    processes = []
    # Ctrl-C reaches the whole terminal process group: the workers ignore it (the ignored
    # disposition is inherited through spawn's exec) and this process stops them, so the user
    # sees one line instead of a traceback per worker
    interrupt_handler = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        for index in range(workers):
            part = dataclasses.replace(job, part_prefix=f"{job.part_prefix}-w{index}",
                                       device=str(devices[index]))
            process = context.Process(target=_worker, daemon=True, args=(
                part, scorers, threads, next_index, messages, os.getpid()))
            process.start()
            processes.append(process)
    finally:
        signal.signal(signal.SIGINT, interrupt_handler)
    try:
        return _collect(processes, messages, on_arch)
    finally:  # stopped (Ctrl-C, an error): no worker writes after the run's rows are counted
        for process in processes:
            if process.is_alive():
                process.terminate()
        for process in processes:
            process.join()


def _collect(processes: list, messages: mp.Queue, on_arch) -> tuple[int, int]:
    """Progress and results from the workers until each is done; (written, errors)."""
    workers = len(processes)
    written = errors = finished = 0
    while finished < workers:
        try:
            message = messages.get(timeout=1.0)
        except queue.Empty:
            if any(p.exitcode not in (None, 0) for p in processes):
                for process in processes:  # survivors could block on a full queue forever
                    process.terminate()
                break
            continue
        if message == 1:
            on_arch()
        else:
            finished += 1
            written += message[1]
            errors += message[2]
    for process in processes:
        process.join()
    failed = [i for i, p in enumerate(processes) if p.exitcode != 0]
    if failed:
        raise BuildError(f"build worker(s) {failed} failed; finished rows are kept, rerun the "
                         "same command to resume")
    return written, errors
