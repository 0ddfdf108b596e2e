"""Where the chunks of a permutation test run: this process, local processes, or a Dask cluster.

The permutation engine (:mod:`geodti.spatial._permutation`) splits a test into chunks
whose draws depend only on ``(seed, block)``; an executor runs one chunk function over a
list of chunks and hands the results back in the chunks' order, so the numbers are the
same wherever the chunks ran. The data every chunk needs (the standardised panel block
and the weights) is shipped once per call (:meth:`Executor.share`: scattered to every
Dask worker), never once per chunk.

Nothing of Dask is imported unless a Dask client is given or :func:`connect` is called
(``pip install 'geodti[dask]'``).
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import ctypes
import multiprocessing
import os
import re
import sys
from collections.abc import Callable, Iterator, Sequence

from geodti.errors import InputError

__all__ = ["CONNECT_TIMEOUT", "DaskExecutor", "Executor", "ProcessExecutor", "SchedulerError", "connect",
           "executor_for", "scheduler_address", "scheduler_record"]

#: Seconds to wait for a Dask scheduler before giving up.
CONNECT_TIMEOUT = 10.0
#: Packages whose versions must agree between the client and the workers (checked by :func:`connect`).
CHECKED_PACKAGES = ["geodti", "numpy", "scipy", "threadpoolctl"]


class SchedulerError(InputError):
    """The Dask scheduler cannot be reached, its workers failed, or their versions differ (exit 2)."""


def _one_thread(fn, shared, task):
    """Run a chunk with one BLAS thread (the same digits in every process)."""
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1), _heap_for_chunk():
        return fn(shared, task)


@contextlib.contextmanager
def _heap_for_chunk():
    """Keep the engine's temporaries on the heap while a chunk runs on a Dask worker.

    Dask's nanny starts workers with ``MALLOC_TRIM_THRESHOLD_=65536``, which also fixes
    glibc's mmap threshold at 128 KB: every (columns x permutations) temporary of the engine
    is then mapped and unmapped, and the page faults doubled the CPU time of a chunk
    (benchmarks/results/distributed_city.md). During the chunk the thresholds are raised;
    afterwards the worker's own are restored and the heap trimmed.
    """
    trim = os.environ.get("MALLOC_TRIM_THRESHOLD_")
    libc = None
    if trim is not None and sys.platform.startswith("linux"):
        try:
            libc = ctypes.CDLL("libc.so.6")
        except OSError:
            libc = None
    if libc is None:
        yield
        return
    m_trim_threshold, m_mmap_threshold = -1, -3  # glibc's mallopt parameters
    libc.mallopt(m_mmap_threshold, 64 * 2**20)
    libc.mallopt(m_trim_threshold, 256 * 2**20)
    try:
        yield
    finally:
        libc.mallopt(m_trim_threshold, int(trim))
        libc.mallopt(m_mmap_threshold, 128 * 2**10)  # glibc's default, fixed once a threshold is set
        libc.malloc_trim(0)


class Executor:
    """Runs chunks in this process, one after the other."""

    #: True when chunks run in this process (progress bars and cached contexts apply).
    in_process = True
    name = "this process"

    def share(self, obj):
        """Make ``obj`` available to every chunk once (identity here)."""
        return obj

    def map(self, fn: Callable, shared, tasks: Sequence, *, what: str = "permutations") -> list:
        """``[fn(shared, task) for task in tasks]``, in order."""
        return list(self.imap(fn, shared, tasks, what=what))

    def imap(self, fn: Callable, shared, tasks: Sequence, *, what: str = "permutations") -> Iterator:
        """``fn(shared, task)`` of each task, yielded in the tasks' order (pooled as they come)."""
        return (fn(shared, t) for t in tasks)


class ProcessExecutor(Executor):
    """Runs chunks in ``workers`` fresh local Python processes (``spawn``).

    The shared data travels with every chunk (pickled per chunk): for tests and small jobs;
    a Dask cluster ships it once per worker.
    """

    in_process = False

    def __init__(self, workers: int = 2):
        self.workers = int(workers)
        self.name = f"{self.workers} local processes"

    def imap(self, fn, shared, tasks, *, what="permutations"):
        ctx = multiprocessing.get_context("spawn")
        with concurrent.futures.ProcessPoolExecutor(self.workers, mp_context=ctx) as pool:
            yield from pool.map(_one_thread, [fn] * len(tasks), [shared] * len(tasks), tasks)


