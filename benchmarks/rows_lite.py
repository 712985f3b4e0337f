"""The ``lite`` row: the browser edition (``make lite``) against its goals (issue 19).

Three figures: the site's size (goal at most 60 MB); the time from opening lesson 01 to its first output, its first
cell run as soon as the kernel is up (goal 10 s on a laptop); and a warm ``Function.invoke`` in Chromium (Pyodide)
against the same code on this desktop Python (goal within 10x). Skipped when the site was not built.
"""

from __future__ import annotations

import contextlib
import io
import os
import re
import time

import lite_browser
from harness import Figure, Row, Stats

LESSON = "notebooks/01_handlers.ipynb"
SIZE_GOAL_MB = 60
FIRST_OUTPUT_GOAL_S = 10
RATIO_GOAL = 10

# Runs in both places; prints one line per run of `calls` warm invokes: the microseconds per invoke.
WARM_CODE = """
import time as _time
from lambda_local import Function as _Function

def _bench_handler(event, context):
    return {"ok": True}

_fn = _Function(_bench_handler, name="bench-warm-lite")
_fn.invoke({}); _fn.invoke({})
for _run in range(RUNS):
    _t = _time.perf_counter()
    for _i in range(CALLS):
        _fn.invoke({"n": _i})
    print("WARM_US", (_time.perf_counter() - _t) / CALLS * 1e6)
"""


def _warm_figures(output: str) -> list[float]:
    return [float(v) for v in re.findall(r"WARM_US ([\d.]+)", output)]


def lite(quick: bool) -> Row:
    title = "browser edition (JupyterLite): warm invoke"
    site = lite_browser.SITE
    if not (site / "jupyter-lite.json").exists():
        return Row.unavailable("lite", title, "skipped", "no site in build/lite: run `make lite` first")
    if not lite_browser.CHROMIUM.exists():
        return Row.unavailable("lite", title, "skipped", f"no Chromium at {lite_browser.CHROMIUM}")
    size_mb = sum(p.stat().st_size for p in site.rglob("*") if p.is_file()) / 1e6
    runs, calls = (5, 50) if quick else (11, 200)
    code = WARM_CODE.replace("RUNS", str(runs)).replace("CALLS", str(calls))

    desktop_output = io.StringIO()
    with contextlib.redirect_stdout(desktop_output):
        exec(compile(code, "<bench-lite>", "exec"), {"__name__": "__bench__"})
    desktop = Stats.of(_warm_figures(desktop_output.getvalue()))

    with lite_browser.serve(site) as base, lite_browser.chromium() as browser:
        page = lite_browser.Page(browser, base)
        try:
            kernel_s, first_output_s = _first_output(page)
            browser_cell = page.run_code(LESSON, code)
            in_browser = _warm_figures(lite_browser.printed(browser_cell))
            if not in_browser:
                raise RuntimeError(f"the warm-invoke cell failed in the browser: {browser_cell['outputs']}")
            foreign = list(page.foreign)
        finally:
            page.close()
    laptop = _on_a_laptop(site, lite_browser.LAPTOP_BROADBAND)
    foreign += [url for url in laptop["foreign_requests"] if url not in foreign]
    browser_stats = Stats.of(in_browser)
    ratio = browser_stats.median / desktop.median
    # The goal is a laptop's: the emulated network's first visit (a return visit is quicker, loopback quicker still).
    met = (size_mb <= SIZE_GOAL_MB and laptop["first_visit_s"] <= FIRST_OUTPUT_GOAL_S and ratio <= RATIO_GOAL
           and not foreign)
    return Row("lite", title, "µs", Figure("Function(handler).invoke(event) in Chromium (Pyodide)", browser_stats),
               Figure("the same on this machine's Python", desktop), ratio=ratio,
               target=(f"site {size_mb:.1f} ≤ {SIZE_GOAL_MB} MB, first output on a laptop "
                       f"{laptop['first_visit_s']:.1f} ≤ {FIRST_OUTPUT_GOAL_S} s, ratio ≤ {RATIO_GOAL}x"),
               target_met=met,
               notes=[f"site {size_mb:.1f} MB; kernel idle {kernel_s:.1f} s and lesson 01's first output "
                      f"{first_output_s:.1f} s after opening the page (served from loopback, headless)",
                      f"lesson 01's first output over an emulated network, \"{laptop['profile']}\": "
                      f"{laptop['first_visit_s']:.1f} s on a first visit (empty cache, "
                      f"{laptop['first_visit_mb']:.1f} MB downloaded), {laptop['return_visit_s']:.1f} s on a "
                      f"return visit (the browser's cache, {laptop['return_visit_mb']:.1f} MB downloaded, with what "
                      f"loads in the background after the first cell); the site served as GitHub Pages serves it "
                      f"(its text types gzip-compressed; the interpreter is gzip-compressed by the build itself)",
                      f"{runs} runs of {calls} warm invokes each, in the page and here",
                      # The page's seconds swing with what else the machine runs: say how busy it was.
                      f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores at the end of the run",
                      *([f"requests to other origins (refused): {foreign}"] if foreign else [])],
               details={"site_mb": round(size_mb, 1), "kernel_idle_s": round(kernel_s, 1),
                        "first_output_s": round(first_output_s, 1), "load_average": round(os.getloadavg()[0], 1),
                        "laptop": {key: value for key, value in laptop.items() if key != "foreign_requests"},
                        "foreign_requests": foreign})


def _first_output(page) -> tuple[float, float]:
    """Open lesson 01, run its first cell as soon as the kernel is up: (seconds to an idle kernel, seconds to the
    cell's output), both from opening the page."""
    opened = time.monotonic()
    kernel_s = page.open(LESSON)
    state = page.clear_outputs(LESSON)
    first = next(c for c in state["cells"] if c["source"].strip())
    ran = page.run_cell(LESSON, first["index"])
    first_output_s = time.monotonic() - opened
    if not lite_browser.printed(ran):
        raise RuntimeError(f"lesson 01's first cell printed nothing: {ran['outputs']}")
    return kernel_s, first_output_s


def _on_a_laptop(site, network) -> dict:
    """Lesson 01's first output with ``network`` emulated, the site served as GitHub Pages serves it (its caching
    header, its text types gzip-compressed): a first visit (a new browser profile on disk: empty cache) and a return
    visit (a new tab of the same profile, its disk cache). What was downloaded is counted at the server (a 304 or a
    cached file costs no body)."""
    served: list[int] = []
    figures = {"profile": f"{network.name}: {network.down_mbit:g} Mbit/s down, {network.up_mbit:g} up, "
                          f"{network.rtt_ms:g} ms round trip"}
    with (lite_browser.serve(site, like_pages=True, sent=served) as base,
          lite_browser.profile() as context):
        first = lite_browser.Page(None, base, refuse_foreign=False, network=network, context=context)
        pages = [first]
        try:
            figures["first_visit_s"] = _first_output(first)[1]
            figures["first_visit_mb"], served[:] = sum(served) / 1e6, []
            first.page.close()  # the tab closed; the profile and its cache stay
            pages.append(lite_browser.Page(None, base, refuse_foreign=False, network=network, context=context))
            figures["return_visit_s"] = _first_output(pages[-1])[1]
            figures["return_visit_mb"] = sum(served) / 1e6
            figures["foreign_requests"] = [url for page in pages for url in page.foreign]
        finally:
            first.close()
    return {key: round(value, 1) if isinstance(value, float) else value for key, value in figures.items()}
