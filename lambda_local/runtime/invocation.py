"""The record of one invocation: what AWS reports about it (REPORT line, metrics, bill) plus the payload and log."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

__all__ = ["Invocation"]


@dataclass(slots=True)
class Invocation:
    """One invocation, as the REPORT line, the response and the bill describe it.

    ``payload`` is the decoded response (the error object for a function error); ``raw_payload`` the bytes AWS
    would send; ``log`` the invocation's log text from ``START`` to ``REPORT`` (with init output before it on a cold
    start), as ``LogType=Tail`` returns it.
    """

    function_name: str
    request_id: str
    cold_start: bool
    init_duration_ms: float | None
    duration_ms: float
    billed_duration_ms: int
    memory_size_mb: int
    max_memory_used_mb: int
    error_type: str | None
    cost_usd: float
    raw_payload: bytes = b""
    log: str = ""
    function_version: str = "$LATEST"
    error_message: str | None = None
    function_error: str | None = None  # "Unhandled" when the payload is an error object
    invocation_type: str = "RequestResponse"
    status_code: int = 200
    architecture: str = "x86_64"
    environment_id: str = ""
    log_stream_name: str = ""
    timestamp: float = 0.0  # virtual epoch seconds at START
    timed_out: bool = False
    extra: dict = field(default_factory=dict)
    # What a Python handler raised (it ran in this process): the exception with its traceback and every frame's
    # variables, for post_mortem(). Kept on the latest failed invocation only; None on AWS's side of things.
    exception: BaseException | None = field(default=None, repr=False, compare=False)

    def post_mortem(self, commands: str | None = None) -> None:
        """Open Python's debugger (pdb) in the frame where the handler failed, as it was when it raised.

        Without ``commands`` pdb reads what you type (``p name``, ``up``, ``ll``, ``q`` to leave). With
        ``commands`` (lines of pdb commands) it runs them and prints what pdb answers, without waiting for input.

        >>> record = aws.invocations[-1]                        # doctest: +SKIP
        >>> record.post_mortem("p order\\nq")                    # doctest: +SKIP
        """
        import io
        import pdb

        if self.exception is None:
            kept = "only the latest failed invocation keeps it" if self.error_type else "this invocation succeeded"
            raise ValueError(f"no exception to inspect: {kept}")
        traceback = self.exception.__traceback__
        if commands is None:
            pdb.post_mortem(traceback)
            return
        script = "\n".join(line.strip() for line in commands.strip().splitlines())
        answers = io.StringIO()
        debugger = pdb.Pdb(stdin=io.StringIO(script + "\nq\n"), stdout=answers, nosigint=True)
        debugger.use_rawinput = False
        debugger.reset()
        debugger.interaction(None, traceback)
        print(answers.getvalue().rstrip())

    @property
    def payload(self) -> Any:
        """The response decoded from JSON (or the raw bytes if it is not JSON)."""
        if not self.raw_payload:
            return None
        try:
            return json.loads(self.raw_payload)
        except ValueError:
            return self.raw_payload

    @property
    def succeeded(self) -> bool:
        return self.error_type is None

    @property
    def report(self) -> str:
        """The REPORT line of this invocation (its ``platform.report`` record with the JSON log format)."""
        for line in reversed(self.log.splitlines()):
            if line.startswith("REPORT ") or (line.startswith("{") and '"type": "platform.report"' in line):
                return line
        return ""

    def __repr__(self) -> str:
        state = "cold" if self.cold_start else "warm"
        outcome = self.error_type or "ok"
        return (f"<Invocation {self.function_name} {self.request_id} {state} {outcome} "
                f"{self.duration_ms:.2f} ms billed {self.billed_duration_ms} ms>")
