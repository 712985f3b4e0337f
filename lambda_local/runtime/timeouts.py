"""How running code is stopped at its timeout: the *stopper* seam.

A :class:`Stopper` runs a callable and ends it when its time is up (or when a watchdog check says so, e.g. past the
memory size). Which one runs depends on what the platform offers; :func:`stopper_for` chooses, and
``LAMBDA_LOCAL_STOPPER=signal|thread|monitoring`` overrides the choice:

* :class:`SignalStopper`, the caller's own thread when it is the main thread (a notebook kernel, pytest, the CLI):
  a real-time interval timer (SIGALRM) raises :class:`FunctionTimeout` inside the code, so loops, ``time.sleep``,
  blocking socket reads and regular expressions are all interrupted, and the timer keeps firing until the code lets
  go. Code that swallows the exception (``except BaseException``) is traced line by line after the first miss, so the
  next line it runs raises again, outside its ``try``. A C call that never checks for signals (``hashlib.scrypt``)
  cannot be interrupted in the caller's thread: the invocation still ends as timed out, billed to its timeout.
* :class:`ThreadStopper`, any other thread: the code runs in a worker thread that is *abandoned* at the deadline, as
  Lambda abandons a runtime that overruns: the caller gets its answer at the timeout whatever the code is doing, and
  the worker, detached, can never write into anyone's log again (its invocation is marked abandoned).
* :class:`MonitoringStopper`, where there are neither threads nor signals (Pyodide; Python 3.12+): a
  ``sys.monitoring`` callback on every jump and call checks the deadline and raises there, and ``time.sleep`` sleeps
  no further than the deadline. A C call that does not return (``hashlib.scrypt``, a huge regular expression) runs
  to its end: nothing can interrupt it there.

Whatever a stopper does, a deadline belongs to one run: once ``run`` returns, nothing it armed can raise anywhere.
"""

from __future__ import annotations

import os
import sys
import time
import tracemalloc
from dataclasses import dataclass
from typing import Any, Callable, Protocol

from .clocks import stopwatch

__all__ = ["FunctionTimeout", "OutOfMemory", "Outcome", "Stopper", "SignalStopper", "ThreadStopper",
           "MonitoringStopper", "call_with_timeout", "memory_watchdog", "stopper_for"]

_PACKAGE_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__))) + os.sep


class FunctionTimeout(BaseException):
    """Raised inside a handler that ran past its timeout. A BaseException, so ``except Exception`` does not eat it."""

    def __init__(self, token: object = None):
        super().__init__("Task timed out")
        self.token = token


class OutOfMemory(BaseException):
    """The function allocated more than its memory size (Runtime.OutOfMemory); a BaseException like a kill."""


@dataclass(slots=True)
class Outcome:
    """What became of one run: its value, the exception it raised, or that it was stopped at its deadline.

    ``abandoned``: the code was still running at the deadline and was left behind (its environment must go).
    """

    value: Any = None
    error: BaseException | None = None
    timed_out: bool = False
    abandoned: bool = False


Watchdog = Callable[[], "BaseException | None"]


class Stopper(Protocol):
    """Runs code under a deadline. Implementations never let a deadline fire after ``run`` returned."""

    name: str

    def run(self, fn: Callable[[], Any], timeout_s: float, watchdog: Watchdog | None = None) -> Outcome:
        """Run ``fn()``; stop it after ``timeout_s`` seconds of real time or when ``watchdog()`` returns an
        exception (checked every few milliseconds)."""
        ...


# --- memory ----------------------------------------------------------------------------------------------------------
_statm_fd: int | None = None
try:
    _PAGE_SIZE = os.sysconf("SC_PAGE_SIZE")
except (AttributeError, ValueError, OSError):
    _PAGE_SIZE = 4096


def _resident_bytes() -> int | None:
    """The process's size (virtual: memory it asked for, touched or not; a zero-filled bytearray is never touched).
    Read with pread on a descriptor kept open: opening /proc each time would cost more than the rest of a warm call."""
    global _statm_fd
    try:
        if _statm_fd is None:
            _statm_fd = os.open("/proc/self/statm", os.O_RDONLY)
        statm = os.pread(_statm_fd, 64, 0)
        return int(statm[:statm.index(b" ")]) * _PAGE_SIZE
    except (OSError, ValueError, IndexError, AttributeError):
        return None


