"""Screening chunks of names across processes, results in input order.

Each worker holds its own Detector: inherited from the parent where the platform forks (no second load), built
from the same options where it spawns.  Each worker has a pipe of its own and one chunk at a time: the parent
hands the next chunk to whichever worker is free, and gives the results back in input order.

This is a pool of its own rather than concurrent.futures or multiprocessing.Pool: both read results through one
shared pipe in a thread, and a worker stopped in the middle of writing its result (Ctrl-C, SIGTERM, a reader that
went away) leaves half a message there that the thread waits on forever, so the scan never exits.  Here stopping
early is killing the workers and closing their pipes; a worker that dies is seen at once (its sentinel), and a
worker whose parent died (SIGKILL) ends by itself.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
from multiprocessing.connection import Connection, wait
from typing import Any, Callable, Iterable, Iterator, TypeVar

from .decide import Verdict
from .detector import Detector

_worker_detector: Detector | None = None
# The parent's ends of the workers' pipes, while a worker is forked: the child closes its copies, or a worker would
# hold its siblings' pipes (and its own) open, and a worker writing a result to a parent that died would wait forever.
_parent_ends: list[Connection] = []
PARENT_POLL_SECONDS = 0.2  # how soon an idle worker notices that its parent is gone
IN_FLIGHT_PER_WORKER = 4  # chunks handed out or finished but not yet given back, per worker: bounds memory
T = TypeVar("T")
R = TypeVar("R")


class WorkerDied(RuntimeError):
    """A worker process ended without returning its chunk."""


DIED = "a worker process died (killed, or out of memory); the output was not completed"


def _check_many(detector: Detector, names: list[str]) -> list[Verdict]:
    return detector.check_many(names)


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
    (or a functools.partial of one) so that it can be sent to the workers.  Chunks are read from ``chunks`` only
    as fast as results are consumed."""
    workers = worker_count(workers)
    if workers == 1:
        for chunk in chunks:
            yield task(detector, chunk)
        return
    pool = _Pool(detector, workers)
    try:
        yield from pool.run(task, chunks)
    finally:
        pool.close()


def _work(connection: Connection, options: dict[str, Any], parent: int) -> None:
    """A worker's life: take (task, chunk) from the pipe, send back ("ok", result) or ("error", exception), until
    told to stop (None), the pipe closes or the parent is gone."""
    # The parent handles Ctrl-C and SIGTERM and stops the workers itself.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    for inherited in _parent_ends:
        inherited.close()
    global _worker_detector
    if _worker_detector is None:
        _worker_detector = Detector(**options)
    while True:
        # An orphan gets a new parent: a changed parent id means the old one died (killed with SIGKILL, it could
        # stop no one), and nothing will come any more.
        if not connection.poll(PARENT_POLL_SECONDS):
            if os.getppid() != parent:
                os._exit(1)
            continue
        try:
            message = connection.recv()
        except (EOFError, OSError):
            os._exit(1)
        if message is None:
            return
        task, chunk = message
        try:
            reply = ("ok", task(_worker_detector, chunk))
        except Exception as exc:  # a bug: raised again in the parent
            reply = ("error", exc)
        try:
            try:
                connection.send(reply)
            except (TypeError, AttributeError, ValueError) as exc:  # pragma: no cover - won't pickle
                connection.send(("error", RuntimeError(f"{type(reply[1]).__name__}: {reply[1]} ({exc})")))
        except OSError:  # the parent is gone
            os._exit(1)


class _Pool:
    def __init__(self, detector: Detector, size: int) -> None:
        global _worker_detector, _parent_ends
        methods = multiprocessing.get_all_start_methods()
        context = multiprocessing.get_context("fork" if "fork" in methods else "spawn")
        forks = context.get_start_method() == "fork"
        self.processes: list[Any] = []
        self.connections: list[Connection] = []
        if forks:
            detector.preload()  # read once here rather than in every worker
            _worker_detector = detector  # children inherit it, loaded
        try:
            for _ in range(size):
                mine, theirs = context.Pipe()
                _parent_ends = [*self.connections, mine]
                process = context.Process(target=_work, args=(theirs, detector.options, os.getpid()), daemon=True,
                                          name="impostor-worker")
                process.start()
                theirs.close()
                self.processes.append(process)
                self.connections.append(mine)
        finally:
            _worker_detector, _parent_ends = None, []
        self.finished = False

    def run(self, task: Callable[[Detector, T], R], chunks: Iterable[T]) -> Iterator[R]:
        source = iter(chunks)
        idle = list(range(len(self.processes)))[::-1]
        busy: dict[int, int] = {}  # worker -> the chunk it holds
        done: dict[int, R] = {}  # chunk -> its result, until its turn
        handed = given = 0  # chunks handed out, results given back
        window = IN_FLIGHT_PER_WORKER * len(self.processes)
        exhausted = False
        while True:
            while idle and not exhausted and handed - given < window:
                try:
                    chunk = next(source)
                except StopIteration:
                    exhausted = True
                    break
                worker = idle.pop()
                try:
                    self.connections[worker].send((task, chunk))
                except OSError:  # nobody reads that pipe any more
                    raise WorkerDied(DIED) from None
                busy[worker] = handed
                handed += 1
            while given in done:
                result = done.pop(given)
                given += 1
                yield result
            if exhausted and not busy and given == handed:
                self.finished = True
                return
            if not busy:
                continue  # the window is full of finished results: they were given back above
            waiting = {self.connections[w]: w for w in busy}
            sentinels = {self.processes[w].sentinel: w for w in busy}
            for ready in wait([*waiting, *sentinels]):
                worker = waiting.get(ready)  # type: ignore[call-overload]
                if worker is None:  # a sentinel: the process ended; its result may still be in the pipe
                    worker = sentinels[ready]  # type: ignore[index]
                    if worker not in busy or self.connections[worker].poll():
                        continue
                    raise WorkerDied(DIED)
                if worker not in busy:
                    continue
                try:
                    status, value = self.connections[worker].recv()
                except (EOFError, OSError):
                    raise WorkerDied(DIED) from None
                if status == "error":
                    raise value
                done[busy.pop(worker)] = value
                idle.append(worker)

    def close(self) -> None:
        """Stop the workers: told to, after a complete run; killed otherwise (an error, Ctrl-C, SIGTERM, a reader
        that went away), since their chunks would be finished for nobody."""
        for process, connection in zip(self.processes, self.connections):
            if self.finished:
                try:
                    connection.send(None)
                except OSError:
                    pass
            else:
                process.kill()
        for process, connection in zip(self.processes, self.connections):
            process.join(5)
            if process.is_alive():  # pragma: no cover - a worker that did not stop when told to
                process.kill()
                process.join()
            connection.close()
