"""Handlers see the virtual clock: inside an invocation the wall clock reads the sandbox's time.

On AWS a function's ``time.time()`` and the service's clock are the same clock. Here the service's clock is virtual
(``lambda_local.clock``: it moves only on ``advance()``), so a handler with expiry logic (a TTL, a token lifetime,
"older than an hour") must read it too, or ``advance(hours=2)`` would change nothing for it.

How: time-machine (a maintained library) patches the wall-clock functions at C level — ``time.time``,
``time.time_ns``, ``time.gmtime``/``localtime``/``strftime`` without an argument,
``time.clock_gettime(CLOCK_REALTIME)``, ``datetime.now``/``utcnow``/``today`` and ``date.today`` — so even a
``from time import time`` made before the patch follows it. The patched functions ask a context variable, the
running invocation's *offset* from the machine's clock, and read the machine's clock when there is none, so only
code running for an invocation is moved:

* the caller's threads (the notebook, a server's threads) never carry an offset: they keep the machine's time;
* the handler's thread does, and every thread the function starts inherits it (``execution`` starts them in a copy
  of the starter's context);
* the offset is fixed when the invocation starts: the handler's clock reads the virtual start of the invocation and
  then ticks in real time, so durations measured with ``time.time()`` inside a handler are the real ones;
* a call a handler makes to moto runs on the machine's time (:func:`machine_time`), as every other call moto answers,
  so the timestamps moto keeps (S3's LastModified, ...) come from one clock.

The patch is in only while an invocation runs: the first of the running invocations (any thread) puts our
traveller on time-machine's stack and the patch in, the last one out takes them out again (a count under a lock, so
one thread's invocation never sees another's half-removed patch). Outside invocations ``datetime.now()`` and
``time.time()`` are CPython's own again: a patched ``datetime.now()`` costs ~2-7 µs instead of 0.2, and moto and
botocore call it several times a request. (A thread a function started reads the virtual clock while an invocation
runs, the machine's in between; on AWS it would not run at all in between.)

``time.monotonic()`` and ``time.perf_counter()`` are never moved: timeouts, Duration and REPORT figures rely on them.
A learner's own ``time_machine.travel()`` (or freezegun) active when an invocation starts wins: ours does not go on
the stack, and the handler sees the time that tool gives; a travel started during an invocation goes on top of ours
and wins until it stops (it may outlive the invocation: then time-machine takes the patch out when it stops). Where
time-machine cannot be imported (Pyodide has no build of it), handlers read the machine's time, as before.
"""

from __future__ import annotations

import contextvars
import sys
import threading
import time
import uuid
from contextlib import contextmanager
from typing import Any, Iterator

__all__ = ["enter", "leave", "machine_time", "machine_wall_time", "offset_ns", "patched"]

# Nanoseconds the running invocation's wall clock is ahead of the machine's (None: the machine's time).
_offset: contextvars.ContextVar[int | None] = contextvars.ContextVar("lambda_local_virtual_offset_ns", default=None)
# time-machine's compiled module, whose original_time_ns() reads the machine's clock past every patch. Held as a
# module, never as the function itself: freezegun swaps module attributes that hold time functions at each freeze and
# "restores" them by name afterwards, and a clock kept here as a function came back as the patched time.time_ns, whose
# traveller (ours) asked it again, forever.
_originals: Any = None  # set at the first invocation; used only while _patched
_time_machine: Any = None  # the time_machine module (its traveller stack)
_traveller: Any = None  # ours, made once, on the stack while invocations run
_running = 0  # invocations running with our traveller on the stack (every thread's)
_lock = threading.Lock()  # guards _running and the push and pop of our traveller
_patched = False  # our traveller is on time-machine's stack and its patch is in, answering from _offset
_unavailable = False  # time-machine cannot be imported here: never try again


def offset_ns() -> int | None:
    """How far the calling code's wall clock is ahead of the machine's, in nanoseconds; None outside invocations."""
    return _offset.get()


def patched() -> bool:
    """Whether the wall-clock functions are patched to answer from the invocations' offsets (an invocation runs)."""
    return _patched


def machine_wall_time() -> float:
    """The machine's wall clock in epoch seconds, past the patch (call only when :func:`patched`; raises ValueError
    if the last invocation took the patch out meanwhile)."""
    return _originals.original_time()


