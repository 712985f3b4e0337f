"""The browser edition (``make lite``): lesson 01 and the lessons of ``LESSONS`` run in JupyterLite, in headless
Chromium, with nothing fetched from another origin.

The site built by ``scripts/build_lite.py`` is served from loopback and driven through
``benchmarks/lite_browser.py`` (Debian's Chromium under Playwright; every request to another origin is refused and
recorded). Each lesson's outputs are cleared, its cells run one by one, and what each prints is compared with the
outputs committed in the notebook (the desktop edition's), through the same sanitizers as nbval (tests/sanitize.cfg).

Slow (Pyodide starts, then loads moto and botocore; minutes on a loaded machine): not part of ``make test``.
``make test-lite`` builds the site and runs it, with ``LAMBDA_LOCAL_LITE_SITE`` naming the site.
"""

from __future__ import annotations

import ast
import configparser
import json
import os
import re
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))
import lite_browser  # noqa: E402

LESSON = "notebooks/01_handlers.ipynb"
# More lessons run unchanged in the browser (issue 19), each with the number of its cells compared (all but those
# needing the desktop edition: 02's AWS CLI walkthrough, 02's and 07's Node.js functions, 06's plots). Not yet: 08
# and 09 (`%matplotlib inline` in their first cell), 12 (SAM's translator and cfn-lint are not in the site), 13 (the
# X-Ray SDK is not in the site), 14 (IPython's debugger prints differently under Pyodide).
LESSONS = {"notebooks/00_start_here.ipynb": 5, "notebooks/02_first_function.ipynb": 18,
           "notebooks/03_events.ipynb": 28, "notebooks/04_triggers.ipynb": 32, "notebooks/05_iam.ipynb": 25,
           "notebooks/06_cold_starts.ipynb": 29, "notebooks/07_packaging.ipynb": 25,
           "notebooks/10_async_failures.ipynb": 32, "notebooks/11_patterns.ipynb": 31,
           "notebooks/15_capstone.ipynb": 9}
# Cells that need what a browser tab has not: a process (lambda-local serve and the AWS CLI), Node.js or matplotlib
# (no browser build the site can carry: docs/lite.md), and the cells that use a name one of those defines. They are
# run (they must end, not hang) but not compared.
DESKTOP_ONLY = re.compile(r"subprocess\.|lambda_local\.runtime\.nodejs|import matplotlib")

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not os.environ.get("LAMBDA_LOCAL_LITE_SITE"),
                       reason="the browser edition's test runs with `make test-lite` (it builds the site first)"),
]


@pytest.fixture(scope="module")
def site_url():
    site = Path(os.environ["LAMBDA_LOCAL_LITE_SITE"])
    if not (site / "jupyter-lite.json").exists():
        pytest.fail(f"no site in {site}: run `make lite` first")
    with lite_browser.serve(site) as url:
        yield url


@pytest.fixture(scope="module")
def browser():
    if not lite_browser.CHROMIUM.exists():
        pytest.skip(f"no Chromium at {lite_browser.CHROMIUM}: run `bash scripts/install_browser.sh` as root")
    with lite_browser.chromium() as chromium:
        yield chromium


def _sanitizers() -> list[tuple[re.Pattern, str]]:
    config = configparser.ConfigParser(interpolation=None)
    config.read(ROOT / "tests" / "sanitize.cfg")
    return [(re.compile(config[section]["regex"]), config[section]["replace"]) for section in config.sections()]


def _sanitized(text: str, sanitizers) -> str:
    for pattern, replacement in sanitizers:
        text = pattern.sub(replacement, text)
    return text


def _committed_prints(path: str) -> dict[int, str]:
    notebook = json.loads((ROOT / path).read_text())
    return {index: "".join("".join(o["text"]) if isinstance(o["text"], list) else o["text"]
                           for o in cell.get("outputs", []) if o["output_type"] == "stream")
            for index, cell in enumerate(notebook["cells"]) if cell["cell_type"] == "code"}


def _names(source: str) -> tuple[set[str], set[str]]:
    """(names a cell binds, names it reads)."""
    try:
        tree = ast.parse(source)
    except SyntaxError:  # an IPython magic: nothing to learn from it
        return set(), set()
    bound, read = set(), set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name):
            (bound if isinstance(node.ctx, ast.Store) else read).add(node.id)
        elif isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            bound.add(node.name)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            bound.update((alias.asname or alias.name).split(".")[0] for alias in node.names)
    return bound, read


def test_desktop_only_cells_and_the_cells_using_their_names_are_recognised():
    desktop = set()
    for source, expected in [("server = subprocess.Popen([])\ndef aws(c): pass", True), ("aws('x')", True),
                             ("print(1)", False), ("from lambda_local.runtime.nodejs import available", True),
                             ("import matplotlib.pyplot as plt", True), ("fig, ax = plt.subplots()", True)]:
        bound, read = _names(source)
        only = bool(DESKTOP_ONLY.search(source)) or bool(read & desktop)
        if only:
            desktop |= bound
        assert only is expected, source


def test_lesson_01_runs_in_the_browser_as_on_the_desktop(browser, site_url):
    """Every cell of lesson 01 prints what it prints on the desktop (timeouts included: the monitoring stopper);
    the cells that need a process end with an error instead of hanging; nothing comes from another origin."""
    _runs_as_on_the_desktop(browser, site_url, LESSON, at_least=20)


@pytest.mark.parametrize("lesson", sorted(LESSONS))
def test_lesson_runs_in_the_browser_as_on_the_desktop(browser, site_url, lesson):
    """The lessons that need neither a process nor Node.js run unchanged in the browser: every cell prints what it
    prints on the desktop."""
    _runs_as_on_the_desktop(browser, site_url, lesson, at_least=LESSONS[lesson])


def _runs_as_on_the_desktop(browser, site_url, lesson: str, at_least: int) -> None:
    """Run ``lesson``'s cells one by one in a fresh page and kernel; compare what each prints with the committed
    outputs (through the nbval sanitizers). Cells needing the desktop edition (DESKTOP_ONLY, and the cells using
    the names they define) must end, not hang, but are not compared."""
    page = lite_browser.Page(browser, site_url, screenshots=ROOT / "test-artifacts")
    try:
        page.open(lesson)
        state = page.clear_outputs(lesson)
        expected, sanitizers = _committed_prints(lesson), _sanitizers()
        compared, desktop_only, differences, desktop_names = 0, 0, [], set()
        for code in state["cells"]:
            if not code["source"].strip():
                continue
            ran = page.run_cell(lesson, code["index"])
            bound, read = _names(code["source"])
            if DESKTOP_ONLY.search(code["source"]) or read & desktop_names:
                desktop_names |= bound
                desktop_only += 1
                continue
            errors = [o for o in ran["outputs"] if o["type"] == "error"]
            if errors:
                differences.append(f"cell {code['index']}: {errors[0]['ename']}: {errors[0]['evalue']}")
                continue
            got = _sanitized(lite_browser.printed(ran), sanitizers)
            want = _sanitized(expected[code["index"]], sanitizers)
            compared += 1
            if got != want:
                differences.append(f"cell {code['index']} printed:\n{got}\ninstead of:\n{want}")
        assert not page.foreign, f"the page fetched from other origins: {page.foreign}"
        assert compared >= at_least, f"only {compared} cells compared ({desktop_only} need the desktop edition)"
        assert not differences, f"{lesson}:\n" + "\n\n".join(differences)
    finally:
        page.close()
