"""What every benchmark row shares: timing with warm-up and gc handling, the figures of a row, the table and the JSON.

A figure is the median (and p90) of several *runs*; a run times a batch of calls with ``time.perf_counter_ns`` and
divides by the batch size, so a call much shorter than the timer's resolution is still measured well. A row's
subject and its baseline run in the same process, alternately (``interleaved``), so a machine that slows down for a
moment slows both.

>>> stats = Stats.of([3.0, 1.0, 2.0])
>>> stats.median, stats.p90, stats.runs
(2.0, 3.0, 3)
"""

from __future__ import annotations

import gc
import itertools
import json
import math
import os
import platform
import statistics
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Callable

ROOT = Path(__file__).resolve().parent.parent

# The handler every row runs (as a callable, or as lambda_function.py in a code folder): trivial on purpose, so a row
# measures what sits around the handler, not the handler.
HANDLER_SOURCE = '''\
"""The benchmarks' handler: a trivial one, so what is measured is everything around it."""


def handler(event, context):
    return {"statusCode": 200, "body": event.get("name", "world")}
'''
EVENT = {"name": "Ada"}


def handler(event, context):
    return {"statusCode": 200, "body": event.get("name", "world")}


def write_handler(folder: Path) -> Path:
    """Write the handler as ``lambda_function.py`` in ``folder`` (a code folder as Lambda unzips it)."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "lambda_function.py").write_text(HANDLER_SOURCE)
    return folder


@dataclass
class Stats:
    """Median and p90 of one figure over its runs (nearest rank: p90 of 10 runs is the 9th smallest)."""

    median: float
    p90: float
    runs: int
    low: float
    high: float

    @classmethod
    def of(cls, values: list[float]) -> "Stats":
        if not values:
            raise ValueError("no runs to summarise")
        ordered = sorted(values)
        p90 = ordered[max(math.ceil(0.9 * len(ordered)) - 1, 0)]
        return cls(statistics.median(ordered), p90, len(ordered), ordered[0], ordered[-1])

    def scaled(self, factor: float) -> "Stats":
        """The same figure in another unit (seconds to µs: ``scaled(1e6)``)."""
        return Stats(self.median * factor, self.p90 * factor, self.runs, self.low * factor, self.high * factor)

    def rate(self, amount: float) -> "Stats":
        """Seconds per run turned into ``amount`` per second (the slowest run gives the p90 of a rate's low end)."""
        rates = sorted(amount / s for s in (self.low, self.median, self.high))
        return Stats(amount / self.median, amount / self.p90, self.runs, rates[0], rates[-1])


def time_batch(batch: Callable[[int], object], size: int) -> float:
    """Seconds per call of one run: ``batch(size)`` makes ``size`` calls. Garbage from earlier runs is collected
    first, and the collector stays on while timing: the runtime's own garbage is part of what a call costs."""
    gc.collect()
    start = time.perf_counter_ns()
    batch(size)
    return (time.perf_counter_ns() - start) / 1e9 / size


def interleaved(subject: Callable[[int], object], baseline: Callable[[int], object], *, size: int, runs: int,
                warmup: int = 1, after_run: Callable[[], None] | None = None) -> tuple[Stats, Stats]:
    """Time ``runs`` batches of each, alternating subject and baseline, after ``warmup`` untimed batches of each.
    Returns (subject, baseline) Stats in seconds per call."""
    for _ in range(warmup):
        subject(size)
        baseline(size)
        if after_run:
            after_run()
    ours, theirs = [], []
    for _ in range(runs):
        ours.append(time_batch(subject, size))
        theirs.append(time_batch(baseline, size))
        if after_run:
            after_run()
    return Stats.of(ours), Stats.of(theirs)


def repeat(fn: Callable, *args) -> Callable[[int], None]:
    """A batch function calling ``fn(*args)`` n times (the loop costs the same on both sides of a comparison)."""

    def batch(n: int) -> None:
        for _ in itertools.repeat(None, n):
            fn(*args)

    return batch


@dataclass
class Figure:
    """One side of a row: what ran, and its Stats in the row's unit."""

    what: str
    stats: Stats | None = None


@dataclass
class Row:
    """One line of the table. ``ratio`` is the subject's cost over the baseline's (time over time)."""

    name: str  # the --only key
    title: str
    unit: str  # the unit of both figures: "µs", "ms", "s", "msg/s"
    subject: Figure
    baseline: Figure
    ratio: float | None = None
    target: str = ""
    target_met: bool | None = None
    status: str = "ok"  # "ok", "skipped", "not available yet", "failed"
    notes: list[str] = field(default_factory=list)
    details: dict = field(default_factory=dict)

    @classmethod
    def unavailable(cls, name: str, title: str, status: str, reason: str) -> "Row":
        return cls(name, title, "", Figure(""), Figure(""), status=status, notes=[reason])


# --- the table --------------------------------------------------------------------------------------------------------
def _num(value: float | None) -> str:
    if value is None:
        return "-"
    if value >= 100:
        return f"{value:,.0f}"
    if value >= 10:
        return f"{value:.1f}"
    if value >= 1:
        return f"{value:.2f}"
    return f"{value:.3f}"


def _cell(figure: Figure, unit: str) -> tuple[str, str, str]:
    if figure.stats is None:
        return figure.what, "", ""
    return figure.what, f"{_num(figure.stats.median)} {unit}", f"{_num(figure.stats.p90)} {unit}"


def _ratio(row: Row) -> str:
    if row.ratio is None:
        return ""
    return f"{row.ratio:,.0f}x" if row.ratio >= 100 else f"{row.ratio:.2f}x"


def _verdict(row: Row) -> str:
    if not row.target:
        return ""
    mark = {True: "met", False: "MISSED", None: "?"}[row.target_met]
    return f"{row.target} [{mark}]"


def render(rows: list[Row]) -> str:
    """The table as text: one line per row, then the notes under it, numbered."""
    header = ("benchmark", "median", "p90", "baseline", "median", "p90", "ratio", "target")
    lines = []
    notes = []
    for row in rows:
        if row.status != "ok":
            cells = (row.title, row.status, "", "", "", "", "", "")
        else:
            s_what, s_med, s_p90 = _cell(row.subject, row.unit)
            b_what, b_med, b_p90 = _cell(row.baseline, row.unit)
            cells = (f"{row.title}: {s_what}" if s_what else row.title, s_med, s_p90, b_what, b_med, b_p90,
                     _ratio(row), _verdict(row))
        marks = []
        for note in row.notes:
            notes.append(note)
            marks.append(f"[{len(notes)}]")
        lines.append(list(cells[:-1]) + [" ".join(filter(None, (cells[-1], *marks)))])
    widths = [max(len(str(line[i])) for line in [header, *lines]) for i in range(len(header))]
    right = {1, 2, 4, 5, 6}

    def fmt(line) -> str:
        return "  ".join(str(c).rjust(w) if i in right else str(c).ljust(w)
                         for i, (c, w) in enumerate(zip(line, widths))).rstrip()

    out = [fmt(header), "  ".join("-" * w for w in widths)] + [fmt(line) for line in lines]
    if notes:
        out.append("")
        out += [f"[{i}] {note}" for i, note in enumerate(notes, 1)]
    return "\n".join(out)


def machine() -> dict:
    """What the figures were measured on."""
    try:
        import moto

        moto_version = moto.__version__
    except ImportError:
        moto_version = None
    return {"python": platform.python_version(), "implementation": platform.python_implementation(),
            "platform": platform.platform(), "machine": platform.machine(), "cpus": os.cpu_count(),
            "moto": moto_version, "load_average": load_average(),
            "when": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}


def load_average() -> list[float] | None:
    """1, 5 and 15 minute load averages: a busy machine explains noisy figures."""
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except (AttributeError, OSError):
        return None


def write_json(path: Path, rows: list[Row], options: dict, wall_s: float) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    document = {"machine": machine(), "options": options, "wall_seconds": round(wall_s, 2),
                "timing": "median and p90 over runs; gc.collect() before each run, collector on while timing; "
                          "subject and baseline alternate",
                "rows": [asdict(row) for row in rows]}
    path.write_text(json.dumps(document, indent=2, default=str) + "\n")


def log(message: str) -> None:
    """Progress goes to stderr, so stdout carries only the table."""
    print(message, file=sys.stderr, flush=True)