def enter(virtual_start: float) -> contextvars.Token | None:
    """From now on, in the calling context, the wall clock reads ``virtual_start`` (epoch seconds), ticking in real
    time. Returns the token :func:`leave` takes; None when the clock could not be patched (see the module's doc)."""
    global _running
    with _lock:
        if not _running and not _push():
            return None
        _running += 1
    return _offset.set(int(virtual_start * 1e9) - _originals.original_time_ns())


def leave(token: contextvars.Token | None) -> None:
    """Give the calling context back the clock it had before :func:`enter`; the last invocation out takes the patch
    out."""
    global _running
    if token is None:
        return
    try:
        _offset.reset(token)
    finally:
        with _lock:
            _running -= 1
            if not _running:
                _pop()


@contextmanager
def machine_time() -> Iterator[None]:
    """Run the block on the machine's wall clock, even inside an invocation (the AWS services' own work)."""
    if _offset.get() is None:  # the common case, outside invocations: nothing to do
        yield
        return
    token = _offset.set(None)
    try:
        yield
    finally:
        _offset.reset(token)


def _push() -> bool:
    """Put our traveller on time-machine's stack and its patch in (what ``time_machine.travel().start()`` does for an
    empty stack, without its per-call parsing and uuid swap: this runs at every first invocation); False while
    another tool travels or time-machine is missing. Called under :data:`_lock`."""
    global _patched
    if _traveller is None and not _load():
        return False
    stack = _time_machine.traveller_stack
    if stack:
        return False  # the learner's own travel is on: it decides the time until it ends
    if "freezegun" in sys.modules and sys.modules["datetime"].datetime.__name__ == "FakeDatetime":
        return False  # freezegun is active (time-machine's own test): its frozen time wins
    _originals.patch()
    if uuid._last_timestamp is not None:  # type: ignore[attr-defined]
        _forget_uuid_timestamps()
    stack.append(_traveller)
    _patched = True
    return True


def _pop() -> None:
    """Take our traveller off the stack and, unless a learner's travel started meanwhile is still on it, the patch
    out (what ``travel.stop()`` does for the last traveller). Called under :data:`_lock`."""
    global _patched
    stack = _time_machine.traveller_stack
    stack.remove(_traveller)  # (usually the top; under a learner's travel that outlives the invocation, the bottom)
    _patched = False
    if uuid._last_timestamp is not None:  # type: ignore[attr-defined]
        _forget_uuid_timestamps()
    if not stack:  # (else the learner's travel holds the patch: time-machine takes it out when that travel stops)
        _originals.unpatch()


def _forget_uuid_timestamps() -> None:
    """uuid1() never goes below the last timestamp it used, which the other clock may have set: forgotten, as
    time-machine does at every start and stop (only once uuid1 was called: almost nothing calls it)."""
    _time_machine._reset_uuid_timestamps()


def _load() -> bool:
    """Import time-machine and make our traveller, once; False where it cannot be imported."""
    global _unavailable, _originals, _time_machine, _traveller
    if _unavailable:
        return False
    try:
        import _time_machine as originals
        import time_machine
    except ImportError:  # a Python without its compiled part (Pyodide, JupyterLite): handlers read the machine's time
        _unavailable = True
        return False
    # The patched functions ask the traveller on top of time-machine's stack for the time: ours answers from the
    # context variable. (A learner's later travel() goes on top of it, and wins until it stops.)
    # uuid1() reads time.time() (so the patch reaches it), as travel().start() leaves it while anything travels:
    # set once, for good (Python's own uuid1 instead of libuuid's, the same kind of uuid), not at every invocation.
    uuid._generate_time_safe = None  # type: ignore[attr-defined]
    uuid._UuidCreate = None  # type: ignore[attr-defined]
    virtual = type("VirtualTraveller", (time_machine.Traveller,), {"time_ns": _virtual_time_ns})
    _originals, _time_machine = originals, time_machine
    _traveller = virtual(destination_timestamp_ns=0, destination_tzname=None, tick=True)
    return True


def _virtual_time_ns(self) -> int:
    """time-machine's question "what time is it?", answered for the code asking."""
    offset = _offset.get()
    try:
        now = _originals.original_time_ns()
    except ValueError:  # a thread outside invocations, and the last invocation took the patch out meanwhile
        now = time.time_ns()  # (the builtin again, unpatched)
    return now if offset is None else now + offset
