"""Debugging handlers that run in this process (lesson 14): a failed invocation keeps its exception for a
post-mortem, only the latest one does, and breakpoint() in a handler talks to the caller, not into the function's
log."""

import io
import json
import sys

import boto3
import pytest

from conftest import invoke

AVERAGE = """
import json

def handler(event, context):
    order = json.loads(event["body"])
    total = sum(line["price"] * line["qty"] for line in order["lines"])
    return {"average": total / len(order["lines"])}
"""


def test_a_failed_invocation_through_boto3_keeps_its_exception_for_a_post_mortem(aws, create, capsys):
    create("average", AVERAGE)
    invoke("average", {"body": json.dumps({"lines": []})})
    record = aws.invocations[-1]
    assert record.error_type == "ZeroDivisionError" and isinstance(record.exception, ZeroDivisionError)
    record.post_mortem("p order\np total")
    shown = capsys.readouterr().out
    assert "{'lines': []}" in shown and "\n(Pdb) 0\n" in shown
    assert 'return {"average": total / len(order["lines"])}' in shown  # pdb stops on the failing line


def test_only_the_latest_failure_keeps_its_exception_and_a_success_has_none(aws, create):
    create("average", AVERAGE)
    invoke("average", {"body": json.dumps({"lines": []})})
    invoke("average", {"body": "not json"})
    first, second = aws.invocations[-2:]
    assert first.exception is None and isinstance(second.exception, json.JSONDecodeError)
    invoke("average", {"body": json.dumps({"lines": [{"price": 2, "qty": 3}]})})
    with pytest.raises(ValueError, match="this invocation succeeded"):
        aws.invocations[-1].post_mortem("q")
    with pytest.raises(ValueError, match="only the latest failed invocation keeps it"):
        first.post_mortem("q")


def test_breakpoint_in_a_handler_talks_to_the_caller_not_the_functions_log(aws, create, capsys, monkeypatch):
    create("average", AVERAGE.replace("    total =", "    breakpoint()\n    total ="))
    monkeypatch.setattr(sys, "stdin", io.StringIO("p order['lines']\nc\n"))
    response, payload = invoke("average", {"body": json.dumps({"lines": [{"price": 2, "qty": 3}]})})
    assert payload == {"average": 6.0}
    shown = capsys.readouterr().out
    assert "[{'price': 2, 'qty': 3}]" in shown and "lambda_function.py(7)handler()" in shown
    assert "[{'price': 2, 'qty': 3}]" not in aws.invocations[-1].log


def test_in_a_kernel_breakpoint_in_a_handler_asks_through_the_kernels_input(aws, create, capsys, monkeypatch):
    """A kernel replaces input() with one that asks its front end (the browser's kernel has nothing on sys.stdin):
    pdb asks through it, and its prompts go there, not into the function's log."""
    import builtins

    asked = []
    answers = iter(["p order['lines']", "c"])
    monkeypatch.setattr(builtins, "input", lambda prompt="": asked.append(prompt) or next(answers))
    monkeypatch.setattr(sys, "stdin", io.StringIO(""))  # nothing there, as in a browser tab's kernel
    create("average", AVERAGE.replace("    total =", "    breakpoint()\n    total ="))
    assert invoke("average", {"body": json.dumps({"lines": [{"price": 2, "qty": 3}]})})[1] == {"average": 6.0}
    assert asked == ["(Pdb) ", "(Pdb) "]
    assert "[{'price': 2, 'qty': 3}]" in capsys.readouterr().out
    assert "(Pdb)" not in aws.invocations[-1].log


def test_pythonbreakpoint_0_turns_breakpoints_in_handlers_off(aws, create, monkeypatch):
    create("average", AVERAGE.replace("    total =", "    breakpoint()\n    total ="))
    monkeypatch.setenv("PYTHONBREAKPOINT", "0")
    monkeypatch.setattr(sys, "stdin", io.StringIO(""))  # pdb would fail reading: it must not start
    assert invoke("average", {"body": json.dumps({"lines": [{"price": 1, "qty": 1}]})})[1] == {"average": 1.0}


def test_a_function_keeps_nothing_when_it_returns_an_error_object_itself(aws, create):
    create("handled", "def handler(event, context):\n    return {'statusCode': 500}\n")
    invoke("handled")
    assert aws.invocations[-1].exception is None and boto3.client("lambda").list_functions()["Functions"]


def test_in_a_browser_kernel_pdb_is_ipythons_as_ipykernel_makes_it_on_the_desktop(aws, create, capsys, monkeypatch):
    """The browser's kernel leaves the standard library's pdb (``(Pdb)``); ipykernel replaces it with IPython's
    (``ipdb>``, a coloured listing). lambda_local does what ipykernel does there, so a post mortem prints the same."""
    import pdb

    import IPython
    from IPython.core import debugger

    from lambda_local import browser

    for name in ("Pdb", "set_trace"):
        monkeypatch.setattr(pdb, name, getattr(pdb, name))  # put back after the test
    monkeypatch.setattr(debugger, "Pdb", debugger.Pdb)
    monkeypatch.setattr(IPython, "get_ipython", lambda: None)
    browser.debugger_as_on_the_desktop()  # outside a kernel: nothing to match
    assert pdb.Pdb is not debugger.InterruptiblePdb

    shells = IPython.core.interactiveshell.InteractiveShell
    shell = shells.instance()  # a kernel's shell (IPython's debugger takes its colours from it)
    try:
        monkeypatch.setattr(IPython, "get_ipython", lambda: shell)
        browser.debugger_as_on_the_desktop()
        assert pdb.Pdb is debugger.InterruptiblePdb and pdb.set_trace is debugger.set_trace
        create("average", AVERAGE)
        invoke("average", {"body": json.dumps({"lines": []})})
        aws.invocations[-1].post_mortem("p order")
        assert "ipdb> {'lines': []}" in capsys.readouterr().out
    finally:
        shells.clear_instance()  # no shell left for the tests after this one (get_ipython() would find it)


def test_in_a_jupyter_kernel_breakpoint_in_a_handler_opens_pdb_unless_the_visual_debugger_is_on(
        aws, create, capsys, monkeypatch):
    """A Jupyter kernel's breakpointhook is debugpy's, which does nothing while JupyterLab's visual debugger is off:
    a handler's breakpoint() opens pdb below the cell then, and goes to the visual debugger when it is on."""
    import types

    from lambda_local.runtime import execution

    def debugpy_breakpointhook():
        stopped.append("visual debugger")

    debugpy_breakpointhook.__module__ = "debugpy._vendored.force_pydevd"
    stopped, connected = [], [False]
    fake = types.SimpleNamespace(is_client_connected=lambda: connected[0])
    monkeypatch.setitem(sys.modules, "debugpy", fake)
    monkeypatch.setattr(sys, "breakpointhook", debugpy_breakpointhook)
    monkeypatch.setattr(execution, "_caller_hook", None)
    monkeypatch.setattr(sys, "stdin", io.StringIO("p order['lines']\nc\n"))
    create("average", AVERAGE.replace("    total =", "    breakpoint()\n    total ="))
    event = {"body": json.dumps({"lines": [{"price": 2, "qty": 3}]})}
    assert invoke("average", event)[1] == {"average": 6.0}
    assert "[{'price': 2, 'qty': 3}]" in capsys.readouterr().out and stopped == []
    connected[0] = True
    assert invoke("average", event)[1] == {"average": 6.0}
    assert stopped == ["visual debugger"]
    breakpoint()  # the caller's own: debugpy's hook, as before
    assert stopped == ["visual debugger"] * 2
