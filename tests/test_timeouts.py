"""Timeouts that always hold: whatever a handler does at its deadline, the invocation ends as AWS ends it — "Task
timed out after N.NN seconds", billed to its timeout, the environment reset (INIT again next time; /tmp kept), the
process alive — and its deadline never fires later in anybody else's code."""

import sys
import threading
import time

import pytest

from lambda_local import Function
from lambda_local.runtime import timeouts


# Each hostile body runs in a handler module that also counts its INITs and writes into /tmp first.
HOSTILE = {
    "loop": "while True:\n        pass",
    "sleep": "time.sleep(3600)",
    # A C call that never looks at signals: a few seconds (p lanes of 16 MB scrypt, one after another).
    "scrypt": "hashlib.scrypt(b'password', salt=b'salt', n=2 ** 14, r=8, p=32, maxmem=64 * 1024 * 1024)",
    "regex": "re.match(r'(a+)+$', 'a' * 40 + 'b')",  # catastrophic backtracking, in C
    "recv": "left, right = socket.socketpair()\n    left.recv(1)",  # nobody ever writes
    "catch_everything": (
        "deadline = time.monotonic() + 3\n"
        "    while time.monotonic() < deadline:\n"
        "        try:\n"
        "            time.sleep(0.01)\n"
        "        except BaseException:\n"
        "            pass\n"
        "    return 'survived'"),
    "override_signal": (
        "signal.signal(signal.SIGALRM, signal.SIG_IGN)\n"
        "    signal.setitimer(signal.ITIMER_REAL, 0)\n"
        "    signal.alarm(0)\n"
        "    time.sleep(3)\n"
        "    return 'ignored the alarm'"),
    "threads_left_behind": (
        "def chatter():\n"
        "        while True:\n"
        "            print('from a thread left behind')\n"
        "            time.sleep(0.05)\n"
        "    for _ in range(3):\n"
        "        threading.Thread(target=chatter, daemon=True).start()\n"
        "    time.sleep(3)"),
}

MODULE = """\
import hashlib, os, re, signal, socket, tempfile, threading, time
INITS = 1

def handler(event, context):
    if event.get("probe"):
        return {{"inits": INITS, "tmp": sorted(os.listdir(tempfile.gettempdir()))}}
    open(os.path.join(tempfile.gettempdir(), "kept.txt"), "w").write("written before the timeout")
    {body}
"""


@pytest.mark.parametrize("name", list(HOSTILE))
def test_every_handler_ends_at_its_timeout_as_aws_ends_it(name, tmp_path):
    (tmp_path / "app.py").write_text(MODULE.format(body=HOSTILE[name]))
    fn = Function("app.handler", code=tmp_path, timeout=1)
    first = fn.invoke({"probe": True})
    result = fn.invoke({})

    assert result.error_type == "Sandbox.Timedout" and result.timed_out, result.log
    assert result.payload["errorMessage"] == f"RequestId: {result.request_id} Error: Task timed out after 1.00 seconds"
    assert f"{result.request_id} Task timed out after 1.00 seconds" in result.log
    assert result.duration_ms == 1000.0 and result.billed_duration_ms == 1000  # billing stops at the timeout
    assert "Status: timeout" in result.report
    # The environment is reset: the runtime restarts (INIT again, a cold start), in the same sandbox, /tmp kept.
    after = fn.invoke({"probe": True})
    assert after.cold_start and after.payload == {"inits": 1, "tmp": ["kept.txt"]}
    assert after.environment_id == first.environment_id
    time.sleep(0.15)
    assert "thread left behind" not in fn.invoke({"probe": True}).log  # the old runtime's threads are cut off
    assert sum(range(5)) == 10  # the process lives


def test_a_deadline_never_fires_after_its_invocation_ended():
    # Many short invocations whose timer was armed: none may raise later, in the caller's own code.
    fn = Function(lambda e, c: sum(range(1000)), timeout=1)
    for _ in range(200):
        fn.invoke({})
    fired = []
    deadline = time.monotonic() + 1.3
    try:
        while time.monotonic() < deadline:
            time.sleep(0.01)
    except BaseException as exc:  # noqa: BLE001
        fired.append(exc)
    assert fired == []


