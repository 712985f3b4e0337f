"""What keeps the caller's process safe from a function: ``os._exit``, threads that outlive a call, a handler that
tampers with ``sys.modules``, ``builtins`` or ``boto3``.

On AWS each of these stays inside the function's own micro-VM. Here the environment gets its own view while it
runs: changes it makes to ``builtins`` or ``boto3`` are kept with the environment and taken out again afterwards,
``os._exit`` ends the invocation instead of the process, modules it deletes from ``sys.modules`` come back, and
SIGALRM (the platform's timeout) cannot be taken over or disarmed.
"""

from __future__ import annotations

import builtins
import os
import signal
import sys
from typing import NoReturn

__all__ = ["ProcessExit", "NamespaceView", "ProcessGuard"]

_MISSING = object()


class ProcessExit(BaseException):
    """``os._exit(n)`` inside a handler: the runtime process would die (Runtime.ExitError)."""

    def __init__(self, code: int):
        super().__init__(code)
        self.code = code


def _exit_instead(status: int = 0) -> NoReturn:  # os._exit's parameter name: a call by keyword works too
    raise ProcessExit(status)


def _version_reader(namespace: dict):
    """A function returning ``namespace``'s version tag (CPython bumps it on every change to a dict: PEP 509), or
    None where it cannot be read (another interpreter, a layout this check does not recognise). Reading it costs a
    few hundredths of a µs; copying and comparing ``builtins`` to see whether a function changed it costs ~5 µs."""
    try:
        import ctypes

        if sys.implementation.name != "cpython" or sys.version_info >= (3, 13) or ctypes.sizeof(ctypes.c_void_p) != 8:
            return None
        offset = object.__basicsize__ + 8  # PyDictObject: PyObject_HEAD, Py_ssize_t ma_used, uint64_t ma_version_tag
        probe: dict = {"a": 1}
        tag = ctypes.c_uint64.from_address(id(probe) + offset)
        before = tag.value
        probe["a"] = 2
        changed = tag.value
        probe.pop("a")
        probe["a"] = 2
        if not (before != changed != tag.value and len(probe) == 1):
            return None
        cell = ctypes.c_uint64.from_address(id(namespace) + offset)  # the view holds the dict: its address stays
        return lambda: cell.value
    except Exception:  # noqa: BLE001 - no ctypes (some WebAssembly builds): the copy-and-compare path
        return None


class NamespaceView:
    """An environment's own changes to a shared namespace (a module's ``__dict__``), applied only while it runs.

    Whether the namespace changed is read from its version tag where CPython exposes one: while it has not changed
    since the snapshot was taken, the snapshot is reused (no copy on entering) and an unchanged namespace is seen
    without comparing (on leaving); the same decisions as copying and comparing every time."""

    __slots__ = ("namespace", "changes", "_snapshot", "_version", "_kept", "_kept_version")

    def __init__(self, namespace: dict):
        self.namespace = namespace
        self.changes: dict = {}
        self._snapshot: dict | None = None
        self._version = _version_reader(namespace)
        self._kept: dict | None = None  # a snapshot of the namespace as it was at _kept_version
        self._kept_version = -1

    def enter(self) -> None:
        version = self._version
        if version is None:
            self._snapshot = dict(self.namespace)
        else:
            now = version()
            if self._kept is None or now != self._kept_version:
                self._kept, self._kept_version = dict(self.namespace), now
            self._snapshot = self._kept
        for key, value in self.changes.items():
            if value is _MISSING:
                self.namespace.pop(key, None)
            else:
                self.namespace[key] = value

    def exit(self) -> None:
        snapshot, self._snapshot = self._snapshot, None
        if snapshot is None:
            return
        namespace = self.namespace
        if not self.changes:
            version = self._version
            if version is not None and version() == self._kept_version and snapshot is self._kept:
                return  # untouched, by its version tag: the common case
            if namespace == snapshot:
                return  # untouched (a C-level comparison, identity first)
        current = dict(namespace)
        changes = {k: v for k, v in current.items() if snapshot.get(k, _MISSING) is not v}
        changes.update({k: _MISSING for k in snapshot if k not in current})
        self.changes = changes
        namespace.clear()
        namespace.update(snapshot)


_real = {"signal": signal.signal, "alarm": getattr(signal, "alarm", None),
         "setitimer": getattr(signal, "setitimer", None)}


def _own_signal(signalnum, handler):
    """``signal.signal`` inside a function: SIGALRM is the platform's (it stops the function at its timeout), so a
    function's own SIGALRM handler is kept with its environment, as if installed in its own process, and not run."""
    guard = _current_guard()
    if guard is not None and signalnum == signal.SIGALRM:
        previous, guard.alarm_handler = guard.alarm_handler, handler
        return previous
    if signalnum == signal.SIGALRM:
        _timer_to_caller()
    return _real["signal"](signalnum, handler)


