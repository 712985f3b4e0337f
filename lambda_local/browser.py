"""Running in a browser tab (the course's JupyterLite edition, Python under Pyodide; docs/lite.md).

A tab has one thread, no signals, no processes and no listening sockets. The runtime adapts where it can (timeouts
use the ``sys.monitoring`` stopper, see :mod:`lambda_local.runtime.timeouts`) and, where it cannot, says so in plain
words through :func:`require_desktop` instead of failing deep inside a library.
"""

from __future__ import annotations

import importlib
import sys
from types import ModuleType
from typing import Callable

__all__ = ["IN_BROWSER", "NeedsDesktop", "NotLoaded", "after_this_cell", "debugger_as_on_the_desktop",
           "import_site_package", "require_desktop"]

IN_BROWSER = sys.platform == "emscripten"


class NeedsDesktop(RuntimeError):
    """What was asked for needs the desktop edition of the course (a process, a thread or a port)."""


def require_desktop(what: str, *, in_browser: bool | None = None) -> None:
    """Raise :class:`NeedsDesktop` naming ``what`` when running in a browser; do nothing elsewhere."""
    if IN_BROWSER if in_browser is None else in_browser:
        raise NeedsDesktop(f"{what} needs the desktop edition of the course: a browser tab cannot start processes, "
                           "threads or servers. Everything else in this lesson runs here; see docs/lite.md")


class NotLoaded(ModuleNotFoundError):
    """A package of the site the kernel loads only when a cell imports it, which this browser cannot load from the
    middle of a running cell."""


def import_site_package(module: str, package: str) -> ModuleType:
    """``import module``. In the browser, a package the site loads only when a cell imports it (cfn-lint, with
    sympy under it: 8 MB the first output of a lesson does not wait for) is loaded first when no cell has yet:
    Python waits for Pyodide's ``loadPackage`` where the browser lets it (JavaScript Promise Integration: Chrome and
    Edge); elsewhere :class:`NotLoaded` says which import to run in a cell."""
    try:
        return importlib.import_module(module)
    except ModuleNotFoundError:
        if not IN_BROWSER:
            raise
    import pyodide_js  # the browser's Pyodide
    from pyodide.ffi import can_run_sync, run_sync

    if not can_run_sync():
        raise NotLoaded(f"{package} is loaded in the browser edition when a cell imports it, and this browser "
                        f"cannot load it from inside a running cell: run a cell with `import {module}` (the lab's "
                        "first cell has it), then this one again", name=module)
    run_sync(pyodide_js.loadPackage(package))
    importlib.invalidate_caches()
    return importlib.import_module(module)


def after_this_cell(work: Callable[[], object]) -> None:
    """Run ``work`` once the running cell has finished and its reply has gone to the page (the tab's event loop
    runs it next, before the next cell if that is already waiting); at once where there is no such loop."""
    try:
        from js import setTimeout  # the browser's, in the kernel's worker
        from pyodide.ffi import create_once_callable
    except ImportError:  # the desktop
        work()
        return

    setTimeout(create_once_callable(lambda: work() and None), 0)


def debugger_as_on_the_desktop() -> None:
    """In a browser tab's kernel, make ``pdb.Pdb`` IPython's debugger, as the desktop's kernel does.

    ipykernel replaces ``pdb.Pdb`` and ``pdb.set_trace`` with IPython's (its ``init_pdb``), so on the desktop
    ``breakpoint()``, a post mortem and ``pdb.Pdb(...)`` in a cell print ``ipdb>`` and a coloured listing with line
    numbers. The browser's kernel (jupyterlite-pyodide-kernel) leaves the standard library's, whose ``(Pdb)`` prints
    differently; this does what ipykernel does, so a lesson prints the same in both. Nothing outside IPython.
    """
    import pdb

    if "IPython" not in sys.modules:
        return
    from IPython import get_ipython
    from IPython.core import debugger

    if get_ipython() is None or not hasattr(debugger, "InterruptiblePdb") or pdb.Pdb is debugger.InterruptiblePdb:
        return
    debugger.Pdb = debugger.InterruptiblePdb  # type: ignore[misc]
    pdb.Pdb = debugger.Pdb  # type: ignore[misc, assignment]
    pdb.set_trace = debugger.set_trace
