"""Running in a browser tab (the course's JupyterLite edition, Python under Pyodide; docs/lite.md).

A tab has one thread, no signals, no processes and no listening sockets. The runtime adapts where it can (timeouts
use the ``sys.monitoring`` stopper, see :mod:`lambda_local.runtime.timeouts`) and, where it cannot, says so in plain
words through :func:`require_desktop` instead of failing deep inside a library.
"""

from __future__ import annotations

import sys

__all__ = ["IN_BROWSER", "NeedsDesktop", "require_desktop", "debugger_as_on_the_desktop"]

IN_BROWSER = sys.platform == "emscripten"


class NeedsDesktop(RuntimeError):
    """What was asked for needs the desktop edition of the course (a process, a thread or a port)."""


def require_desktop(what: str, *, in_browser: bool | None = None) -> None:
    """Raise :class:`NeedsDesktop` naming ``what`` when running in a browser; do nothing elsewhere."""
    if IN_BROWSER if in_browser is None else in_browser:
        raise NeedsDesktop(f"{what} needs the desktop edition of the course: a browser tab cannot start processes, "
                           "threads or servers. Everything else in this lesson runs here; see docs/lite.md")


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
