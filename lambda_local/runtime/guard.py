"""What keeps the caller's process safe from a function: ``os._exit``, threads that outlive a call, a handler that
tampers with ``sys.modules``, ``builtins`` or ``boto3``.

On AWS each of these stays inside the function's own micro-VM. Here the environment gets its own view while it
runs: changes it makes to ``builtins`` or ``boto3`` are kept with the environment and taken out again afterwards,
``os._exit`` ends the invocation instead of the process, and modules it deletes from ``sys.modules`` come back.
"""

from __future__ import annotations

import builtins
import io
import os
import sys
import threading

from .. import logs

__all__ = ["ProcessExit", "NamespaceView", "ProcessGuard"]

_MISSING = object()


class ProcessExit(BaseException):
    """``os._exit(n)`` inside a handler: the runtime process would die (Runtime.ExitError)."""

    def __init__(self, code: int):
        super().__init__(code)
        self.code = code


def _exit_instead(code: int = 0) -> None:
    raise ProcessExit(code)


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


class _ThreadFilter(io.TextIOBase):
    """Wraps the caller's stdout/stderr once a function left threads running: their output goes nowhere."""

    def __init__(self, stream):
        self._stream = stream

    def write(self, text: str) -> int:
        if threading.get_ident() in logs._abandoned_threads:
            return len(text)
        return self._stream.write(text)

    def flush(self) -> None:
        self._stream.flush()

    def __getattr__(self, name):
        return getattr(self._stream, name)


class ProcessGuard:
    """Entered and exited around every invocation of one environment."""

    __slots__ = ("builtins_view", "_threads", "_os_exit")

    _modules_snapshot: dict = {}

    def __init__(self) -> None:
        self.builtins_view = NamespaceView(builtins.__dict__)
        self._threads: set[int] = set()
        self._os_exit = None

    def enter(self) -> None:
        modules = sys.modules
        if len(modules) != len(ProcessGuard._modules_snapshot):
            ProcessGuard._modules_snapshot = dict(modules)
        self._threads = set(threading._active)
        self._os_exit = os._exit
        os._exit = _exit_instead
        self.builtins_view.enter()

    def exit(self) -> None:
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
        if len(threading._active) > len(self._threads):
            self._quarantine(set(threading._active) - self._threads)

    @staticmethod
    def _quarantine(new_threads: set[int]) -> None:
        """Threads a function started and left running (on AWS they freeze with the environment): whatever they
        print from now on goes nowhere, rather than into the caller's output or a later invocation's log."""
        logs._abandoned_threads.update(new_threads - {threading.get_ident()})
        for name in ("stdout", "stderr"):
            stream = getattr(sys, name)
            if not isinstance(stream, _ThreadFilter):
                setattr(sys, name, _ThreadFilter(stream))
