"""Handlers see the virtual clock: inside an invocation the wall clock reads the sandbox's time.

On AWS a function's ``time.time()`` and the service's clock are the same clock. Here the service's clock is virtual
(``lambda_local.clock``: it moves only on ``advance()``), so a handler with expiry logic (a TTL, a token lifetime,
"older than an hour") must read it too, or ``advance(hours=2)`` would change nothing for it.

How: time-machine (a maintained library) patches the wall-clock functions at C level — ``time.time``,
``time.time_ns``, ``time.gmtime``/``localtime``/``strftime`` without an argument,
``time.clock_gettime(CLOCK_REALTIME)``, ``datetime.now``/``utcnow``/``today`` and ``date.today`` — so even a
``from time import time`` made before the patch follows it. One patch for the whole process, put in at the first
invocation and left there. It asks a context variable, the running invocation's *offset* from the machine's clock,
and reads the machine's clock when there is none, so only code running for an invocation is moved:

* the caller's threads (the notebook, a server's threads) never carry an offset: they keep the machine's time;
* the handler's thread does, and every thread the function starts inherits it (``execution`` starts them in a copy
  of the starter's context);
* the offset is fixed when the invocation starts: the handler's clock reads the virtual start of the invocation and
  then ticks in real time, so durations measured with ``time.time()`` inside a handler are the real ones;
* a call a handler makes to moto runs on the machine's time (:func:`machine_time`), as every other call moto answers,
  so the timestamps moto keeps (S3's LastModified, ...) come from one clock.

``time.monotonic()`` and ``time.perf_counter()`` are never moved: timeouts, Duration and REPORT figures rely on them.
A learner's own ``time_machine.travel()`` (or freezegun) active when the first function runs wins: the patch is not
put in until neither is active, and until then handlers see the time those tools give. Where time-machine cannot
be imported (Pyodide has no build of it), handlers read the machine's time, as before.
"""

from __future__ import annotations

import contextvars
from contextlib import contextmanager
from typing import Any, Iterator

__all__ = ["enter", "leave", "machine_time", "offset_ns"]

# Nanoseconds the running invocation's wall clock is ahead of the machine's (None: the machine's time).
_offset: contextvars.ContextVar[int | None] = contextvars.ContextVar("lambda_local_virtual_offset_ns", default=None)
# time-machine's compiled module, whose original_time_ns() reads the machine's clock past every patch. Held as a
# module, never as the function itself: freezegun swaps module attributes that hold time functions at each freeze and
# "restores" them by name afterwards, and a clock kept here as a function came back as the patched time.time_ns, whose
# traveller (ours) asked it again, forever.
_originals: Any = None
_patched = False  # time-machine's patch is in, answering from _offset
_unavailable = False  # time-machine cannot be imported here: never try again


def offset_ns() -> int | None:
    """How far the calling code's wall clock is ahead of the machine's, in nanoseconds; None outside invocations."""
    return _offset.get()


def enter(virtual_start: float) -> contextvars.Token | None:
    """From now on, in the calling context, the wall clock reads ``virtual_start`` (epoch seconds), ticking in real
    time. Returns the token :func:`leave` takes; None when the clock could not be patched (see the module's doc)."""
    if not (_patched or _install()):
        return None
    return _offset.set(int(virtual_start * 1e9) - _originals.original_time_ns())


def leave(token: contextvars.Token | None) -> None:
    """Give the calling context back the clock it had before :func:`enter`."""
    if token is not None:
        _offset.reset(token)


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


def _install() -> bool:
    """Put time-machine's patch in, its clock answering from :data:`_offset`; False while another tool travels."""
    global _patched, _unavailable, _originals
    if _unavailable:
        return False
    try:
        import time_machine
    except ImportError:  # a Python without its compiled part (Pyodide, JupyterLite): handlers read the machine's time
        _unavailable = True
        return False

    if time_machine.escape_hatch.is_travelling():
        return False  # the learner's own travel is on top: it decides the time until it ends
    try:
        traveller = time_machine.travel(0, tick=True).start()
    except RuntimeError:  # freezegun is active (time-machine says so)
        return False
    import _time_machine

    _originals = _time_machine
    # The patched functions ask the traveller on top of time-machine's stack for the time: ours answers from the
    # context variable. (A learner's later travel() goes on top of it, and wins until it stops.)
    traveller.__class__ = type("VirtualTraveller", (type(traveller),), {"time_ns": _virtual_time_ns})
    _patched = True
    return True


def _virtual_time_ns(self) -> int:
    """time-machine's question "what time is it?", answered for the code asking."""
    offset = _offset.get()
    now = _originals.original_time_ns()
    return now if offset is None else now + offset
