"""Running in a browser tab (the course's JupyterLite edition, Python under Pyodide; docs/lite.md).

A tab has one thread, no signals, no processes and no listening sockets. The runtime adapts where it can (timeouts
use the ``sys.monitoring`` stopper, see :mod:`lambda_local.runtime.timeouts`) and, where it cannot, says so in plain
words through :func:`require_desktop` instead of failing deep inside a library.
"""

from __future__ import annotations

import sys

__all__ = ["IN_BROWSER", "NeedsDesktop", "require_desktop"]

IN_BROWSER = sys.platform == "emscripten"


class NeedsDesktop(RuntimeError):
    """What was asked for needs the desktop edition of the course (a process, a thread or a port)."""


def require_desktop(what: str, *, in_browser: bool | None = None) -> None:
    """Raise :class:`NeedsDesktop` naming ``what`` when running in a browser; do nothing elsewhere."""
    if IN_BROWSER if in_browser is None else in_browser:
        raise NeedsDesktop(f"{what} needs the desktop edition of the course: a browser tab cannot start processes, "
                           "threads or servers. Everything else in this lesson runs here; see docs/lite.md")