def memory_watchdog(memory_size_mb: int, already_used_mb: int, traced: bool = True) -> Watchdog:
    """A check run every few milliseconds while a handler runs: past its memory size, the invocation ends, as the
    platform kills a runtime that runs out of memory. Counts what tracemalloc sees the function allocate, or, when
    the invocation is not traced, how much the process's resident memory grew since it started. (An execution
    environment keeps one :class:`MemoryWatch` and re-arms it at each invocation instead.)"""
    return MemoryWatch().arm(memory_size_mb, already_used_mb, traced)


class MemoryWatch:
    """The memory watchdog (:func:`memory_watchdog`) as one object an execution environment keeps and re-arms at
    each invocation (:meth:`arm`): no new closure per warm invocation."""

    __slots__ = ("limit", "start", "traced", "check")

    def __init__(self) -> None:
        self.limit = 0
        self.start: int | None = None
        self.traced = True
        self.check: Watchdog = self._check  # one bound method, made once

    def arm(self, memory_size_mb: int, already_used_mb: int, traced: bool) -> Watchdog:
        """The check for one invocation (see :func:`memory_watchdog` for what it counts)."""
        self.limit = max(memory_size_mb - already_used_mb, 1) * 1024 * 1024
        self.traced = traced
        self.start = None if traced else _resident_bytes()
        return self.check

    def _check(self) -> BaseException | None:
        if self.traced:
            if tracemalloc.is_tracing() and tracemalloc.get_traced_memory()[0] > self.limit:
                return OutOfMemory()
            return None
        start = self.start
        now = _resident_bytes()
        if start is not None and now is not None and now - start > self.limit:
            return OutOfMemory()
        return None


# --- signals (the caller's main thread) -------------------------------------------------------------------------------
_REFIRE_S = 0.05
_WATCH_S = 0.01  # how often the memory watchdog looks


class _Deadline:
    """One armed run. ``done`` is set the moment the run's code has finished: from then on it never fires."""

    __slots__ = ("at", "watchdog", "done", "fired")

    def __init__(self, at: float, watchdog: Watchdog | None):
        self.at = at
        self.watchdog = watchdog
        self.done = False
        self.fired = False


def _check_watchdogs(armed: list[_Deadline]) -> None:
    """Raise the first problem an armed run's watchdog reports (memory past the function's size): the signal handler
    and the monitoring callback (and its sleep) look the same way."""
    for entry in armed:
        if not entry.done and entry.watchdog is not None:
            problem = entry.watchdog()
            if problem is not None:
                raise problem


