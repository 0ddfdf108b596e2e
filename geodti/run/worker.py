"""A second Python process for the background steps of ``geodti run``.

The parent starts ``python -c "from geodti.run.worker import main; main(PID)"`` (not ``-m``:
the package ``geodti.run`` imports this module, and ``-m`` would run it a second time), sends it pickled tasks (picklable
callables without arguments, e.g. a :func:`functools.partial` of a module-level function)
on its standard input and reads pickled outcomes, in the order sent, from its standard
output; whatever the tasks print goes to standard error.

Why not :mod:`multiprocessing`: its ``spawn`` start re-imports the caller's main script in
the child, so a plain script calling ``geodti.run`` without an ``if __name__ == "__main__"``
guard would start itself again; ``fork`` is unsafe once libraries have started threads.

The process ends with its parent, however the parent ends (SIGKILL too), so a killed run
leaves no process behind that goes on writing map pages: on Linux the kernel sends it
SIGTERM when the parent dies (``prctl(PR_SET_PDEATHSIG)``), which stops even a task that is
busy for seconds and never reads its input; elsewhere a thread watches the parent's id.
Either way the SIGTERM unwinds the task, so its temporary files are removed.
"""

from __future__ import annotations

import ctypes
import os
import pickle
import queue
import signal
import subprocess
import sys
import threading
import time
import traceback


def _warm() -> None:
    """Import, while the parent reads its table, what the background steps use."""
    import geodti.dynamics.summary  # noqa: F401  (giddy, pointpats, spreg: seconds to import)
    import geodti.web  # noqa: F401


class _Stop(BaseException):
    """The parent asked this process to stop (SIGTERM): unwinds the task, so its temporary
    files are removed (:mod:`geodti.io.atomic`), and ends the process quietly."""


def _stop(signum, frame):
    raise _Stop


#: prctl option: the signal this process gets when its parent ends (linux/prctl.h)
PR_SET_PDEATHSIG = 1


def _end_with(parent: int) -> None:
    """Have this process receive SIGTERM as soon as its parent, process ``parent``, ends."""
    if sys.platform.startswith("linux"):
        libc = ctypes.CDLL(None, use_errno=True)
        if libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0) != 0:
            error = ctypes.get_errno()
            raise OSError(error, f"prctl(PR_SET_PDEATHSIG): {os.strerror(error)}")
    else:  # no such call: look every half second
        def watch() -> None:
            while os.getppid() == parent:
                time.sleep(0.5)
            os.kill(os.getpid(), signal.SIGTERM)

        threading.Thread(target=watch, daemon=True).start()
    if os.getppid() != parent:  # the parent ended before the call above
        os.kill(os.getpid(), signal.SIGTERM)


def main(parent: int | None = None) -> None:
    """Serve tasks until the input closes; ``parent``: the process id of the run, with which
    this process ends."""
    signal.signal(signal.SIGTERM, _stop)
    try:
        if parent is not None:
            _end_with(parent)
        _serve()
    except _Stop:
        sys.exit(128 + signal.SIGTERM)
    # every task done and answered: end at once; the interpreter's shutdown (freeing the
    # modules of pandas, matplotlib, numba ...) took 1-2 s that the run waited for. A SIGTERM
    # now (the parent ending) has nothing left to stop: it must not print a traceback.
    try:
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        sys.stderr.flush()
    except _Stop:
        pass
    os._exit(0)


def _serve() -> None:
    tasks = sys.stdin.buffer
    outcomes = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)  # prints of the tasks go to stderr, never into the outcome stream
    sys.stdout = sys.stderr
    from threadpoolctl import threadpool_limits

    threadpool_limits(limits=1)  # as the parent does during a run (see geodti.run.runner)
    _warm()
    while True:
        try:
            work = pickle.load(tasks)
        except EOFError:
            return
        start = time.perf_counter()
        try:
            outcome = ("ok", work(), time.perf_counter() - start)
        except _Stop:
            raise
        except BaseException as exc:  # sent back and raised in the parent
            outcome = ("error", exc, traceback.format_exc())
        try:
            data = pickle.dumps(outcome, protocol=pickle.HIGHEST_PROTOCOL)
        except Exception as exc:
            data = pickle.dumps(("error", RuntimeError(f"the result could not be sent back: {exc}"),
                                 traceback.format_exc()))
        outcomes.write(data)
        outcomes.flush()


