"""An execution environment: one warm sandbox of a function, with its own modules, environment variables, working
directory, root logger, boto3 default session and ``/tmp``-like scratch folder.

On AWS it is a micro-VM holding one runtime process. Here it is the state of that process that Python code can see,
swapped in while the environment runs and out again afterwards, so the caller's notebook never sees it.
"""

from __future__ import annotations

import importlib
import logging
import os
import sys
import tempfile
import tracemalloc
import weakref
from datetime import datetime, timezone
from typing import Any, Callable

from .. import logs
from ..xray import TracerPatches
from . import errors
from . import guard as _guard
from .execution import ENVIRON, _environment, enter_views, exit_views
from .guard import _UNSET, NamespaceView, ProcessGuard, open_folder, real_chdir
from .context import LambdaContext
from .isolation import ModuleSpace
from .timeouts import MemoryWatch

__all__ = ["ExecutionEnvironment", "InitError"]

# A Python handler's runtime process on AWS reports about this much before the function allocates anything
# (hello-world REPORT lines on python3.12/3.13 show 30-40 MB Max Memory Used); the function's own measured
# allocations come on top.
RUNTIME_BASELINE_MB = 31
TRACE_EVERY = 10

# The caller's working folder as the outermost invocation put it back: (``guard.moves`` then, a descriptor of the
# folder, its path). While that count has not changed, nothing has moved the process's folder since (every move goes
# through os.chdir/os.fchdir, views that count it, or through the runtime's own moves, which count too), so the next
# invocation neither asks for the folder (os.getcwd) nor resolves its path to come back: the descriptor takes it
# back, to the same folder a chdir by path would (its path is kept for a descriptor that stopped working).
_home: tuple = (-1, None, None)
_fchdir: Any = getattr(os, "fchdir", None)  # the real one (guard's view of os.fchdir counts the caller's moves)


def _leave_event_loop() -> Any:
    """Hide the caller's running asyncio loop while a function runs; returns it, to put back (None: there was none).

    On AWS the runtime calls a handler outside any event loop. A kernel runs every cell inside its own (ipykernel's
    on the desktop, the page's under Pyodide): seen from the handler, ``asyncio.run()`` would refuse ("cannot be called
    from a running event loop") and, from Python 3.12, every log record would carry the kernel's task as ``taskName``
    (Powertools' Logger prints it)."""
    asyncio: Any = sys.modules.get("asyncio")  # only when it is loaded: a function that never uses it pays nothing
    loop = asyncio._get_running_loop() if asyncio is not None else None
    if loop is not None:
        asyncio._set_running_loop(None)
    return loop


class InitError(Exception):
    """The INIT phase failed: the error object AWS returns for every request until the environment is replaced."""

    def __init__(self, error_type: str, message: str, stack: list[str] | None = None):
        super().__init__(message)
        self.error_type = error_type
        self.message = message
        self.stack = stack or []


