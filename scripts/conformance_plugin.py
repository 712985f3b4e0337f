"""pytest plugin for ``scripts/conformance.py``: records each of moto's tests (outcome and markers) and, in the
``lambda_local`` mode, swaps ``moto.mock_aws`` for ``lambda_local.mock_aws(enforce_iam=False)`` before moto's test
modules import it.

Loaded with ``-p conformance_plugin`` (``scripts/`` on the path); the mode and the results file come from the
environment (``CONFORMANCE_MODE``, ``CONFORMANCE_RESULTS``), so the same plugin serves both runs.
"""

from __future__ import annotations

import json
import os
import signal

import pytest

MODE = os.environ.get("CONFORMANCE_MODE", "moto")
RESULTS = os.environ.get("CONFORMANCE_RESULTS")
TEST_TIMEOUT_S = int(os.environ.get("CONFORMANCE_TIMEOUT", "120"))  # moto's waits for logs can hang on failure

if MODE == "lambda_local":
    import functools

    import moto
    import moto.core.decorator

    import lambda_local

    # moto's IAM roles in its tests trust nobody in particular: AWS would refuse them (enforce_iam=True says why);
    # here the question is whether moto's own behaviour survives, so IAM is not enforced.
    swapped = functools.partial(lambda_local.mock_aws, enforce_iam=False)
    moto.mock_aws = moto.core.decorator.mock_aws = swapped

_records: dict[str, dict] = {}


def pytest_collection_modifyitems(items):
    for item in items:
        _records[item.nodeid] = {"markers": sorted({m.name for m in item.iter_markers()}), "outcome": "not run"}


class _TestTimeout(Exception):
    pass


def _alarm(signum, frame):
    raise _TestTimeout(f"test ran longer than {TEST_TIMEOUT_S} s")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item, nextitem):
    previous = signal.signal(signal.SIGALRM, _alarm)
    signal.alarm(TEST_TIMEOUT_S)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def pytest_runtest_logreport(report):
    record = _records.setdefault(report.nodeid, {"markers": [], "outcome": "not run"})
    if report.when == "call" or report.outcome != "passed":
        if record["outcome"] in ("not run", "passed"):  # a teardown error after a passing call is a failure
            record["outcome"] = report.outcome
            if report.outcome == "failed":
                record["error"] = _short(report)


def _short(report) -> str:
    crash = getattr(report.longrepr, "reprcrash", None)
    return (crash.message if crash is not None else str(report.longrepr))[:500]


def pytest_sessionfinish(session):
    if RESULTS:
        with open(RESULTS, "w") as f:
            json.dump(_records, f, indent=1, sort_keys=True)


def pytest_collectreport(report):
    if report.failed:  # a module that cannot even be imported: every test in it counts as failed
        _records[report.nodeid] = {"markers": [], "outcome": "failed", "error": _short(report)}