class SignalStopper:
    """SIGALRM in the main thread; see the module's docstring."""

    name = "signal"

    def __init__(self) -> None:
        import _signal  # the C functions behind `signal`, without its enum wrapping (tens of µs per invocation)

        self._signal = _signal
        self._armed: list[_Deadline] = []
        self._previous: Any = None
        self._saved_trace: Any = None
        self._tracing = False
        self._handler = self._on_alarm  # one bound method: what getsignal() returns is compared by identity
        # The timer ticks every _WATCH_S while runs with a watchdog are armed, and keeps ticking after the last one
        # ended until its next tick finds nothing armed ("lingering"): back-to-back warm invocations then arm and
        # disarm nothing (two setitimer calls each), the next one's deadline is looked at by a tick that comes
        # before it, and that tick re-arms the timer for the deadline's exact time, as before.
        self._ticking = False

    @staticmethod
    def usable() -> bool:
        import threading

        return hasattr(__import__("signal"), "setitimer") and threading.current_thread() is threading.main_thread()

    def run(self, fn: Callable[[], Any], timeout_s: float, watchdog: Watchdog | None = None) -> Outcome:
        _signal = self._signal
        if not self._armed and _signal.getsignal(_signal.SIGALRM) is not self._handler:
            # Installed once and left in place while idle (it does nothing without deadlines); a handler the caller
            # had is called for alarms that are not ours.
            self._previous = _signal.signal(_signal.SIGALRM, self._handler)
        now = stopwatch.monotonic()
        entry = _Deadline(now + timeout_s, watchdog)
        self._armed.append(entry)
        if not (self._ticking and timeout_s >= _WATCH_S and self._still_ticking()):
            self._arm()
        outcome = Outcome()
        try:
            try:
                try:
                    outcome.value = fn()
                finally:
                    entry.done = True  # an alarm that lands before this line still belongs to this run
            except FunctionTimeout as exc:
                if exc.token is not entry and exc.token in self._armed:
                    raise  # an outer invocation's deadline: unwind to it
                outcome.timed_out = True
            except BaseException as exc:  # noqa: BLE001 - the code's own failure, reported as AWS reports it
                outcome.error = exc
        except FunctionTimeout as exc:  # raised while the code's own exception was being handled
            if exc.token is not entry and exc.token in self._armed:
                self._disarm(entry)
                raise
            outcome.timed_out, outcome.error = True, None
        finally:
            self._disarm(entry)
        return outcome

    def stop_lingering(self) -> None:
        """Stop the timer's lingering tick now, if nothing is armed: the caller takes SIGALRM or the timer for its
        own use (``guard``'s views of ``signal.signal``/``setitimer``/``alarm`` call this), or the process exits
        (a tick after Python restored SIGALRM's default action at exit would kill the process)."""
        if self._ticking and not self._armed:
            self._ticking = False
            self._signal.setitimer(self._signal.ITIMER_REAL, 0)

    def _still_ticking(self) -> bool:
        """Whether the timer still ticks as this stopper left it (every _WATCH_S, the next tick at most that far):
        asked of the timer itself, as anything may have set it since (a caller's own setitimer or alarm)."""
        left, interval = self._signal.getitimer(self._signal.ITIMER_REAL)
        if interval == _WATCH_S and 0 < left <= _WATCH_S:
            return True
        self._ticking = False
        return False

    def _disarm(self, entry: _Deadline) -> None:
        entry.done = True
        armed = self._armed
        if len(armed) == 1 and armed[0] is entry:  # the common case: the only run ends
            armed.clear()
            if not self._ticking:  # (ticking: the timer lingers until its next tick, which stops it: _on_alarm)
                self._signal.setitimer(self._signal.ITIMER_REAL, 0)
        elif entry in armed:
            armed.remove(entry)
            self._arm()
        if self._tracing and not any(e.fired for e in self._armed):
            self._tracing = False
            sys.settrace(self._saved_trace)  # the host's own tracer (coverage, a debugger) comes back

    def _arm(self) -> None:
        armed = self._armed
        if len(armed) == 1 and not armed[0].done:  # the common case: one run, no generator expressions
            only = armed[0]
            first = max(only.at - stopwatch.monotonic(), 0.0005)
            watching = only.watchdog is not None
            if watching:
                first = min(first, _WATCH_S)
            self._signal.setitimer(self._signal.ITIMER_REAL, first, _WATCH_S if watching else _REFIRE_S)
            self._ticking = watching
            return
        if len(armed) > 1 or (armed and armed[0].done):
            armed = [e for e in armed if not e.done]
        if armed:
            first = max(min(e.at for e in armed) - stopwatch.monotonic(), 0.0005)
            watching = any(e.watchdog is not None for e in armed)
            if watching:
                first = min(first, _WATCH_S)
            self._signal.setitimer(self._signal.ITIMER_REAL, first, _WATCH_S if watching else _REFIRE_S)
            self._ticking = watching
        else:
            self._signal.setitimer(self._signal.ITIMER_REAL, 0)
            self._ticking = False

    def _on_alarm(self, signum, frame):
        armed = [e for e in self._armed if not e.done]
        if not armed:
            if self._ticking:  # the lingering tick after the last run (see __init__): it stops here
                self._ticking = False
                self._signal.setitimer(self._signal.ITIMER_REAL, 0)
            elif callable(self._previous) and not self._armed:
                self._previous(signum, frame)  # the caller's own alarm
            return
        now = stopwatch.monotonic()
        expired = [e for e in armed if e.at <= now]
        if expired:
            entry = expired[0]  # the outermost expired invocation wins
            if entry.fired:
                self._trace_until_out(entry, frame)
            entry.fired = True
            raise FunctionTimeout(entry)
        _check_watchdogs(armed)
        self._arm()

    def _trace_until_out(self, entry: _Deadline, frame) -> None:
        """The code caught the timeout and went on: trace its frames so that the next line it runs raises again
        (a ``pass`` in an ``except BaseException`` is outside the ``try`` that caught it)."""
        def raiser(frame, event, arg):
            if entry.done:
                return None
            if event == "line" and not frame.f_code.co_filename.startswith(_PACKAGE_DIR):
                raise FunctionTimeout(entry)
            return raiser

        if not self._tracing:
            self._saved_trace = sys.gettrace()
            self._tracing = True
        sys.settrace(raiser)
        run = SignalStopper.run.__code__
        while frame is not None and frame.f_code is not run:  # the code's frames, up to the stopper's own
            frame.f_trace = raiser
            frame = frame.f_back


