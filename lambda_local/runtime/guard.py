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


class NamespaceView:
    """An environment's own changes to a shared namespace (a module's ``__dict__``), applied only while it runs."""

    __slots__ = ("namespace", "changes", "_snapshot")

    def __init__(self, namespace: dict):
        self.namespace = namespace
        self.changes: dict = {}
        self._snapshot: dict | None = None

    def enter(self) -> None:
        self._snapshot = dict(self.namespace)
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
        if not self.changes and namespace == snapshot:
            return  # untouched: the common case (a C-level comparison, identity first)
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
    return _real["signal"](signalnum, handler)


def _own_alarm(seconds):
    guard = _current_guard()
    if guard is not None:
        return 0  # the function's own alarm clock is not the platform's: never armed here
    return _real["alarm"](seconds)


def _own_setitimer(which, seconds, interval=0.0):
    guard = _current_guard()
    if guard is not None and which == signal.ITIMER_REAL:
        return (0.0, 0.0)
    return _real["setitimer"](which, seconds, interval)


def _current_guard():
    from .execution import current_environment

    env = current_environment()
    return getattr(env, "guard", None)


_installed = False


def _install_signal_views() -> None:
    """Once: ``signal.signal``, ``signal.alarm`` and ``signal.setitimer`` become views that behave as before for
    the caller's code and keep SIGALRM from a function's code (cheaper than swapping them at every invocation)."""
    global _installed
    if not _installed and _real["setitimer"] is not None:
        signal.signal, signal.alarm, signal.setitimer = _own_signal, _own_alarm, _own_setitimer
    _installed = True


class ProcessGuard:
    """Entered and exited around every invocation of one environment."""

    __slots__ = ("builtins_view", "_os_exit", "alarm_handler")

    _modules_snapshot: dict = {}

    def __init__(self) -> None:
        self.builtins_view = NamespaceView(builtins.__dict__)
        # What os._exit was when this guard was last entered (set again by every enter()).
        self._os_exit = os._exit
        self.alarm_handler: object = signal.SIG_DFL
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

