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
