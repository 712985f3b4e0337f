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