# --- a worker thread, abandoned at the deadline ---------------------------------------------------------------------
class ThreadStopper:
    """Runs the code in a worker thread that carries the caller's context; see the module's docstring."""

    name = "thread"

    def run(self, fn: Callable[[], Any], timeout_s: float, watchdog: Watchdog | None = None) -> Outcome:
        import contextvars
        import threading

        outcome = Outcome()
        state = threading.Lock()  # held while the worker or the caller decides the run's fate
        ended = threading.Event()
        fate = {"running": True}
        context = contextvars.copy_context()

        def runner():
            try:
                try:
                    outcome.value = context.run(fn)
                except FunctionTimeout:
                    pass
                except BaseException as exc:  # noqa: BLE001
                    outcome.error = exc
                finally:
                    with state:
                        fate["running"] = False
                    ended.set()
            except BaseException:  # noqa: BLE001 - a stop that landed after the code finished: nothing to stop
                pass

        worker = threading.Thread(target=runner, name="lambda-handler", daemon=True)
        worker.start()
        deadline = stopwatch.monotonic() + timeout_s
        problem = None
        while not ended.is_set():
            left = deadline - stopwatch.monotonic()
            if left <= 0:
                break
            ended.wait(min(_WATCH_S, left) if watchdog is not None else left)
            if watchdog is not None and not ended.is_set():
                problem = watchdog()
                if problem is not None:
                    break
        if ended.is_set():
            worker.join()  # it has finished the code: only its exit is left
            return outcome
        with state:
            if fate["running"]:
                # Ask the worker to stop as soon as it runs Python code again (pure-Python loops end here); the
                # decision is taken under the lock, so the exception can only land in the code it was meant for.
                _async_raise(worker.ident, type(problem) if problem is not None else FunctionTimeout)
        if problem is not None and ended.wait(1.0):
            return Outcome(error=problem)
        return Outcome(timed_out=problem is None, error=problem, abandoned=True)


def _async_raise(thread_id: int | None, exc_type: type) -> None:
    import ctypes

    if thread_id is not None:
        ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(thread_id), ctypes.py_object(exc_type))


# --- sys.monitoring (no threads, no signals) --------------------------------------------------------------------------
class MonitoringStopper:
    """A ``sys.monitoring`` callback (Python 3.12+) on every jump and call checks the deadline and raises there.

    For platforms with neither threads nor signals (Pyodide). ``time.sleep`` is replaced while the code runs by one
    that stops at the deadline (code that bound ``from time import sleep`` before keeps the original, which sleeps its
    whole time); other blocking C calls cannot be cut short. Runs nest (a handler that invokes another function):
    one callback watches every armed deadline, and the outermost expired one wins, as with signals.
    """

    name = "monitoring"
    _TOOL = 4  # one of the ids sys.monitoring leaves free for tools (0-5); 4 is not used by debuggers or coverage
    _armed: list[_Deadline] = []  # every run in progress, outermost first (one interpreter, one list)

    @staticmethod
    def usable() -> bool:
        return hasattr(sys, "monitoring")

    def run(self, fn: Callable[[], Any], timeout_s: float, watchdog: Watchdog | None = None) -> Outcome:
        entry = _Deadline(stopwatch.monotonic() + timeout_s, watchdog)
        armed = MonitoringStopper._armed
        if not armed:
            self._install()
        armed.append(entry)
        outer_sleep = time.sleep
        time.sleep = _make_sleep(outer_sleep, armed)  # type: ignore[assignment]  # swapped for the run on purpose
        outcome = Outcome()
        try:
            try:
                try:
                    outcome.value = fn()
                finally:
                    entry.done = True
            except FunctionTimeout as exc:
                if exc.token is not entry and exc.token in armed:
                    raise  # an outer invocation's deadline: unwind to it
                outcome.timed_out = True
            except BaseException as exc:  # noqa: BLE001 - the code's own failure, reported as AWS reports it
                outcome.error = exc
        finally:
            entry.done = True
            time.sleep = outer_sleep
            armed.remove(entry)
            if not armed:
                self._uninstall()
        return outcome

    def _install(self) -> None:
        monitoring = sys.monitoring  # type: ignore[attr-defined]  # Python 3.12+; mypy checks as 3.11
        events = monitoring.events
        monitoring.use_tool_id(self._TOOL, "lambda-local deadline")
        for event in (events.JUMP, events.PY_START):
            monitoring.register_callback(self._TOOL, event, _check_deadlines)
        monitoring.set_events(self._TOOL, events.JUMP | events.PY_START)

    def _uninstall(self) -> None:
        monitoring = sys.monitoring  # type: ignore[attr-defined]
        monitoring.set_events(self._TOOL, 0)
        for event in (monitoring.events.JUMP, monitoring.events.PY_START):
            monitoring.register_callback(self._TOOL, event, None)
        monitoring.free_tool_id(self._TOOL)


