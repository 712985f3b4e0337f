"""A progress bar for long simulations, without tqdm: an ipywidgets bar in a notebook, a plain line on a
terminal's stderr, nothing otherwise. In ``auto`` mode it appears only once a run has simulated a million events
(several seconds of work), so short simulations (every lesson's) print nothing at all. The threshold counts work,
not wall time: whether a bar appears never depends on how busy the machine is, so a lesson's output is the same on
a loaded CI runner as on an idle laptop."""

from __future__ import annotations

import sys

SHOW_AFTER_EVENTS = 1_000_000


def _in_notebook() -> bool:
    try:
        from IPython import get_ipython
    except ImportError:
        return False
    shell = get_ipython()
    return shell is not None and type(shell).__name__ == "ZMQInteractiveShell"


class Progress:
    """``update(fraction, text)`` as the run goes, ``close()`` at the end. ``mode``: True, False or None (auto)."""

    def __init__(self, mode: bool | None, label: str = "simulating"):
        self.label = label
        self.enabled = mode is not False
        self.auto = mode is None
        self._widget = None
        self._line = False
        self._shown = False

    def _show(self) -> None:
        self._shown = True
        if _in_notebook():
            try:
                import ipywidgets
                from IPython.display import display
            except ImportError:
                pass
            else:
                self._widget = ipywidgets.FloatProgress(value=0.0, min=0.0, max=1.0, description=self.label,
                                                        layout={"width": "60%"})
                self._text = ipywidgets.Label()
                display(ipywidgets.HBox([self._widget, self._text]))
                return
        self._line = bool(getattr(sys.stderr, "isatty", lambda: False)()) or not self.auto

    def update(self, fraction: float, text: str = "", events: int = 0) -> None:
        """``events``: how much work the run has done so far (in auto mode the bar waits for SHOW_AFTER_EVENTS)."""
        if not self.enabled:
            return
        if not self._shown:
            if self.auto and events < SHOW_AFTER_EVENTS:
                return
            self._show()
        fraction = min(max(fraction, 0.0), 1.0)
        if self._widget is not None:
            self._widget.value = fraction
            self._text.value = text
        elif self._line:
            sys.stderr.write(f"\r{self.label}: {fraction:6.1%} {text}   ")
            sys.stderr.flush()

    def close(self, text: str = "") -> None:
        if not self._shown:
            return
        if self._widget is not None:
            self._widget.value = 1.0
            self._text.value = text
        elif self._line:
            sys.stderr.write(f"\r{self.label}: done {text}   \n")
            sys.stderr.flush()