class WorkerError(RuntimeError):
    """The background process stopped without an answer."""


class Worker:
    """The parent's handle on one worker process; tasks run one after another, in order."""

    def __init__(self) -> None:
        env = dict(os.environ)
        # the child imports the same geodti and libraries as this process
        env["PYTHONPATH"] = os.pathsep.join(p for p in sys.path if p)
        # Its own process group: Ctrl-C in a terminal reaches only the parent, which stops
        # this process in order (close) instead of both printing a KeyboardInterrupt.
        group = {"process_group": 0} if os.name == "posix" else {}
        self._process = subprocess.Popen(
            [sys.executable, "-c", f"from geodti.run.worker import main; main({os.getpid()})"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE, env=env, **group)
        # Threads move the pickles so neither side blocks on a full pipe while the other
        # is busy computing.
        self._outbox: queue.Queue = queue.Queue()
        self._outcomes: list[queue.Queue] = []
        self._lock = threading.Lock()
        self._stopped: str | None = None  # why the process ended, once it has
        self._sender = threading.Thread(target=self._send, daemon=True)
        self._receiver = threading.Thread(target=self._receive, daemon=True)
        self._sender.start()
        self._receiver.start()

    def _send(self) -> None:
        stdin = self._process.stdin
        while (data := self._outbox.get()) is not None:
            try:
                stdin.write(data)
                stdin.flush()
            except OSError:  # the process has ended; the receiver reports it
                return
        stdin.close()

    def _receive(self) -> None:
        stdout = self._process.stdout
        index = 0
        reason = None
        while reason is None:
            try:
                outcome = pickle.load(stdout)
            except EOFError:
                reason = f"exit code {self._process.wait()}"
                break
            except Exception as exc:  # a truncated stream: the process died mid-answer
                reason = f"{exc!r}, exit code {self._process.wait()}"
                break
            with self._lock:
                self._outcomes[index].put(outcome)
            index += 1
        with self._lock:
            self._stopped = reason
            for slot in self._outcomes[index:]:
                slot.put(("died", reason, ""))

    def submit(self, work):
        """Queue ``work``; return a function that waits for ``(result, seconds)``."""
        slot: queue.Queue = queue.Queue(maxsize=1)
        with self._lock:
            if self._stopped is not None:
                slot.put(("died", self._stopped, ""))
            else:
                self._outcomes.append(slot)
                self._outbox.put(pickle.dumps(work, protocol=pickle.HIGHEST_PROTOCOL))

        def get():
            kind, value, detail = slot.get()
            slot.put((kind, value, detail))  # a second get() answers the same
            if kind == "ok":
                return value, detail
            if kind == "error":
                if detail and hasattr(value, "add_note"):
                    value.add_note("in geodti's background process:\n" + detail)
                raise value
            raise WorkerError(f"geodti's background process stopped ({value}); run again with "
                              "--jobs 1 to do every step in one process.")

        return get

    def close(self, timeout: float = 10.0, *, finished: bool = False) -> None:
        """Stop the process: its tasks are done (``finished``), or the run failed or was
        interrupted.

        Its input is closed first; a finished process ends by itself on that, at once, and
        is given ``timeout`` seconds to. Otherwise, or if it has not ended by then, SIGTERM,
        so a task still writing removes its temporary files; a process that has not ended
        ``timeout`` seconds later is killed. A process that was never given a task has
        nothing to finish: it is stopped at once, not waited for while it imports.
        """
        self._outbox.put(None)
        try:
            if finished and self._outcomes:
                self._process.wait(timeout)
        except subprocess.TimeoutExpired:
            pass
        try:
            if self._process.poll() is None:
                self._process.terminate()
                self._process.wait(timeout)
        except subprocess.TimeoutExpired:
            pass
        finally:
            if self._process.poll() is None:
                self._process.kill()
            self._process.wait()


if __name__ == "__main__":
    main()