def _own_alarm(seconds):
    guard = _current_guard()
    if guard is not None:
        return 0  # the function's own alarm clock is not the platform's: never armed here
    _timer_to_caller()
    return _real["alarm"](seconds)


def _own_setitimer(which, seconds, interval=0.0):
    guard = _current_guard()
    if guard is not None and which == signal.ITIMER_REAL:
        return (0.0, 0.0)
    if which == signal.ITIMER_REAL:
        _timer_to_caller()
    return _real["setitimer"](which, seconds, interval)


def _timer_to_caller() -> None:
    # The caller's own code takes SIGALRM or the real-time timer: the platform's timer, which may still tick once
    # after the last invocation (timeouts.SignalStopper), stops first, so no tick of ours reaches the caller's handler.
    from .timeouts import stop_lingering

    stop_lingering()


_real_chdir, _real_fchdir = os.chdir, getattr(os, "fchdir", None)
_UNSET = object()
# Moves of the process's working folder made through os.chdir/os.fchdir (the views below, installed once) or by the
# runtime itself: while the count has not changed, the folder is where the last move left it (see
# ``environment._chdir_in``, which uses it to skip an os.getcwd on the warm path).
moves = 0


def _note_caller_cwd() -> None:
    # The working folder is the process's: the first time a function moves it (no task root moved it before), the
    # caller's folder is noted, and put back when the invocation ends. A function that never moves it costs nothing.
    guard = _current_guard()
    if guard is not None and guard.caller_cwd is _UNSET:
        try:
            guard.caller_cwd = os.getcwd()
        except OSError:  # the caller's folder was deleted under it: nothing to go back to
            guard.caller_cwd = None


def _own_chdir(path):
    """``os.chdir``: as before, and noted when a function moves the process's working folder."""
    global moves
    _note_caller_cwd()
    moves += 1
    return _real_chdir(path)


def _own_fchdir(fd):
    global moves
    _note_caller_cwd()
    moves += 1
    return _real_fchdir(fd)


def real_chdir(path) -> None:
    """``os.chdir`` itself (for the runtime's own moves into a task root and back)."""
    global moves
    moves += 1
    _real_chdir(path)


def open_folder(path: str) -> int | None:
    """A descriptor of the folder at ``path`` that :func:`real_fchdir` moves into without resolving the path again;
    None where descriptors of folders cannot be had (no ``fchdir``, a file system that refuses)."""
    if _real_fchdir is None:
        return None
    try:
        return os.open(path, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except OSError:
        return None


def real_fchdir(fd: int) -> None:
    """``os.fchdir`` itself (the runtime's own move into a task root, through :func:`open_folder`'s descriptor)."""
    global moves
    assert _real_fchdir is not None  # (open_folder gave no descriptor without it)
    moves += 1
    _real_fchdir(fd)


def _current_guard():
    from .execution import current_environment

    env = current_environment()
    return getattr(env, "guard", None)


_installed = False


def _install_signal_views() -> None:
    """Once: ``signal.signal``, ``signal.alarm`` and ``signal.setitimer`` become views that behave as before for
    the caller's code and keep SIGALRM from a function's code (cheaper than swapping them at every invocation);
    ``os.chdir``/``os.fchdir`` note the caller's folder before a function first moves away from it."""
    global _installed
    if not _installed:
        if _real["setitimer"] is not None:
            signal.signal, signal.alarm, signal.setitimer = _own_signal, _own_alarm, _own_setitimer
        os.chdir = _own_chdir
        if _real_fchdir is not None:
            os.fchdir = _own_fchdir
    _installed = True


class ProcessGuard:
    """Entered and exited around every invocation of one environment."""

    __slots__ = ("builtins_view", "_os_exit", "alarm_handler", "caller_cwd")

    _modules_snapshot: dict = {}

    def __init__(self) -> None:
        self.builtins_view = NamespaceView(builtins.__dict__)
        # What os._exit was when this guard was last entered (set again by every enter()).
        self._os_exit = os._exit
        self.alarm_handler: object = signal.SIG_DFL
        # The caller's working folder, noted when the function first moved away from it (_UNSET: it has not).
        self.caller_cwd: object = _UNSET
        _install_signal_views()

    def enter(self) -> None:
        modules = sys.modules
        if len(modules) != len(ProcessGuard._modules_snapshot):
            ProcessGuard._modules_snapshot = dict(modules)
        self._os_exit = os._exit
        os._exit = _exit_instead
        self.builtins_view.enter()

    def exit(self) -> None:
        """Leave."""
        self.builtins_view.exit()
        os._exit = self._os_exit
        snapshot = ProcessGuard._modules_snapshot
        if len(sys.modules) < len(snapshot):  # the function may have deleted modules the caller relies on
            from .isolation import _is_shared

            # Only shared modules come back: the snapshot may hold an environment's own modules (taken while one
            # function invoked another), and those must leave with their environment.
            for name, module in snapshot.items():
                if name not in sys.modules and _is_shared(name, module):
                    sys.modules[name] = module

