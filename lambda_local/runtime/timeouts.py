"""How a handler is stopped at its timeout. Kept behind one function, ``call_with_timeout``, so a platform without
signals or threads (Pyodide) can swap in its own strategy.

* In the main thread (a notebook kernel, pytest, the CLI) a real-time interval timer (SIGALRM) raises
  :class:`FunctionTimeout` inside the handler: endless loops, ``time.sleep`` and blocking waits are all interrupted,
  and the timer keeps firing until the handler lets go.
* In any other thread (the local endpoint's request threads) the handler runs in a worker thread that is abandoned
  at the deadline; an asynchronous exception is sent to stop it as soon as it runs Python code again, and whatever it
  prints afterwards is dropped.
"""

from __future__ import annotations

import ctypes
import signal
import threading

import _signal  # the C functions behind `signal`, without its enum wrapping (tens of µs per invocation)
import time
from dataclasses import dataclass
from typing import Any, Callable

from .. import logs

__all__ = ["FunctionTimeout", "OutOfMemory", "Outcome", "call_with_timeout", "memory_watchdog"]


class FunctionTimeout(BaseException):
    """Raised inside a handler that ran past its timeout. A BaseException, so ``except Exception`` does not eat it."""

    def __init__(self, token: object = None):
        super().__init__("Task timed out")
        self.token = token


class OutOfMemory(BaseException):
    """The function allocated more than its memory size (Runtime.OutOfMemory); a BaseException like a kill."""


_statm_fd: int | None = None


def _resident_bytes() -> int | None:
    """The process's size (virtual: memory it asked for, touched or not; a zero-filled bytearray is never touched).
    Read with pread on a descriptor kept open: opening /proc each time would cost more than the rest of a warm call."""
    global _statm_fd
    try:
        if _statm_fd is None:
            _statm_fd = _os.open("/proc/self/statm", _os.O_RDONLY)
        return int(_os.pread(_statm_fd, 64, 0).split()[0]) * _PAGE_SIZE
    except (OSError, ValueError, IndexError, AttributeError):
        return None


try:
    import os as _os

    _PAGE_SIZE = _os.sysconf("SC_PAGE_SIZE")
except (AttributeError, ValueError, OSError):
    _PAGE_SIZE = 4096


def memory_watchdog(memory_size_mb: int, already_used_mb: int, traced: bool = True
                    ) -> Callable[[], BaseException | None]:
    """A check run every few milliseconds while a handler runs: past its memory size, the invocation ends, as the
    platform kills a runtime that runs out of memory. Counts what tracemalloc sees the function allocate, or, when
    the invocation is not traced, how much the process's resident memory grew since it started."""
    import tracemalloc

    limit = max(memory_size_mb - already_used_mb, 1) * 1024 * 1024
    if traced:
        def check() -> BaseException | None:
            if tracemalloc.is_tracing() and tracemalloc.get_traced_memory()[0] > limit:
                return OutOfMemory()
            return None
        return check
    start = _resident_bytes()

    def check_resident() -> BaseException | None:
        now = _resident_bytes()
        if start is not None and now is not None and now - start > limit:
            return OutOfMemory()
        return None

    return check_resident


@dataclass(slots=True)
class Outcome:
    value: Any = None
    error: BaseException | None = None
    timed_out: bool = False
    abandoned: bool = False


_REFIRE_S = 0.05
_WATCH_S = 0.01  # how often the memory watchdog looks
_deadlines: list[tuple[float, object]] = []
_watchdogs: list[Callable[[], BaseException | None]] = []
_previous_handler: Any = None


def _on_alarm(signum, frame):
    if not _deadlines:
        if callable(_previous_handler):
            _previous_handler(signum, frame)  # the caller's own alarm
        return
    now = time.monotonic()
    expired = [token for deadline, token in _deadlines if deadline <= now]
    if expired:
        raise FunctionTimeout(expired[0])  # the outermost expired invocation wins
    for check in _watchdogs:
        problem = check()
        if problem is not None:
            raise problem
    _arm()


def _arm() -> None:
    if _deadlines:
        earliest = min(deadline for deadline, _ in _deadlines)
        first = max(earliest - time.monotonic(), 0.0005)
        if _watchdogs:
            first = min(first, _WATCH_S)
        _signal.setitimer(_signal.ITIMER_REAL, first, _WATCH_S if _watchdogs else _REFIRE_S)
    else:
        _signal.setitimer(_signal.ITIMER_REAL, 0)


def _signals_usable() -> bool:
    return hasattr(signal, "setitimer") and threading.current_thread() is threading.main_thread()


def call_with_timeout(fn: Callable[[], Any], timeout_s: float,
                      watchdog: Callable[[], BaseException | None] | None = None) -> Outcome:
    """Run ``fn()`` and stop it after ``timeout_s`` seconds of real time (or when ``watchdog`` returns an
    exception, checked every few milliseconds)."""
    if _signals_usable():
        return _call_with_signal(fn, timeout_s, watchdog)
    return _call_in_thread(fn, timeout_s, watchdog)


def _call_with_signal(fn: Callable[[], Any], timeout_s: float, watchdog=None) -> Outcome:
    global _previous_handler
    token = object()
    entry = (time.monotonic() + timeout_s, token)
    if not _deadlines and _signal.getsignal(_signal.SIGALRM) is not _on_alarm:
        # Installed once and left in place while idle (it does nothing without deadlines); a handler the caller
        # had is called for alarms that are not ours.
        _previous_handler = _signal.signal(_signal.SIGALRM, _on_alarm)
    _deadlines.append(entry)
    if watchdog is not None:
        _watchdogs.append(watchdog)
    _arm()
    outcome = Outcome()
    try:
        outcome.value = fn()
    except FunctionTimeout as exc:
        if exc.token is not token and any(t is exc.token for _, t in _deadlines):
            _leave_signal(entry)
            raise  # an outer invocation's deadline: unwind to it
        outcome.timed_out = True
    except BaseException as exc:  # noqa: BLE001 - the handler's own failure, reported as AWS reports it
        outcome.error = exc
    finally:
        if watchdog is not None and watchdog in _watchdogs:
            _watchdogs.remove(watchdog)
        _leave_signal(entry)
    return outcome


def _leave_signal(entry) -> None:
    if entry in _deadlines:
        _deadlines.remove(entry)
        _arm()


def _call_in_thread(fn: Callable[[], Any], timeout_s: float, watchdog=None) -> Outcome:
    outcome = Outcome()

    def runner():
        try:
            outcome.value = fn()
        except FunctionTimeout:
            pass
        except BaseException as exc:  # noqa: BLE001
            outcome.error = exc

    worker = threading.Thread(target=runner, name="lambda-handler", daemon=True)
    worker.start()
    deadline = time.monotonic() + timeout_s
    while worker.is_alive() and time.monotonic() < deadline:
        left = max(deadline - time.monotonic(), 0)
        worker.join(min(_WATCH_S, left) if watchdog else left)
        problem = watchdog() if watchdog is not None and worker.is_alive() else None
        if problem is not None:
            ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(worker.ident), ctypes.py_object(type(problem)))
            worker.join(1.0)
            break
    if worker.is_alive():
        logs._abandoned_threads.add(worker.ident)
        ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(worker.ident), ctypes.py_object(FunctionTimeout))
        return Outcome(timed_out=True, abandoned=True)
    return outcome