def test_the_timer_ticks_past_back_to_back_runs_and_stops_itself_and_deadlines_still_hold():
    """Runs with a watchdog leave the timer ticking (the next run arms nothing); the tick after the last run stops
    it, a deadline right after a run still fires, and the caller's own SIGALRM never sees a tick of ours."""
    import signal

    stopper = timeouts.stopper_for("signal")
    for _ in range(50):
        assert stopper.run(lambda: 42, 1, lambda: None).value == 42
    assert signal.getitimer(signal.ITIMER_REAL) != (0.0, 0.0)  # lingering
    time.sleep(0.05)
    assert signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)  # its own tick stopped it
    stopper.run(lambda: 42, 1, lambda: None)
    assert stopper.run(lambda: time.sleep(5), 0.2, lambda: None).timed_out
    stopper.run(lambda: 42, 1, lambda: None)
    seen = []
    previous = signal.signal(signal.SIGALRM, lambda *args: seen.append(args))
    try:
        time.sleep(0.05)
        assert seen == []  # taking SIGALRM stopped our tick
        signal.setitimer(signal.ITIMER_REAL, 0.01)
        time.sleep(0.05)
        assert len(seen) == 1  # the caller's own alarm, once
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
    assert stopper.run(lambda: time.sleep(5), 0.2, lambda: None).timed_out  # ours is back in place


def test_a_timed_out_invocation_in_a_thread_is_abandoned_and_cannot_write_later():
    released = threading.Event()

    def stuck(e, c):
        released.wait(10)
        print("written after the timeout")
        return "late"

    fn = Function(stuck, timeout=1)
    results = []
    caller = threading.Thread(target=lambda: results.append(fn.invoke({})))
    caller.start()
    caller.join(5)
    assert results and results[0].error_type == "Sandbox.Timedout"
    released.set()
    time.sleep(0.2)
    assert "written after the timeout" not in results[0].log
    assert fn.invoke({}).cold_start


def test_stoppers_are_selectable_and_share_one_contract():
    for name in ("signal", "thread"):
        stopper = timeouts.stopper_for(name)
        assert stopper.run(lambda: 42, 1).value == 42
        assert isinstance(stopper.run(lambda: 1 / 0, 1).error, ZeroDivisionError)
        outcome = stopper.run(lambda: time.sleep(5), 0.2)
        assert outcome.timed_out and outcome.value is None


@pytest.mark.skipif(sys.version_info < (3, 12), reason="sys.monitoring is Python 3.12+")
def test_the_monitoring_stopper_needs_no_threads_or_signals():
    stopper = timeouts.stopper_for("monitoring")
    assert stopper.run(lambda: 42, 1).value == 42

    def spin():
        while True:
            pass

    assert stopper.run(spin, 0.2).timed_out

    def _loop(event, context):
        spin()

    fn = Function(_loop, timeout=1)
    fn._service.stopper = "monitoring"
    try:
        assert fn.invoke({}).error_type == "Sandbox.Timedout"
    finally:
        fn._service.stopper = None


@pytest.mark.skipif(sys.version_info < (3, 12), reason="sys.monitoring is Python 3.12+")
def test_the_monitoring_stopper_cuts_time_sleep_at_the_deadline_and_restores_it():
    stopper = timeouts.stopper_for("monitoring")
    real_sleep = time.sleep
    started = time.monotonic()
    assert stopper.run(lambda: time.sleep(5), 0.2).timed_out
    assert time.monotonic() - started < 2  # it slept to its deadline, not its 5 seconds
    assert time.sleep is real_sleep
    assert stopper.run(lambda: (time.sleep(0.01), "slept")[1], 1).value == "slept"


@pytest.mark.skipif(sys.version_info < (3, 12), reason="sys.monitoring is Python 3.12+")
def test_monitoring_stopper_runs_nest_and_the_outermost_expired_deadline_wins():
    stopper = timeouts.stopper_for("monitoring")

    def spin():
        while True:
            pass

    inner_first = stopper.run(lambda: stopper.run(spin, 0.1).timed_out, 5)
    assert inner_first.value is True and not inner_first.timed_out
    outer_first = stopper.run(lambda: stopper.run(spin, 5), 0.2)
    assert outer_first.timed_out
    assert sys.monitoring.get_tool(timeouts.MonitoringStopper._TOOL) is None  # nothing left armed


def test_the_monitoring_stopper_is_refused_plainly_where_it_cannot_run():
    if sys.version_info >= (3, 12):
        pytest.skip("available here")
    with pytest.raises(RuntimeError, match="3.12"):
        timeouts.stopper_for("monitoring")


def test_a_sleep_under_the_monitoring_stopper_ends_a_function_past_its_memory_first():
    """Where there are no threads (the browser), the memory watchdog is looked at on the interpreter's events and
    before every sleep: a handler that fills its memory in a few big allocations and then sleeps is ended with
    Runtime.OutOfMemory, as the platform would have ended it, instead of sleeping on and returning."""
    slept = []
    over = timeouts._Deadline(time.monotonic() + 60, lambda: timeouts.OutOfMemory())
    sleep = timeouts._make_sleep(slept.append, [over])
    with pytest.raises(timeouts.OutOfMemory):
        sleep(0.05)
    assert slept == []
    within = timeouts._Deadline(time.monotonic() + 60, lambda: None)
    timeouts._make_sleep(slept.append, [within])(0.05)
    assert slept == [0.05]
