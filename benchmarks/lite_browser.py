"""Driving the browser edition's site (``make lite``) in headless Chromium: tests/test_lite.py and the bench's
``lite`` row share it.

The site is served from loopback by Python's http.server; Playwright drives Debian's Chromium
(``scripts/install_browser.sh``, never ``playwright install``). Every request the page, its workers or its service
worker make to another origin is refused and recorded in :attr:`Page.foreign`.
"""

from __future__ import annotations

import contextlib
import functools
import gzip
import http.server
import io
import itertools
import json
import os
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterator

ROOT = Path(__file__).resolve().parent.parent
SITE = ROOT / "build" / "lite"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage"]
KERNEL_TIMEOUT_S = 240  # Pyodide and the course's packages load in 15-90 s on a loaded 2-core machine
CELL_TIMEOUT_S = 120


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    extensions_map = {**http.server.SimpleHTTPRequestHandler.extensions_map,
                      ".wasm": "application/wasm", ".mjs": "text/javascript", ".whl": "application/zip"}

    def log_message(self, format, *args):
        pass


# What GitHub Pages compresses on the fly (gzip, ``Content-Encoding: gzip`` with ``Vary: Accept-Encoding``): its
# text types. Sources, as of 2026: GitHub's community discussion 21655 ("GitHub Pages currently support on-the-fly
# gzip compression"), and the answer quoted in maxence-charriere/go-app#866 ("Github pages is already gziping html,
# css, js, json"). Whether it also compresses ``application/wasm`` is not documented (go-app#866 shows a screenshot
# where it does): the bench assumes it does not (the site ships Pyodide's interpreter gzip-compressed itself).
# Zip archives (wheels, the standard library) and gzip files are sent as they are, by GitHub Pages and here.
PAGES_GZIP_TYPES = frozenset({"text/html", "text/css", "text/javascript", "application/javascript",
                              "application/json", "image/svg+xml", "text/plain", "text/xml", "application/xml"})
# GitHub Pages' compression level is not documented: nginx's default (1), the lowest, so the bench does not count
# fewer bytes than a host would send.
PAGES_GZIP_LEVEL = 1


class _CachingHandler(_QuietHandler):
    """As GitHub Pages serves a site: every file may be kept by the browser for 10 minutes (``max-age=600``), and
    the types of ``PAGES_GZIP_TYPES`` are gzip-compressed for a browser that accepts it. The size of each body sent
    is appended to ``sent``."""

    sent: list[int] = []
    _compressed: dict[tuple[str, float], bytes] = {}  # (path, mtime): its gzip body, made once per server

    @classmethod
    def _gzipped(cls, path: str) -> bytes:
        key = (path, os.stat(path).st_mtime)
        body = cls._compressed.get(key)
        if body is None:
            with open(path, "rb") as file:
                body = cls._compressed[key] = gzip.compress(file.read(), PAGES_GZIP_LEVEL, mtime=0)
        return body

    @classmethod
    def precompress(cls, site: Path) -> None:
        """Compress every file of a type in ``PAGES_GZIP_TYPES`` now: a host has its compressed copies at hand (GitHub
        Pages' CDN caches them), where compressing on each request would take this machine's CPU from the browser
        being measured (about 1 s of a first visit's on a loaded machine)."""
        for path in site.rglob("*"):
            # guess_type reads only the class's extensions_map, so the class can stand for an instance.
            if path.is_file() and cls.guess_type(cls, str(path)) in PAGES_GZIP_TYPES:
                cls._gzipped(str(path))

    def end_headers(self):
        self.send_header("Cache-Control", "max-age=600")
        super().end_headers()

    def send_header(self, keyword, value):
        if keyword.lower() == "content-length":  # a 304 (the browser's copy is still good) has no body
            self.sent.append(int(value))
        super().send_header(keyword, value)

    def send_head(self):
        path = self.translate_path(self.path)
        if (not os.path.isfile(path) or self.guess_type(path) not in PAGES_GZIP_TYPES
                or "gzip" not in self.headers.get("Accept-Encoding", "")):
            return super().send_head()
        stat = os.stat(path)
        if self.headers.get("If-Modified-Since") == self.date_time_string(int(stat.st_mtime)):
            return super().send_head()  # the browser's copy is still good: a 304, no body
        body = self._gzipped(path)
        self.send_response(200)
        self.send_header("Content-Type", self.guess_type(path))
        self.send_header("Content-Encoding", "gzip")
        self.send_header("Vary", "Accept-Encoding")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Last-Modified", self.date_time_string(int(stat.st_mtime)))
        self.end_headers()
        return io.BytesIO(body)


