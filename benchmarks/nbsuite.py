"""The lesson suite under strict nbval, serial and with ``-n 2 --dist loadfile`` (``--with-notebooks``: it is slow).

Each run is one pytest process; the wall seconds of each notebook are the sum of its cells' setup, call and teardown
times from ``--durations=0``.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from collections import defaultdict

from harness import ROOT, Figure, Row, Stats, log

_DURATION = re.compile(r"^\s*([0-9.]+)s\s+(?:setup|call|teardown)\s+(\S+?\.ipynb)::")
_SUMMARY = re.compile(r"^=*\s*(\d+ \w+(?:, \d+ \w+)*) in [0-9.]+s")
_FAILED = re.compile(r"^(?:FAILED|ERROR) (\S+?\.ipynb)")
PARALLEL = ["-n", "2", "--dist", "loadfile"]


def _suite(extra: list[str]) -> tuple[float, dict[str, float], str, set[str]]:
    command = [sys.executable, "-m", "pytest", "--nbval", "notebooks/", "--sanitize-with", "tests/sanitize.cfg",
               "--durations=0", "-q", "-p", "no:cacheprovider", *extra]
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])))
    log(f"  notebooks: {' '.join(command[2:])}")
    start = time.perf_counter()
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=1800)
    wall = time.perf_counter() - start
    per_notebook: dict[str, float] = defaultdict(float)
    summary = ""
    failed = set()
    for line in done.stdout.splitlines():
        match = _DURATION.match(line)
        if match:
            per_notebook[match.group(2)] += float(match.group(1))
        found = _SUMMARY.search(line)
        if found:
            summary = found.group(1)
        failing = _FAILED.match(line)
        if failing:
            failed.add(failing.group(1))
    if done.returncode and not failed:
        failed.add(f"pytest exit status {done.returncode}")
    return wall, dict(sorted(per_notebook.items())), summary, failed


def notebooks(quick: bool) -> Row:
    serial_wall, serial, serial_summary, serial_failed = _suite([])
    parallel_wall, parallel, parallel_summary, parallel_failed = _suite(PARALLEL)
    names = sorted(set(serial) | set(parallel))
    notes = [f"serial: {serial_summary or 'no summary'}; -n 2: {parallel_summary or 'no summary'}; "
             "per-notebook seconds are below the table and in the JSON"]
    if serial_failed or parallel_failed:
        notes.append(f"failing: {', '.join(sorted(serial_failed)) or 'none'} (serial); "
                     f"{', '.join(sorted(parallel_failed)) or 'none'} (-n 2)")
    return Row("notebooks", "lesson suite under strict nbval, whole suite", "s",
               Figure("-n 2 --dist loadfile", Stats.of([parallel_wall])), Figure("serial", Stats.of([serial_wall])),
               ratio=parallel_wall / serial_wall, notes=notes,
               details={"per_notebook_s": {name: {"serial": round(serial.get(name, 0.0), 2),
                                                  "parallel": round(parallel.get(name, 0.0), 2)}
                                           for name in names}})


def render_per_notebook(row: Row) -> str:
    """The per-notebook seconds as a small table under the main one."""
    per = row.details.get("per_notebook_s") or {}
    if not per:
        return ""
    width = max(len(name) for name in per)
    lines = [f"{'notebook'.ljust(width)}  serial s  -n 2 s", f"{'-' * width}  --------  ------"]
    for name, figures in per.items():
        lines.append(f"{name.ljust(width)}  {figures['serial']:8.2f}  {figures['parallel']:6.2f}")
    return "\n".join(lines)
