"""Which execution environment the running code belongs to, and what each thread sees because of it.

On AWS every environment is its own process: its stdout, its environment variables and its threads are its own.
Here environments share one interpreter, so the code that runs is tagged with its environment in a context variable
(:func:`current_environment`): the handler's thread, and every thread the function starts while it runs, carry it.
From that tag:

* ``sys.stdout``/``sys.stderr`` and ``os.environ`` are *views* while a function runs: a write or a lookup goes to the
  environment of the code that makes it, so a notebook's other threads keep their own output and variables;
* :class:`ExecutionLock` gives the process to one environment at a time (the design choice this runtime makes for
  threads: execution is serialised, the accounting of concurrency is not — see ``pool.py``); a function that invokes
  another, from its own thread or from any thread it started, is let in on top of it.
"""

from __future__ import annotations

import builtins
import contextvars
import io
import os
import sys
import threading
import types
from collections.abc import MutableMapping
from typing import Any

__all__ = ["ExecutionLock", "current_environment", "enter_views", "exit_views"]

_environment: contextvars.ContextVar[Any] = contextvars.ContextVar("lambda_local_environment", default=None)


def current_environment():
    """The execution environment the calling code belongs to (None for the caller's own code)."""
    return _environment.get()


def set_environment(env) -> contextvars.Token:
    return _environment.set(env)


def reset_environment(token: contextvars.Token) -> None:
    _environment.reset(token)


class ExecutionLock:
    """One environment runs at a time in this process.

    A stack of holders: a thread may take the turn when the stack is empty, or when the holder on top is the
    environment its code belongs to (a function invoking another, from any of its threads). Siblings wait for each
    other; unrelated threads wait for the stack to empty.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._cond = threading.Condition(self._lock)
        self._waiting = 0
        self._stack: list[object] = []

    def acquire(self, holder: object) -> None:
        parent = _environment.get()
        with self._lock:
            stack = self._stack
            while stack and stack[-1] is not parent:
                self._waiting += 1
                try:
                    self._cond.wait()
                finally:
                    self._waiting -= 1
            stack.append(holder)

    def release(self, holder: object) -> None:
        with self._lock:
            stack = self._stack
            if stack and stack[-1] is holder:
                stack.pop()
            elif holder in stack:  # pragma: no cover - released out of order: never leave it held
                stack.remove(holder)
            if self._waiting:
                self._cond.notify_all()

    @property
    def held(self) -> bool:
        return bool(self._stack)


# --- per-environment views of process-wide state -------------------------------------------------------------------
class _StreamView(io.TextIOBase):
    """``sys.stdout`` or ``sys.stderr`` while functions run: each environment's code writes into its own stream, any
    other code into the stream that was there before."""

    def __init__(self, name: str):
        self._name = name
        self.host: Any = None

    def _target(self):
        env = _environment.get()
        return self.host if env is None else env.stream

    def write(self, text: str) -> int:
        env = _environment.get()
        if env is None:
            return self.host.write(text)
        return env.stream.write(text)

    def flush(self) -> None:
        target = self._target()
        if target is not None:
            target.flush()

    def writable(self) -> bool:
        return True

    def isatty(self) -> bool:
        env = _environment.get()
        return False if env is not None else bool(getattr(self.host, "isatty", lambda: False)())

    @property  # TextIOBase declares a plain attribute; the view reports its target's
    def encoding(self) -> str:  # type: ignore[override]
        return getattr(self._target(), "encoding", "utf-8") or "utf-8"

    def __getattr__(self, name: str):
        return getattr(self._target(), name)


class _EnvironView(MutableMapping):
    """``os.environ`` while functions run: each environment's own variables for its code, the caller's for the rest."""

    def __init__(self) -> None:
        self.host: Any = None

    def _target(self):
        env = _environment.get()
        return self.host if env is None else env.environ

    def __getitem__(self, key):
        return self._target()[key]

    def __setitem__(self, key, value):
        self._target()[key] = value

    def __delitem__(self, key):
        del self._target()[key]

    def __iter__(self):
        return iter(self._target())

    def __len__(self) -> int:
        return len(self._target())

    def __contains__(self, key) -> bool:
        return key in self._target()

    def get(self, key, default=None):
        return self._target().get(key, default)

    def copy(self) -> dict:
        return dict(self._target())

    def __repr__(self) -> str:
        return f"environ({dict(self._target())!r})"


STDOUT, STDERR, ENVIRON = _StreamView("stdout"), _StreamView("stderr"), _EnvironView()


_caller_hook = None  # the caller's hook ours stands in front of: debugpy's, in a Jupyter kernel


def _breakpoint_in_caller(*args, **kwargs):
    """``breakpoint()`` in a function's code: pdb talks to the caller (its notebook cell or terminal), not into the
    function's log, which is where ``sys.stdout`` leads while the function runs. ``PYTHONBREAKPOINT=0`` in the
    caller's environment turns it off, as it does for Python's own hook.

    A Jupyter kernel's own hook is debugpy's, which stops only when JupyterLab's visual debugger is on and does
    nothing otherwise: it still answers the caller's own ``breakpoint()`` and, with the debugger on, the function's;
    with it off, a function's ``breakpoint()`` opens pdb below the cell, as lesson 14 shows."""
    if _caller_hook is not None and (_environment.get() is None or _visual_debugger_on()):
        return _caller_hook(*args, **kwargs)
    import pdb

    host_environ = ENVIRON.host if os.environ is ENVIRON else os.environ
    if host_environ.get("PYTHONBREAKPOINT") == "0":
        return None
    # skip: the runtime's own frames (its timeout and memory alarms run as signal handlers) are not the learner's
    debugger = pdb.Pdb(stdout=STDOUT.host if _environment.get() is not None and STDOUT.host else sys.stdout,
                       skip=["lambda_local.*"])
    # A kernel's input() asks its front end (the prompt shows in the input box, not in the function's log), where
    # sys.stdin has nothing to read (under Pyodide, the browser edition, reading it is an I/O error).
    debugger.use_rawinput = not isinstance(builtins.input, types.BuiltinFunctionType)  # (the interpreter's own)
    debugger.set_trace(sys._getframe(1))
    return None


