"""The browser edition (``make lite``): lessons run in JupyterLite, in headless Chromium, with nothing from the network.

The site built by ``scripts/build_lite.py`` is served from loopback; Playwright drives Debian's Chromium (installed
by ``scripts/install_browser.sh``, never ``playwright install``). Every request the page or its workers make to
another origin is refused and fails the test: the site must carry everything it needs. A lesson's outputs are
cleared, the lesson is run, and what each cell prints is compared with the outputs committed in the notebook (the
desktop edition's), through the same sanitizers as nbval (tests/sanitize.cfg).

Slow (Pyodide starts, then loads moto and botocore): not part of ``make test``; ``make test-lite`` runs it, with
``LAMBDA_LOCAL_LITE_SITE`` naming the built site.
"""

from __future__ import annotations

import configparser
import functools
import http.server
import json
import os
import re
import threading
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SITE = Path(os.environ.get("LAMBDA_LOCAL_LITE_SITE", ROOT / "build" / "lite"))
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage"]
LESSON = "notebooks/01_handlers.ipynb"
KERNEL_TIMEOUT_S = 180  # Pyodide and the course's packages load in ~10-30 s; this only stops a hung run
CELL_TIMEOUT_S = 120
# Cells that need what a browser has not: a process of their own (lambda-local serve and the AWS CLI), or Node.js.
# The lesson says so in the cell itself; here they must fail with the plain message, not hang.
DESKTOP_ONLY = re.compile(r"subprocess\.|lambda_local\.runtime\.nodejs")

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not os.environ.get("LAMBDA_LOCAL_LITE_SITE"),
                       reason="the browser edition's test runs with `make test-lite` (it builds the site first)"),
]


@pytest.fixture(scope="module")
def site_url():
    if not (SITE / "jupyter-lite.json").exists():
        pytest.fail(f"no site in {SITE}: run `make lite` first")
    handler = functools.partial(_QuietHandler, directory=str(SITE))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    extensions_map = {**http.server.SimpleHTTPRequestHandler.extensions_map,
                      ".wasm": "application/wasm", ".mjs": "text/javascript", ".whl": "application/zip"}

    def log_message(self, format, *args):  # noqa: A002 - the base class's name
        pass


@pytest.fixture(scope="module")
def browser():
    if not CHROMIUM.exists():
        pytest.skip(f"no Chromium at {CHROMIUM}: run `bash scripts/install_browser.sh` as root")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_FLAGS)
        try:
            yield chromium
        finally:
            chromium.close()


class Page:
    """One JupyterLite page, with every request to another origin refused and recorded."""

    def __init__(self, browser, base: str):
        # Service workers allowed, as for a learner: JupyterLite's keeps the kernel's files in the browser's storage.
        # Chromium routes their requests through the context too; every request is also recorded as it is made.
        self.context = browser.new_context()
        self.base = base
        self.foreign: list[str] = []
        self.context.route("**/*", self._route)
        self.context.on("request", self._seen)
        self.page = self.context.new_page()
        self.console: list[str] = []
        self.page.on("console", lambda message: self.console.append(f"{message.type}: {message.text}"))

    def _route(self, route) -> None:
        url = route.request.url
        if url.startswith((self.base + "/", "data:", "blob:")):
            route.continue_()
        else:
            self.foreign.append(url)
            route.abort()

    def _seen(self, request) -> None:
        if not request.url.startswith((self.base + "/", "data:", "blob:")) and request.url not in self.foreign:
            self.foreign.append(request.url)

    def open(self, path: str) -> float:
        """Open ``path`` in JupyterLab; returns the seconds until its kernel is idle."""
        started = time.monotonic()
        self.page.goto(f"{self.base}/lab/index.html?path={path}")
        self.page.wait_for_function("() => window.jupyterapp !== undefined", timeout=KERNEL_TIMEOUT_S * 1000)
        self.wait(lambda state: state["kernel"] == "idle", KERNEL_TIMEOUT_S, path, "the kernel did not start")
        return time.monotonic() - started

    def state(self, path: str) -> dict | None:
        return self.page.evaluate(_NOTEBOOK_STATE, path)

    def wait(self, predicate, timeout_s: float, path: str, what: str) -> dict:
        deadline = time.monotonic() + timeout_s
        state = None
        while time.monotonic() < deadline:
            state = self.state(path)
            if state is not None and predicate(state):
                return state
            self.page.wait_for_timeout(200)
        _screenshot(self.page, f"FAILED-lite-{Path(path).stem}")
        pytest.fail(f"{path}: {what} within {timeout_s:.0f} s; console: {self.console[-15:]}; "
                    f"state: {json.dumps(state)[:1500]}")

    def run_cell(self, path: str, index: int) -> dict:
        """Run code cell ``index`` (a position among all cells) and return its state once it has run."""
        self.page.evaluate(_RUN_CELL, index)
        started = time.monotonic()
        state = self.wait(lambda state: state["kernel"] == "idle" and _cell(state, index)["count"] is not None,
                          CELL_TIMEOUT_S, path, f"cell {index} did not run")
        if os.environ.get("LAMBDA_LOCAL_LITE_VERBOSE"):
            print(f"cell {index}: {time.monotonic() - started:.1f} s", flush=True)
        return state

    def close(self) -> None:
        self.context.close()


