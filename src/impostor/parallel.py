"""Screening chunks of names across processes, results in input order.

Each worker holds its own Detector: inherited from the parent where the platform forks (no second load), built
from the same options where it spawns.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
from collections import deque
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any, Callable, Iterable, Iterator, TypeVar

from .decide import Verdict
from .detector import Detector

_worker_detector: Detector | None = None


class WorkerDied(RuntimeError):
    """A worker process ended without returning its chunk."""
IN_FLIGHT_PER_WORKER = 4  # units vary: the first of a scan hold thousands of new names, later ones a few
T = TypeVar("T")
R = TypeVar("R")


def _init_worker(options: dict[str, Any]) -> None:
    # The parent handles Ctrl-C and SIGTERM and stops the workers itself: a worker ends quietly when told to.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    global _worker_detector
    if _worker_detector is None:
        _worker_detector = Detector(**options)


def _check_many(detector: Detector, names: list[str]) -> list[Verdict]:
    return detector.check_many(names)


def _run(task: Callable[[Detector, T], R], chunk: T) -> R:
    assert _worker_detector is not None
    return task(_worker_detector, chunk)


def worker_count(requested: int) -> int:
    """``requested`` workers; 0 means one per available core."""
    if requested > 0:
        return requested
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        return os.cpu_count() or 1


def screen_chunks(detector: Detector, chunks: Iterable[T], workers: int = 1,
                  task: Callable[[Detector, T], R] = _check_many) -> Iterator[R]:
    """``task(detector, chunk)`` for each chunk, results in input order, using ``workers`` processes.

    The default task screens a list of names into a list of verdicts; a task must be a module-level function
    (or a functools.partial of one) so that it can be sent to the workers."""
    workers = worker_count(workers)
    if workers == 1:
        for chunk in chunks:
            yield task(detector, chunk)
        return
    global _worker_detector
    methods = multiprocessing.get_all_start_methods()
    context = multiprocessing.get_context("fork" if "fork" in methods else "spawn")
    if context.get_start_method() == "fork":
        _worker_detector = detector  # children inherit it, loaded
    # concurrent.futures rather than multiprocessing.Pool: when a worker dies (killed, out of memory) the pool
    # says so (BrokenProcessPool) instead of waiting forever for the chunk it held.
    pool = ProcessPoolExecutor(workers, mp_context=context, initializer=_init_worker, initargs=(detector.options,))
    completed = False
    try:
        # A bounded window of chunks in flight, taken back in input order: every core stays busy, and the input
        # is read only as fast as results are consumed (Executor.map would read all of it at once).
        window: deque = deque()
        for chunk in chunks:
            window.append(pool.submit(_run, task, chunk))
            if len(window) >= IN_FLIGHT_PER_WORKER * workers:
                yield window.popleft().result()
        while window:
            yield window.popleft().result()
        completed = True
    except BrokenProcessPool:
        raise WorkerDied("a worker process died (killed, or out of memory); the output was not completed") from None
    finally:
        if not completed:
            # Stopping early (an error, Ctrl-C, SIGTERM, a dead worker): the other workers would finish their
            # chunks for nobody, and the interpreter would wait for them at exit.
            for process in list(getattr(pool, "_processes", {}).values()):
                process.terminate()
        pool.shutdown(wait=True, cancel_futures=True)
        _worker_detector = None
