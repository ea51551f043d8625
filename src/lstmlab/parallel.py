"""Independent pieces of work spread over cores: in this process, a local process pool, or Ray.

Each piece runs single-threaded (one PyTorch thread), so ``N`` cores run ``N`` pieces at once:
recurrent models of the size lstmlab trains gain little from a second intra-op thread and lose
a lot when threads of several processes compete for the same cores (see
:func:`lstmlab.runtime.torch_threads`). With ``jobs=1`` everything runs here, in order, with no
process started. With ``address`` the pieces are Ray tasks on that cluster (the sweep's
connection code, :func:`lstmlab.sweep.runner.connect`).

Worker processes are forked where the OS can (Linux): they start at once and need no
``if __name__ == "__main__"`` guard in the caller's script. Each sets one PyTorch thread before
any work, as PyTorch's own DataLoader workers do, which keeps a fork of a process that already
ran PyTorch safe. Elsewhere they are spawned.
"""

from __future__ import annotations

import functools
import os
import threading
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from contextlib import contextmanager
from typing import Any, TypeVar

from lstmlab.validation import require_int

__all__ = ["available_cores", "relay", "run_parallel", "workers_for"]

T = TypeVar("T")
R = TypeVar("R")


def available_cores() -> int:
    """The cores this process may run on (its CPU affinity where the OS tells it)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # macOS, Windows
        return os.cpu_count() or 1


def workers_for(jobs: int, pieces: int) -> int:
    """How many workers :func:`run_parallel` uses for ``pieces`` pieces with ``jobs``."""
    require_int("jobs", jobs, minimum=0)
    return min(jobs or available_cores(), pieces)


@contextmanager
def relay(callback: Callable[..., None] | None,
          local: bool) -> Iterator[Callable[..., None] | None]:
    """A picklable stand-in for ``callback`` that worker processes can call; each call reaches
    ``callback`` in this process (from a helper thread), in order. With ``local`` (everything
    runs here) it is ``callback`` itself.
    """
    if callback is None or local:
        yield callback
        return
    import multiprocessing

    with multiprocessing.Manager() as manager:
        queue = manager.Queue()

        def drain() -> None:
            while (message := queue.get()) is not None:
                callback(*message)

        reader = threading.Thread(target=drain, daemon=True)
        reader.start()
        try:
            yield functools.partial(_put, queue)
        finally:
            queue.put(None)
            reader.join()


def _put(queue: Any, *args: Any) -> None:
    queue.put(args)


def run_parallel(fn: Callable[[T], R], items: Sequence[T], *, jobs: int = 0,
                 address: str | None = None,
                 on_done: Callable[[int, R], None] | None = None) -> list[R]:
    """``[fn(item) for item in items]``, computed by up to ``jobs`` single-threaded workers.

    ``jobs=0`` means one worker per available core; ``fn`` and the items must be picklable
    (``fn`` a module-level function) unless everything runs here. ``on_done(position, result)``
    is called in this process as each piece finishes. An exception in a piece is raised here
    once the pieces already running have finished.
    """
    workers = workers_for(jobs, len(items))
    if address:
        return _on_ray(fn, items, address, on_done)
    if workers <= 1:  # here, with this process's thread setting (a config may set its own)
        results = []
        for position, item in enumerate(items):
            results.append(fn(item))
            if on_done:
                on_done(position, results[-1])
        return results
    return _on_pool(fn, items, workers, on_done)


def _single_threaded(fn: Callable[[T], R], item: T) -> R:
    from lstmlab.runtime import torch_threads

    with torch_threads(1):
        return fn(item)


def _on_pool(fn: Callable[[T], R], items: Sequence[T], workers: int,
             on_done: Callable[[int, R], None] | None) -> list[R]:
    import multiprocessing

    results: dict[int, R] = {}
    methods = multiprocessing.get_all_start_methods()
    context = multiprocessing.get_context("fork" if "fork" in methods else "spawn")
    with ProcessPoolExecutor(workers, mp_context=context) as pool:
        running = {pool.submit(_single_threaded, fn, item): i for i, item in enumerate(items)}
        while running:
            done, _ = wait(running, return_when=FIRST_COMPLETED)
            for future in done:
                position = running.pop(future)
                results[position] = future.result()
                if on_done:
                    on_done(position, results[position])
    return [results[i] for i in range(len(items))]


def _on_ray(fn: Callable[[T], R], items: Sequence[T], address: str,
            on_done: Callable[[int, R], None] | None) -> list[R]:
    from lstmlab.sweep.runner import connect, import_ray

    ray = import_ray()
    started = connect(address)
    try:
        task = ray.remote(_single_threaded).options(num_cpus=1, max_retries=0)
        refs: dict[Any, int] = {task.remote(fn, item): i for i, item in enumerate(items)}
        results: dict[int, R] = {}
        while refs:
            ready, _ = ray.wait(list(refs), num_returns=1)
            for ref in ready:
                position = refs.pop(ref)
                results[position] = ray.get(ref)
                if on_done:
                    on_done(position, results[position])
    finally:
        if started:
            ray.shutdown()
    return [results[i] for i in range(len(items))]