def _cell(state: dict, index: int) -> dict:
    return next(cell for cell in state["cells"] if cell["index"] == index)


def _screenshot(page, name: str) -> None:
    folder = ROOT / "test-artifacts"
    folder.mkdir(exist_ok=True)
    try:
        page.screenshot(path=str(folder / f"{name}.png"))
    except Exception:  # noqa: BLE001 - a screenshot is a help for the reader, never the failure itself
        pass


_NOTEBOOK_STATE = """(path) => {
    const app = window.jupyterapp;
    const panel = app && app.shell.currentWidget;
    if (!panel || !panel.context || panel.context.path !== path || !panel.content || !panel.sessionContext) {
        return null;
    }
    const kernel = panel.sessionContext.session && panel.sessionContext.session.kernel;
    const cells = [];
    panel.content.widgets.forEach((cell, index) => {
        const model = cell.model;
        if (model.type !== "code") return;
        const outputs = model.outputs.toJSON().map(o => ({type: o.output_type, name: o.name,
            text: Array.isArray(o.text) ? o.text.join("") : (o.text || ""), ename: o.ename, evalue: o.evalue}));
        cells.push({index, source: model.sharedModel.getSource(), count: model.executionCount, outputs});
    });
    return {kernel: kernel ? kernel.status : null, cells};
}"""

_RUN_CELL = """(index) => {
    const panel = window.jupyterapp.shell.currentWidget;
    panel.content.activeCellIndex = index;
    window.jupyterapp.commands.execute("notebook:run-cell");  // not awaited: the test polls with its own timeout
}"""


def _sanitizers() -> list[tuple[re.Pattern, str]]:
    config = configparser.ConfigParser(interpolation=None)
    config.read(ROOT / "tests" / "sanitize.cfg")
    return [(re.compile(config[section]["regex"]), config[section]["replace"]) for section in config.sections()]


def _printed(outputs: list[dict], sanitizers) -> str:
    text = "".join(o.get("text", "") if isinstance(o.get("text", ""), str) else "".join(o["text"])
                   for o in outputs if o.get("output_type", o.get("type")) == "stream")
    for pattern, replacement in sanitizers:
        text = pattern.sub(replacement, text)
    return text


def _committed(path: str) -> dict[int, list[dict]]:
    notebook = json.loads((ROOT / path).read_text())
    return {index: cell.get("outputs", []) for index, cell in enumerate(notebook["cells"])
            if cell["cell_type"] == "code"}


def test_lesson_01_runs_in_the_browser_as_on_the_desktop(browser, site_url):
    """Every cell of lesson 01 prints what it prints on the desktop; the cells that need a process of their own
    fail with a message, not a hang; nothing is fetched from another origin."""
    page = Page(browser, site_url)
    try:
        page.open(LESSON)
        page.page.evaluate("() => window.jupyterapp.commands.execute('notebook:clear-all-cell-outputs')")
        state = page.wait(lambda s: all(not c["outputs"] for c in s["cells"]), 30, LESSON, "outputs not cleared")
        expected = _committed(LESSON)
        sanitizers = _sanitizers()
        compared, desktop_only, differences = 0, 0, []
        for cell in state["cells"]:
            if not cell["source"].strip():
                continue
            ran = _cell(page.run_cell(LESSON, cell["index"]), cell["index"])
            errors = [o for o in ran["outputs"] if o["type"] == "error"]
            if DESKTOP_ONLY.search(cell["source"]):
                desktop_only += 1
                continue  # it may fail (no subprocess in a browser) or print that Node.js is missing: not compared
            if errors:
                differences.append(f"cell {cell['index']}: {errors[0]['ename']}: {errors[0]['evalue']}")
                continue
            got = _printed([{**o, "output_type": o["type"]} for o in ran["outputs"]], sanitizers)
            want = _printed(expected[cell["index"]], sanitizers)
            compared += 1
            if got != want:
                differences.append(f"cell {cell['index']} printed:\n{got}\ninstead of:\n{want}")
        assert not page.foreign, f"the page fetched from other origins: {page.foreign}"
        assert compared >= 20, f"only {compared} cells compared ({desktop_only} desktop-only)"
        assert not differences, "\n\n".join(differences)
    finally:
        page.close()