class ExecutionEnvironment:
    """One execution environment of one function version.

    Created on a cold start by the pool; ``init()`` runs the INIT phase, ``activated()`` swaps it into the process
    for an invocation.
    """

    def __init__(self, config, environment_id: str, created_at: float, credentials: dict[str, str],
                 clock: Callable[[], float] | None = None, tmp: tempfile.TemporaryDirectory | None = None):
        self.config = config
        self._credentials = credentials
        self._clock = clock
        self.id = environment_id
        self.created_at = created_at
        self.last_used = created_at
        self.invocations = 0
        self.busy = False
        self.provisioned = False  # kept initialised by provisioned concurrency: never expires for idleness
        self.alive = True
        self.initialised = False  # INIT has run in its runtime (False when new, and again after a reset)
        self.handler: Callable | None = None
        self.init_duration_ms: float | None = None
        self.init_memory_bytes = 0
        self.peak_bytes = 0
        self._used_mb = 0  # memory_used_mb's last figure, for init_memory_bytes == _used_for and this peak_bytes
        self._used_for: int | None = None
        self.init_type = "on-demand"
        self.log_stream_name = logs.log_stream_name(
            datetime.fromtimestamp(created_at, timezone.utc), config.version, environment_id)
        self._tmp: tempfile.TemporaryDirectory[str] | None = tmp or tempfile.TemporaryDirectory(
            prefix=f"lambda-local-{config.function_name[:20]}-")
        self.tmp_dir = self._tmp.name
        self.environ = config.environ_for(self, credentials)
        # A handler passed as a Python callable lives in the caller's modules: nothing of its own to isolate.
        self.modules = ModuleSpace(config.search_paths(), config.owned_dirs()) if config.owned_dirs() else None
        self.log_handler = logs.LambdaLogHandler(config.log_format, clock, config.aws_paths_in, config.aws_path)
        # The environment's stdout and stderr: one stream for its whole life (a StreamHandler made at INIT keeps
        # writing into it), pointed at the log of the phase that runs.
        self.stream = logs.SinkStream(None, config.aws_paths_in)
        self._loggers: dict = {}
        self.chain: object = None  # the recursion chain of the invocation running (set by the Lambda service)
        self.threads: list = []  # threads its code started and left running
        # Threads started from this environment's code (recorded when they start, in the starting thread's context):
        # never the caller's own threads, which other callers may start at any moment while this one runs.
        self.started_threads: list = []
        self._root_level = config.root_log_level()
        self._root_handlers: list[logging.Handler] = [self.log_handler]
        self._boto3_session = None
        self._boto3_view: NamespaceView | None = None
        # What every invocation's context holds of this function version and environment (LambdaContext.plain)
        self.context_fields = LambdaContext.fields(config.function_name, config.version, config.memory_size,
                                                   config.log_group_name, self.log_stream_name)
        self.memory_watch = MemoryWatch()  # the memory watchdog, re-armed at each invocation
        self.guard = ProcessGuard()
        self.tracer_patches = TracerPatches()  # what a tracer patches in shared libraries stays in this environment
        self.runtime_process: Any = None  # a process runtime's own process (Node.js): it ends with the environment
        self._fresh = True
        self._saved: tuple | None = None
        self._task_root_fd: int | None = None  # (see _chdir_in)
        self._close_task_root: Callable[[], object] | None = None

    # --- entering and leaving the process ------------------------------------------------------------------------
    def enter(self, sink: logs.LogSink) -> None:
        """Swap this environment into the process for one phase (INIT or an invocation) whose log is ``sink``."""
        root = logging.root
        manager = logging.Logger.manager
        boto3: Any = sys.modules.get("boto3")  # Any: its DEFAULT_SESSION is swapped below
        enter_views()
        token = _environment.set(self)
        self._saved = (sys.stdout, sys.stderr, root.level, root.handlers, manager.loggerDict,
                       getattr(boto3, "DEFAULT_SESSION", None), boto3, self._chdir_in(), sys.path, tempfile.tempdir,
                       token, _leave_event_loop())
        tempfile.tempdir = self.tmp_dir  # the tempfile module caches its folder; this environment has its own /tmp
        self.guard.enter()
        # What the function does to sys.path stays with this call: it gets a list of its own (the module space makes
        # one, with the function's own folders in front).
        if self.modules is not None:
            self.modules.enter(fresh=self._fresh)
        else:
            sys.path = list(sys.path)
        if self._fresh:
            self._loggers = _shared_loggers(manager.loggerDict)
        self._fresh = False
        self.tracer_patches.enter()
        self.stream.sink = sink
        self.log_handler.sink = sink
        root.handlers = self._root_handlers
        root.level = self._root_level
        manager.loggerDict = self._loggers  # its own named loggers, as in its own interpreter
        if boto3 is not None:
            if self._boto3_view is None:
                self._boto3_view = NamespaceView(boto3.__dict__)
            self._boto3_view.enter()
            boto3.DEFAULT_SESSION = self._boto3_session

    def exit(self) -> None:
        saved, self._saved = self._saved, None
        if saved is None:
            return
        stdout, stderr, level, handlers, loggers, session, boto3, cwd, path, tempdir, token, loop = saved
        root = logging.root
        manager = logging.Logger.manager
        # Whatever the function did to these stays with its environment, as it would in its own process.
        self._root_level, self._root_handlers = root.level, root.handlers
        root.level, root.handlers = level, handlers
        self._loggers, manager.loggerDict = manager.loggerDict, loggers
        if boto3 is not None:
            self._boto3_session = boto3.DEFAULT_SESSION
            boto3.DEFAULT_SESSION = session
            assert self._boto3_view is not None  # enter() made it, as boto3 was loaded
            self._boto3_view.exit()
        self.stream.sink = None
        self.log_handler.sink = None
        sys.stdout, sys.stderr = stdout, stderr
        if os.environ is not ENVIRON and isinstance(os.environ, dict):
            self.environ = os.environ  # the function replaced os.environ with a dict of its own
            os.environ = ENVIRON
        self.tracer_patches.exit()
        if self.modules is not None:
            self.modules.exit()
        sys.path = path
        tempfile.tempdir = tempdir
        self.guard.exit()
        threads_left = None
        if self.started_threads:
            threads_left = [thread for thread in self.started_threads if thread.is_alive()]
            self.started_threads.clear()
            if threads_left:
                self.threads += threads_left
        if cwd is not None:
            _back_to(cwd, token.old_value is None or token.old_value is token.MISSING)
        elif self.guard.caller_cwd is not _UNSET and self.guard.caller_cwd is not None:
            real_chdir(self.guard.caller_cwd)  # the function moved the working folder: the caller's comes back
        self.guard.caller_cwd = _UNSET
        _environment.reset(token)
        if loop is not None:
            sys.modules["asyncio"]._set_running_loop(loop)
        exit_views(keep=bool(threads_left))

    def _chdir_in(self) -> str | tuple | None:
        """The function runs in its task root (/var/task on AWS): the caller's working folder, to come back to, when
        it has one (None: the folder stays until the function itself moves it, see ``guard.caller_cwd``): its path,
        or the ``_home`` record when nothing moved the folder since the last invocation put the caller back."""
        self.guard.caller_cwd = _UNSET
        if not self.config.task_root:
            return None
        cwd: str | tuple | None = _home
        if _guard.moves != _home[0]:
            try:
                cwd = os.getcwd()
            except OSError:  # the caller's folder was deleted under it
                cwd = None
        # Into the task root through a descriptor kept for the environment's life: a path resolved at every invocation
        # cost a few µs of the warm path (the same folder, by its inode: the package is unpacked once, never moved).
        fd = self._task_root_fd
        if fd is None:
            fd = self._task_root_fd = open_folder(self.config.task_root)
            if fd is not None:  # closed with the environment (discard), or when it is dropped without one
                self._close_task_root = weakref.finalize(self, os.close, fd)
        try:
            if fd is None:
                raise OSError
            _guard.moves += 1  # (real_fchdir, inline: the warm path)
            _fchdir(fd)
        except OSError:
            real_chdir(self.config.task_root)
        if cwd is None:
            self.guard.caller_cwd = None  # nothing to go back to, and nothing to note
        return cwd

    # --- the INIT phase ----------------------------------------------------------------------------------------------
    def init(self) -> None:
        """Import the handler module (module-level code runs here, once per environment). Raises InitError."""
        if self.config.handler_callable is not None:
            self.handler = self.config.handler_callable
            return
        handler = self.config.handler or ""
        try:
            module_name, function_name = handler.rsplit(".", 1)
        except ValueError as exc:
            raise InitError(errors.MALFORMED_HANDLER, f"Bad handler '{handler}': {exc}") from None
        if module_name.split(".")[0] in sys.builtin_module_names:
            raise InitError("Runtime.BuiltInModuleConflict",
                            f"Cannot use built-in module {module_name} as a handler module")
        try:
            module = importlib.import_module(module_name.replace("/", "."))
        except ImportError as exc:
            raise InitError(errors.IMPORT_MODULE_ERROR, f"Unable to import module '{module_name}': {exc}") from None
        except SyntaxError as exc:
            trace = [f'  File "{self.config.aws_path(exc.filename or "")}" Line {exc.lineno}\n    {exc.text}']
            raise InitError(errors.SYNTAX_ERROR, f"Syntax error in module '{module_name}': {exc}", trace) from None
        except Exception as exc:  # noqa: BLE001 - module-level code failed: AWS reports it as the error it was
            raise InitError(type(exc).__name__, str(exc), self.config.stack_trace(exc.__traceback__)) from None
        try:
            self.handler = getattr(module, function_name)
        except AttributeError:
            raise InitError(errors.HANDLER_NOT_FOUND,
                            f"Handler '{function_name}' missing on module '{module_name}'") from None

    def memory_used_mb(self, invocation_peak_bytes: int) -> int:
        """Max Memory Used: the runtime's baseline, what INIT allocated, and the environment's high-water mark of
        what its invocations allocated (a process's peak memory only grows, as on AWS)."""
        if invocation_peak_bytes <= self.peak_bytes and self._used_for == self.init_memory_bytes:
            return self._used_mb  # (the figure is a function of the two, which have not changed: most invocations)
        self.peak_bytes = max(self.peak_bytes, invocation_peak_bytes)
        used = RUNTIME_BASELINE_MB * 1024 * 1024 + self.init_memory_bytes + self.peak_bytes
        self._used_mb = min(int(-(-used // (1024 * 1024))), self.config.memory_size)
        self._used_for = self.init_memory_bytes
        return self._used_mb

    def should_trace(self) -> bool:
        """Whether this invocation's allocations are traced (tracemalloc slows allocation-heavy code several times,
        which would inflate Duration): the first invocations of an environment and then every TRACE_EVERY-th."""
        return self.invocations < 3 or self.invocations % TRACE_EVERY == 0

    def restarted(self) -> "ExecutionEnvironment":
        """The same environment after a reset (a timeout, a crash): a fresh runtime process — INIT runs again, with
        new modules, loggers and state — in the same sandbox: the same id, log stream and ``/tmp``. This object, the
        old process, stops for good: a thread it left running writes nowhere from now on."""
        fresh = ExecutionEnvironment(self.config, self.id, self.created_at, self._credentials, self._clock, self._tmp)
        fresh.last_used, fresh.invocations, fresh.init_type = self.last_used, self.invocations, self.init_type
        fresh.provisioned = self.provisioned
        fresh.environ["AWS_LAMBDA_INITIALIZATION_TYPE"] = self.init_type
        self._tmp = None
        self.discard()
        return fresh

    def discard(self) -> None:
        """SHUTDOWN: the environment will never run again; its scratch folder goes."""
        self.alive = False
        self.stream.sink = None
        self.log_handler.sink = None
        _stop_threads(self.threads)  # the runtime process ends, and its threads with it
        if self.runtime_process is not None:
            self.runtime_process.stop()
        if self.modules is not None:
            self.modules.modules.clear()
        if self._tmp is not None:
            self._tmp.cleanup()
        if self._close_task_root is not None:
            self._task_root_fd = None
            self._close_task_root()


def _back_to(cwd: str | tuple, outermost: bool) -> None:
    """Put the caller back into its working folder ``cwd`` (a path, or the ``_home`` record); the outermost
    invocation notes it as the new ``_home`` (a nested one leaves the record alone: its caller's holds it)."""
    global _home
    if type(cwd) is tuple:
        try:
            _guard.moves += 1  # (real_fchdir, inline: the warm path)
            _fchdir(cwd[1])
        except OSError:  # (the descriptor was closed under us: by its path, and a new record next time)
            real_chdir(cwd[2])
            return
        if outermost:
            _home = (_guard.moves, cwd[1], cwd[2])
        return
    real_chdir(cwd)
    if outermost:
        moved = _guard.moves
        fd = open_folder(".")
        if fd is not None:
            old, _home = _home, (moved, fd, cwd)
            if old[1] is not None:
                try:
                    os.close(old[1])
                except OSError:  # (closed under us already)
                    pass


def _stop_threads(threads: list) -> None:
    """End the threads a discarded environment left running, as its process would end (SystemExit ends a thread
    quietly); a thread that swallows it keeps running, cut off from every log."""
    from .execution import RuntimeStopped
    from .timeouts import _async_raise

    for thread in threads:
        if thread.is_alive():
            _async_raise(thread.ident, RuntimeStopped)
    threads.clear()


def _shared_loggers(registry: dict) -> dict:
    """A new environment's registry of named loggers: empty but for the loggers of the libraries every environment
    shares (boto3, botocore: the runtime's SDK), which their modules hold already."""
    from .isolation import _shared_top_levels

    shared = _shared_top_levels()
    return {name: logger for name, logger in registry.items() if name.partition(".")[0] in shared}


def measure(fn: Callable[[], Any], trace: bool = True) -> tuple[Any, int]:
    """Run fn under tracemalloc and return (result, peak bytes it allocated); untraced, the peak is 0."""
    if not trace:
        return fn(), 0
    if tracemalloc.is_tracing():  # the learner is tracing: share it rather than stop it
        before = tracemalloc.get_traced_memory()[0]
        tracemalloc.reset_peak()
        result = fn()
        return result, max(tracemalloc.get_traced_memory()[1] - before, 0)
    tracemalloc.start()
    try:
        result = fn()
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    return result, peak