def _visual_debugger_on() -> bool:
    debugpy = sys.modules.get("debugpy")
    try:
        return bool(debugpy is not None and debugpy.is_client_connected())
    except (AttributeError, TypeError, RuntimeError):  # (a debugpy of another shape: as if it were off)
        return False


def _is_debugpys(hook) -> bool:
    return (getattr(hook, "__module__", None) or "").startswith("debugpy")


_depth = 0
_kept = False


def enter_views() -> None:
    """Put the views in place (the outermost running function does; nested ones find them there)."""
    global _depth, _caller_hook
    if _depth == 0 or sys.stdout is not STDOUT:
        if sys.stdout is not STDOUT:
            STDOUT.host = sys.stdout
            sys.stdout = STDOUT
        if sys.stderr is not STDERR:
            STDERR.host = sys.stderr
            sys.stderr = STDERR
        if os.environ is not ENVIRON:
            ENVIRON.host = os.environ
            # Swapping the mapping object itself, on purpose: a view where os._Environ was.
            os.environ = ENVIRON  # type: ignore[assignment]  # noqa: B003
        hook = sys.breakpointhook
        # a hook of the caller's own (IPython's, ...) stays; debugpy's is put behind ours (_breakpoint_in_caller)
        if hook is not _breakpoint_in_caller and (hook is sys.__breakpointhook__ or _is_debugpys(hook)):
            _caller_hook = None if hook is sys.__breakpointhook__ else hook
            sys.breakpointhook = _breakpoint_in_caller
        if threading.Thread.start is not _start_in_environment:
            # Once: it changes nothing for the caller's threads.
            threading.Thread.start = _start_in_environment  # type: ignore[method-assign]
    _depth += 1


def exit_views(keep: bool = False) -> None:
    """Take the views out again when the outermost function ends. ``keep``: a function left threads running; the
    views stay, so those threads keep writing into their own (frozen) environment, never into the caller's output
    or variables."""
    global _depth, _kept
    _depth = max(_depth - 1, 0)
    if _depth:
        return
    _kept = _kept or keep  # once threads were left behind, they may write at any time: the views stay for good
    if _kept:
        return
    if os.environ is ENVIRON:
        os.environ = ENVIRON.host  # noqa: B003 - the host's own mapping back
    if sys.stdout is STDOUT:
        sys.stdout = STDOUT.host
    if sys.stderr is STDERR:
        sys.stderr = STDERR.host


# --- threads a function starts carry its environment ------------------------------------------------------------------
_thread_start = threading.Thread.start


class RuntimeStopped(SystemExit):
    """Sent into a thread whose environment's runtime process ended (a reset, a shutdown): the thread ends quietly."""


def _start_in_environment(self, *args, **kwargs):
    env = _environment.get()
    if env is not None:
        env.started_threads.append(self)  # it belongs to the environment whose code started it
        context = contextvars.copy_context()
        run = self.run

        def run_in_environment():
            try:
                context.run(run)
            except RuntimeStopped:
                pass

        self.run = run_in_environment
    return _thread_start(self, *args, **kwargs)