@contextlib.contextmanager
def serve(site: Path = SITE, *, like_pages: bool = False, sent: list[int] | None = None) -> Iterator[str]:
    """Serve ``site`` on a free loopback port; yields its base URL. ``like_pages``: as GitHub Pages serves it
    (its caching header: a return visit then loads the site from the browser's cache; its text types
    gzip-compressed), the size of each body sent appended to ``sent``."""
    handler = functools.partial(_QuietHandler, directory=str(site))
    if like_pages:
        counted = type("_Counted", (_CachingHandler,), {"sent": sent if sent is not None else [], "_compressed": {}})
        counted.precompress(site)
        handler = functools.partial(counted, directory=str(site))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


@contextlib.contextmanager
def chromium() -> Iterator[object]:
    """Debian's Chromium under Playwright, headless."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_FLAGS)
        try:
            yield browser
        finally:
            browser.close()


@dataclass(frozen=True)
class NetworkProfile:
    """A learner's network, emulated by Chromium (DevTools' ``Network.emulateNetworkConditions``) for the page, its
    kernel's worker and JupyterLite's service worker: a bandwidth shared by the downloads and a round-trip time
    added to each request. A request the service worker answers is throttled once, at the service worker's own
    fetch (checked with files of known size: docs/lite.md, "Is the emulation counting each request once?")."""
    name: str
    down_mbit: float
    up_mbit: float
    rtt_ms: float

    def conditions(self) -> dict:
        return {"offline": False, "latency": self.rtt_ms, "downloadThroughput": self.down_mbit * 1e6 / 8,
                "uploadThroughput": self.up_mbit * 1e6 / 8}


# A laptop on home or office broadband, opening the site from a static host (GitHub Pages) across the country.
LAPTOP_BROADBAND = NetworkProfile("laptop on broadband", down_mbit=50, up_mbit=10, rtt_ms=20)


@contextlib.contextmanager
def profile() -> Iterator[object]:
    """A browser profile of its own on disk, as a learner's browser has: a return visit finds the site in its disk
    cache (a new context of a launched browser keeps a small cache in memory, which Pyodide's 9.6 MB interpreter
    does not fit in)."""
    import tempfile

    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory(prefix="lambda-local-lite-profile-") as folder, sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(folder, executable_path=str(CHROMIUM),
                                                               args=CHROMIUM_FLAGS)
        try:
            yield context
        finally:
            context.close()


class Page:
    """One JupyterLite page, with every request to another origin refused and recorded.

    ``refuse_foreign=False`` only records them: Playwright's routing (how a request is refused) turns the browser's
    HTTP cache off, which a return visit's measurement needs. ``network`` emulates a learner's network.
    """

    def __init__(self, browser, base: str, screenshots: Path | None = None, *, refuse_foreign: bool = True,
                 network: NetworkProfile | None = None, context=None):
        # Service workers allowed, as for a learner: JupyterLite's keeps the kernel's files in the browser's storage.
        # Chromium routes their requests through the context too; every request is also recorded as it is made.
        self.context = context or browser.new_context()
        self.base = base
        self.screenshots = screenshots
        self.foreign: list[str] = []
        self.console: list[str] = []
        if refuse_foreign:
            self.context.route("**/*", self._route)
        self.context.on("request", self._seen)
        self.page = self.context.new_page()
        if network is not None:
            _emulate(self.context, self.page, network)
        self.page.on("console", lambda message: self.console.append(f"{message.type}: {message.text}"))

    def _own(self, url: str) -> bool:
        return url.startswith((self.base + "/", "data:", "blob:"))

    def _route(self, route) -> None:
        if self._own(route.request.url):
            route.continue_()
        else:
            self._seen(route.request)
            route.abort()

    def _seen(self, request) -> None:
        if not self._own(request.url) and request.url not in self.foreign:
            self.foreign.append(request.url)

    def open(self, path: str, app: str = "lab/index.html") -> float:
        """Open notebook ``path`` in JupyterLab (the page ``app`` of the site); returns the seconds until its kernel
        is idle."""
        started = time.monotonic()
        self.page.goto(f"{self.base}/{app}?path={path}")
        self.page.wait_for_function("() => window.jupyterapp !== undefined", timeout=KERNEL_TIMEOUT_S * 1000)
        self.wait(lambda state: state["kernel"] == "idle", KERNEL_TIMEOUT_S, path, "the kernel did not start")
        return time.monotonic() - started

    def state(self, path: str) -> dict | None:
        """The open notebook's kernel status and code cells (index among all cells, source, count, outputs)."""
        return self.page.evaluate(_NOTEBOOK_STATE, path)

    def wait(self, predicate: Callable[[dict], bool], timeout_s: float, path: str, what: str) -> dict:
        deadline = time.monotonic() + timeout_s
        state = None
        while time.monotonic() < deadline:
            state = self.state(path)
            if state is not None and predicate(state):
                return state
            self.page.wait_for_timeout(100)
        if self.screenshots is not None:
            self.screenshots.mkdir(exist_ok=True)
            self.page.screenshot(path=str(self.screenshots / f"FAILED-lite-{Path(path).stem}.png"))
        raise TimeoutError(f"{path}: {what} within {timeout_s:.0f} s; console: {self.console[-15:]}; "
                           f"state: {json.dumps(state)[:1500]}")

    def clear_outputs(self, path: str) -> dict:
        self.page.evaluate("() => window.jupyterapp.commands.execute('notebook:clear-all-cell-outputs')")
        return self.wait(lambda s: all(not c["outputs"] for c in s["cells"]), 30, path, "outputs were not cleared")

    def run_cell(self, path: str, index: int) -> dict:
        """Run cell ``index`` (a position among all cells); returns it once it has run and the kernel is idle."""
        self.page.evaluate(_RUN_CELL, index)
        state = self.wait(lambda s: s["kernel"] == "idle" and cell(s, index)["count"] is not None,
                          CELL_TIMEOUT_S, path, f"cell {index} did not run")
        return cell(state, index)

    def run_code(self, path: str, code: str) -> dict:
        """Add a cell with ``code`` at the top of the notebook, run it, return it (index 0)."""
        self.page.evaluate(_INSERT_CELL, code)
        self.wait(lambda s: bool(s["cells"]) and s["cells"][0]["index"] == 0 and s["cells"][0]["source"] == code,
                  30, path, "the cell was not added")
        return self.run_cell(path, 0)

    def close(self) -> None:
        self.context.close()