_checks = [0]


def _check_deadlines(*_args: Any) -> None:
    """The monitoring callback: raise in the running code when an armed run is past its deadline (the outermost
    first) or its watchdog (checked every 1000 events) reports a problem."""
    armed = MonitoringStopper._armed
    if not armed:
        return None
    now = stopwatch.monotonic()
    for entry in armed:
        if not entry.done and entry.at <= now:
            if not _inside_a_run(sys._getframe(1)):
                # Code the event loop runs while the function waits (Pyodide's time.sleep switches stacks and runs
                # the kernel's own tasks): the deadline is not theirs, raising there would break the kernel.
                return None
            entry.fired = True
            raise FunctionTimeout(entry)
    _checks[0] += 1
    if _checks[0] % 200 == 0:
        _check_watchdogs(armed)
    return None


def _inside_a_run(frame: Any) -> bool:
    """Whether ``frame`` was called, however deeply, from :meth:`MonitoringStopper.run` (walked only once a
    deadline has passed)."""
    run = MonitoringStopper.run.__code__
    while frame is not None:
        if frame.f_code is run:
            return True
        frame = frame.f_back
    return False


def _make_sleep(real_sleep: Callable[[float], None], armed: list[_Deadline]) -> Callable[[float], None]:
    def sleep(seconds: float) -> None:
        """``time.sleep`` under a deadline: sleeps until the earliest armed deadline at most, then raises there."""
        pending = [e for e in armed if not e.done]
        if not pending:
            return real_sleep(seconds)
        # A sleep is where a handler that just filled its memory waits: look before, as the platform would have
        # killed it already (a short loop of big allocations makes too few events for the periodic look).
        _check_watchdogs(armed)
        first = min(pending, key=lambda e: e.at)
        left = first.at - stopwatch.monotonic()
        if seconds >= left:
            real_sleep(max(left, 0.0))
            first.fired = True
            raise FunctionTimeout(first)
        return real_sleep(seconds)

    return sleep


# --- choosing ---------------------------------------------------------------------------------------------------------
_signal_stopper: SignalStopper | None = None
_CHOSEN = os.environ.get("LAMBDA_LOCAL_STOPPER") or None  # read once: os.environ is the function's while it runs


def stopper_for(name: str | None = None) -> Stopper:
    """The stopper for the calling thread: ``name`` (or ``LAMBDA_LOCAL_STOPPER``) if given, else signals in the main
    thread, a worker thread elsewhere, ``sys.monitoring`` where there are no threads."""
    global _signal_stopper
    name = name or _CHOSEN
    if name is None and _signal_stopper is not None and _get_ident() == _MAIN:
        return _signal_stopper  # the common case, first
    if name == "monitoring" or (name is None and not _threads_available()):
        if not MonitoringStopper.usable():
            raise RuntimeError("the 'monitoring' stopper needs Python 3.12 or later (sys.monitoring)")
        return MonitoringStopper()
    if name == "thread" or not SignalStopper.usable():
        return ThreadStopper()
    if _signal_stopper is None:
        import atexit

        _signal_stopper = SignalStopper()
        atexit.register(_signal_stopper.stop_lingering)
    return _signal_stopper


def stop_lingering() -> None:
    """The caller takes SIGALRM or the real-time timer for itself: the stopper's lingering tick stops first."""
    if _signal_stopper is not None:
        _signal_stopper.stop_lingering()


try:
    import threading as _threading
    from _thread import get_ident as _get_ident

    _MAIN = _threading.main_thread().ident
except ImportError:  # pragma: no cover - a Python built without threads
    _MAIN = None

    def _get_ident() -> int:
        return -1


def _threads_available() -> bool:
    return sys.platform not in ("emscripten", "wasi")


def call_with_timeout(fn: Callable[[], Any], timeout_s: float, watchdog: Watchdog | None = None,
                      stopper: Stopper | None = None) -> Outcome:
    """Run ``fn()`` under a deadline with the calling thread's stopper (see :func:`stopper_for`)."""
    return (stopper or stopper_for()).run(fn, timeout_s, watchdog)
