"""What the runtime does in a browser tab (Pyodide): the parts that need a process, a thread or a port refuse in
plain words, and timeouts use the stopper that needs neither threads nor signals. The site itself is tested in
tests/test_lite.py (make test-lite)."""

from __future__ import annotations

import pytest

import lambda_local
from lambda_local import browser
from lambda_local.runtime import timeouts


@pytest.fixture
def in_browser(monkeypatch):
    monkeypatch.setattr(browser, "IN_BROWSER", True)
    monkeypatch.setattr(timeouts, "_threads_available", lambda: False)


def test_require_desktop_names_what_needs_the_desktop_edition():
    browser.require_desktop("anything", in_browser=False)  # on the desktop: nothing to say
    with pytest.raises(browser.NeedsDesktop, match="^Serving a port needs the desktop edition"):
        browser.require_desktop("Serving a port", in_browser=True)


def test_serving_the_api_in_a_browser_is_refused_in_plain_words(in_browser):
    from lambda_local.server import LocalEndpoint

    with lambda_local.mock_aws(seed=1) as aws:
        with pytest.raises(browser.NeedsDesktop, match="lambda-local serve"):
            LocalEndpoint(aws, port=0, announce=False)


def test_grading_in_a_process_is_refused_in_plain_words(in_browser):
    from lambda_local.grading.worker import LearnerProcess

    with pytest.raises(browser.NeedsDesktop, match="Grading a lab"):
        LearnerProcess(deadline=0.0, limit=1.0)


def test_a_browser_gets_the_monitoring_stopper_or_a_plain_refusal(in_browser, monkeypatch):
    monkeypatch.setattr(timeouts, "_CHOSEN", None)
    monkeypatch.setattr(timeouts, "_signal_stopper", None)
    if timeouts.MonitoringStopper.usable():
        assert timeouts.stopper_for().name == "monitoring"
    else:
        with pytest.raises(RuntimeError, match="3.12"):
            timeouts.stopper_for()


def test_the_sandbox_starts_with_the_browser_editions_cryptography_stand_in(tmp_path):
    """The site carries a stand-in for `cryptography` (no browser build) that raises on use: importing lambda_local,
    starting a sandbox and invoking a function must not use it (joserfc, imported at module level for the JWT
    authorizers, did, and `make lite` broke)."""
    import subprocess
    import sys
    from pathlib import Path

    replacements = Path(__file__).resolve().parent.parent / "lite" / "replacements"
    script = ("import sys; sys.path.insert(0, sys.argv[1])\n"
              "import cryptography; assert hasattr(cryptography, 'BrowserEditionError'), cryptography.__file__\n"
              "import lambda_local\n"
              "from lambda_local import Function\n"
              "with lambda_local.mock_aws(seed=1):\n"
              "    print(Function(lambda event, context: event['n'] + 1).invoke({'n': 1}).payload)\n")
    done = subprocess.run([sys.executable, "-c", script, str(replacements)], capture_output=True, text=True,
                          timeout=120, cwd=tmp_path)
    assert done.returncode == 0 and done.stdout.strip() == "2", done.stderr[-3000:]


def _fake_pyodide(monkeypatch, tmp_path, can_wait: bool) -> list[str]:
    """Pyodide's pyodide_js and pyodide.ffi as far as import_site_package uses them; loadPackage "installs" a
    module into a folder on sys.path, as the kernel unpacks a wheel into site-packages."""
    import sys
    import types

    loaded: list[str] = []

    def load_package(name):
        loaded.append(name)
        (tmp_path / "site_only_pkg.py").write_text("WHERE = 'loaded'\n")
        return "promise"

    ffi = types.ModuleType("pyodide.ffi")
    ffi.can_run_sync = lambda: can_wait
    ffi.run_sync = lambda promise: None if promise == "promise" else pytest.fail(promise)
    monkeypatch.setitem(sys.modules, "pyodide", types.ModuleType("pyodide"))
    monkeypatch.setitem(sys.modules, "pyodide.ffi", ffi)
    monkeypatch.setitem(sys.modules, "pyodide_js", types.SimpleNamespace(loadPackage=load_package))
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delitem(sys.modules, "site_only_pkg", raising=False)
    return loaded