def _emulate(context, page, network: NetworkProfile) -> None:
    """``network`` for ``page`` and for the workers it starts (the kernel runs in a worker, and JupyterLite's service
    worker fetches what the page asks for), each paused as it starts until its conditions are set: DevTools'
    conditions apply to one target only."""
    session = context.new_cdp_session(page)
    session.send("Network.enable")
    session.send("Network.emulateNetworkConditions", network.conditions())
    ids = itertools.count(1)

    def attached(event: dict) -> None:
        for method, params in (("Network.enable", {}), ("Network.emulateNetworkConditions", network.conditions()),
                               ("Runtime.runIfWaitingForDebugger", {})):
            # Playwright's sessions cannot address a child target's session directly: the message is relayed.
            message = json.dumps({"id": next(ids), "method": method, "params": params})
            session.send("Target.sendMessageToTarget", {"sessionId": event["sessionId"], "message": message})

    session.on("Target.attachedToTarget", attached)
    session.send("Target.setAutoAttach", {"autoAttach": True, "waitForDebuggerOnStart": True, "flatten": False})


def cell(state: dict, index: int) -> dict:
    return next(c for c in state["cells"] if c["index"] == index)


def printed(cell_state: dict) -> str:
    """What a cell printed (its stream outputs)."""
    return "".join(o["text"] for o in cell_state["outputs"] if o["type"] == "stream")


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
    window.jupyterapp.commands.execute("notebook:run-cell");  // not awaited: the caller polls with its own timeout
}"""

_INSERT_CELL = """(code) => {
    const panel = window.jupyterapp.shell.currentWidget;
    panel.content.activeCellIndex = 0;
    window.jupyterapp.commands.execute("notebook:insert-cell-above").then(() => {
        panel.content.activeCell.model.sharedModel.setSource(code);
    });
}"""