class DaskExecutor(Executor):
    """Runs chunks on a ``dask.distributed`` cluster through ``client``."""

    in_process = False

    def __init__(self, client):
        self.client = client
        self.address = getattr(getattr(client, "scheduler", None), "address", None) or str(client)
        self.name = f"the Dask scheduler at {self.address}"

    def share(self, obj):
        # broadcast: every worker holds a copy before the chunks start (one transfer per worker)
        return _Scattered(self.client.scatter(obj, broadcast=True, hash=False))

    def imap(self, fn, shared, tasks, *, what="permutations"):
        from distributed import KilledWorker, as_completed

        if not isinstance(shared, _Scattered):
            shared = self.share(shared)
        futures = [self.client.submit(_one_thread, fn, shared.future, t, pure=False) for t in tasks]
        where = {f.key: i for i, f in enumerate(futures)}
        waiting = {}  # results that finished before an earlier chunk's
        following = 0
        try:
            # fetched and released as they finish: a worker holds no more than its running chunks' results;
            # handed on in the chunks' order, so the caller pools them as one process does
            for f in as_completed(futures):
                waiting[where[f.key]] = f.result()
                f.release()
                while following in waiting:
                    yield waiting.pop(following)
                    following += 1
        except KilledWorker as exc:
            raise SchedulerError(
                f"a worker of the Dask scheduler at {self.address} died while computing {what} ({exc}); "
                "nothing was written. Check the workers' memory limit and logs (a worker needs about the "
                "panel's size plus 64 MB), then run again") from None
        except (OSError, TimeoutError) as exc:  # CommClosedError is an OSError
            raise SchedulerError(
                f"lost the connection to the Dask scheduler at {self.address} while computing {what} "
                f"({type(exc).__name__}: {exc}); nothing was written. Check that the scheduler and its "
                "workers are running, then run again") from None
        finally:
            for f in futures:
                f.release()


class _Scattered:
    """A scattered object's future (kept apart from plain objects shared in process)."""

    def __init__(self, future):
        self.future = future


def executor_for(client=None) -> Executor:
    """The executor for ``client``: None (this process), an :class:`Executor`, or a
    ``dask.distributed.Client``."""
    if client is None:
        return Executor()
    if isinstance(client, Executor):
        return client
    if hasattr(client, "scatter") and hasattr(client, "submit") and hasattr(client, "gather"):
        return DaskExecutor(client)
    raise InputError(f"client must be a dask.distributed.Client or a geodti Executor, got {type(client).__name__}")


_ADDRESS = re.compile(r"^(?:dask|tcp)://(?P<host>\[[^\]]+\]|[^:/\s]+):(?P<port>\d{1,5})/?$")


def scheduler_address(address: str) -> str:
    """``dask://HOST:PORT`` (or ``tcp://HOST:PORT``) as distributed's ``tcp://HOST:PORT``."""
    m = _ADDRESS.match(str(address).strip())
    if not m or not 0 < int(m["port"]) < 65536:
        raise SchedulerError(f"scheduler address {address!r} is not of the form dask://HOST:PORT "
                             "(e.g. dask://10.0.0.5:8786)")
    return f"tcp://{m['host']}:{m['port']}"


def connect(address: str, timeout: float | None = None):
    """A ``dask.distributed.Client`` connected to ``address``, its workers' versions checked.

    Raises
    ------
    SchedulerError
        Dask is not installed, the scheduler does not answer within ``timeout`` seconds,
        it has no workers, or the client's and the workers' package versions differ.
    """
    tcp = scheduler_address(address)
    timeout = CONNECT_TIMEOUT if timeout is None else float(timeout)
    try:
        from distributed import Client
    except ImportError:
        raise SchedulerError(f"--scheduler {address} needs dask.distributed: pip install 'geodti[dask]'") from None
    try:
        client = Client(tcp, timeout=timeout, set_as_default=False)
    except (OSError, TimeoutError) as exc:
        raise SchedulerError(
            f"cannot reach the Dask scheduler at {address} within {timeout:g} s ({type(exc).__name__}); check "
            "the address and that `dask scheduler` is running there (and reachable through the firewall)"
        ) from None
    try:
        client.get_versions(check=True, packages=CHECKED_PACKAGES)
    except ValueError as exc:
        client.close()
        raise SchedulerError(
            f"the Dask scheduler at {address} and its workers run other package versions than this client: "
            f"{exc}. Install the same versions everywhere (constraints.txt), then run again") from None
    if not client.scheduler_info().get("workers"):
        client.close()
        raise SchedulerError(f"the Dask scheduler at {address} has no workers; start some (dask worker "
                             f"{tcp}) and run again")
    return client


def scheduler_record(address: str, client) -> dict:
    """What a run's manifest says about the Dask cluster it used.

    Parameters
    ----------
    address : str
        The address as given (``dask://HOST:PORT``).
    client : dask.distributed.Client
        The connected client (:func:`connect`).

    Returns
    -------
    dict
        ``address``, ``scheduler`` (distributed's address), ``workers`` and ``threads`` (their
        count at the start of the run), and ``versions``: python, dask, distributed and
        :data:`CHECKED_PACKAGES` as on the workers, one entry per distinct set (one when the
        versions agree, which :func:`connect` checked).
    """
    info = client.scheduler_info()
    workers = info.get("workers", {})
    versions = client.get_versions(packages=["dask", "distributed", *CHECKED_PACKAGES])
    seen = []
    for found in versions.get("workers", {}).values():
        packages = {k: v for k, v in sorted(found.get("packages", {}).items())}
        if packages not in seen:
            seen.append(packages)
    return {
        "address": str(address),
        "scheduler": info.get("address", ""),
        "workers": len(workers),
        "threads": int(sum(w.get("nthreads", 0) for w in workers.values())),
        "versions": seen,
    }