def test_a_package_loaded_on_import_is_loaded_by_the_check_that_needs_it(in_browser, monkeypatch, tmp_path):
    """cfn-lint is in the site but loaded only when a cell imports it: lab 12's check loads it itself where the
    browser lets Python wait for Pyodide's loadPackage."""
    loaded = _fake_pyodide(monkeypatch, tmp_path, can_wait=True)
    module = browser.import_site_package("site_only_pkg", "site-only-pkg")
    assert (module.WHERE, loaded) == ("loaded", ["site-only-pkg"])


def test_a_package_loaded_on_import_is_named_in_plain_words_where_the_browser_cannot_wait(in_browser, monkeypatch,
                                                                                           tmp_path):
    loaded = _fake_pyodide(monkeypatch, tmp_path, can_wait=False)
    with pytest.raises(browser.NotLoaded, match=r"run a cell with `import site_only_pkg`"):
        browser.import_site_package("site_only_pkg", "site-only-pkg")
    assert loaded == []


def test_a_missing_package_on_the_desktop_is_an_ordinary_import_error():
    with pytest.raises(ModuleNotFoundError) as raised:
        browser.import_site_package("no_such_module_anywhere", "no-such")
    assert type(raised.value) is ModuleNotFoundError


def test_the_regex_stand_in_reads_cfn_lints_patterns_as_regex_does():
    """The site's `regex` (lite/replacements, over `re`) gives the same matches as the real one for what cfn-lint's
    schemas use: Unicode property classes, a "-" after a class escape, a global flag mid-pattern, a repeated "$"."""
    import importlib.util
    from pathlib import Path

    regex = pytest.importorskip("regex")
    spec = importlib.util.spec_from_file_location(
        "regex_lite", Path(__file__).resolve().parent.parent / "lite" / "replacements" / "regex" / "__init__.py")
    lite = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(lite)
    patterns = [r"^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$", r"^[^\p{C}]{1,2048}$", r"^[\P{C}\r\n\t]*$", r"^\P{C}+$",
                r"[\p{Graph}\x20]*", r"^[\p{Print}]*$", r"^(?! )[\p{L}\p{N}\p{Z}-_]*(?<! )$",
                r"^[a-zA-Z0-9\s-_()\[\]]+$", r"^4\s*(?i)vCpu$", r"^([\p{L}\p{Z}\p{N}_.:/=+\-@]*)${1,128}",
                r"^[\w-]*$", r"[\p{L}||\p{M}]+"]
    samples = ["", "abc", "a b", "Hello, World!", "x\ty", "é ü ß", "日本語", "a\u200bb", "a\x00b", "4 VCPU", "a-b",
               "a_b", "-x-", "ᬄf", "a\u0301", "(x)[y]", " lead", "trail ", "a\u3000b", "x|y"]
    for pattern in patterns:
        real, stand_in = regex.compile(pattern), lite.compile(pattern)
        for sample in samples:
            assert bool(stand_in.fullmatch(sample)) == bool(real.fullmatch(sample)), (pattern, sample)
            assert bool(stand_in.search(sample)) == bool(real.search(sample)), (pattern, sample)
    with pytest.raises(lite.error, match="unknown property"):
        lite.compile(r"\p{NoSuchProperty}")


def test_work_after_this_cell_waits_for_the_browsers_event_loop(monkeypatch):
    """In the browser the work is handed to the tab's event loop (setTimeout), which runs it once the cell is done;
    on the desktop it runs at once."""
    import sys
    import types

    done: list[str] = []
    browser.after_this_cell(lambda: done.append("desktop"))
    assert done == ["desktop"]
    timers: list = []
    monkeypatch.setitem(sys.modules, "js", types.SimpleNamespace(setTimeout=lambda f, ms: timers.append((f, ms))))
    ffi = types.ModuleType("pyodide.ffi")
    ffi.create_once_callable = lambda f: f
    monkeypatch.setitem(sys.modules, "pyodide", types.ModuleType("pyodide"))
    monkeypatch.setitem(sys.modules, "pyodide.ffi", ffi)
    browser.after_this_cell(lambda: done.append("browser"))
    assert done == ["desktop"] and [ms for _, ms in timers] == [0]
    timers[0][0]()  # the event loop's turn
    assert done == ["desktop", "browser"]
