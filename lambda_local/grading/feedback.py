"""Checking a lab in the learner's own kernel: feedback, never a grade (the browser edition, docs/lite.md).

A browser tab (Pyodide) cannot start the learner's process the grader runs the learner's code in
(:mod:`lambda_local.grading.worker`). :class:`InProcessLearner` answers the same requests as that process, with the
same code (:class:`lambda_local.grading.child.Learner`), here in this process: the same checks then give the same
verdicts and the same messages. What it cannot give is the grader's guarantees: the learner's code runs next to
the checks and could change them or their results, and nothing can stop it at the lab's time limit. So its results
are labelled as feedback, ``grade()`` (what ``lambda-local grade`` and CI run) never uses it, and nothing it
produces is written anywhere.

>>> from lambda_local.grading import check_lab
>>> check_lab("04", in_process=True)        # doctest: +SKIP
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import tempfile
import time

from .wire import decode, dumps

__all__ = ["FEEDBACK_NOTE", "InProcessLearner", "kernel_is_mocked"]

FEEDBACK_NOTE = ("Feedback, not a grade: these checks ran in your own kernel, where your code could change them. "
                 "Grades that count come from `lambda-local grade` in CI.")


def kernel_is_mocked() -> bool:
    """Whether this kernel has a ``mock_aws()`` started: a check's own would reset the account it works in."""
    from ..sandbox import _current

    return _current() is not None


class InProcessLearner:
    """The learner's side of the checks, run in this process: what :class:`~.worker.LearnerProcess` is for the
    grader, with the same ``request``/``alive``/``lost``/``exited``/``stop``, and no process boundary.

    Requests and answers go through the wire format's encoding (as over the pipe), so a check sees the same
    values either way. Each request runs in a scratch working folder of its own with what it prints discarded, as
    in the learner's process. The lab's time limit is checked between requests; a single request cannot be
    stopped at it (the learner's functions still have their own timeouts).
    """

    def __init__(self, deadline: float, limit: float):
        from .child import Learner

        self.deadline, self.limit = deadline, limit
        self.lost: BaseException | None = None  # a LearnerProcessLost once stopped
        self._learner = Learner()
        self._scratch = tempfile.TemporaryDirectory(prefix="lambda-local-feedback-")

    @property
    def alive(self) -> bool:
        return self.lost is None

    def request(self, op: str, **arguments) -> dict:
        """Answer one request here, as the learner's process would: its ``ok`` data, or ``{"$failure": ...}`` /
        ``{"$error": ...}`` for the caller to raise."""
        from .child import _answer
        from .worker import LearnerProcessLost, unwrap

        if self.lost is not None:
            raise self.lost
        if time.monotonic() >= self.deadline:
            self.lost = LearnerProcessLost(
                f"it was still running when the {self.limit:g} s limit for the lab was reached",
                "Look for an endless loop or a wait that never ends: the checks stop at the lab's time limit.")
            raise self.lost
        message = decode(json.loads(dumps({"op": op, **arguments})))
        sink = io.StringIO()
        with _working_folder(self._scratch.name), contextlib.redirect_stdout(sink), \
                contextlib.redirect_stderr(sink):
            answer = _answer(self._learner, message)
        try:
            data = dumps(answer)
        except (TypeError, ValueError) as error:
            data = dumps({"error": f"the answer could not be sent: {error}"})
        return unwrap(decode(json.loads(data)))

    def exited(self):
        """Why this learner's side is gone (only after :meth:`stop` or the time limit)."""
        from .worker import LearnerProcessLost

        return self.lost or LearnerProcessLost("the checks were stopped", "")

    def stop(self) -> None:
        """End the sandbox a check left started, and remove the scratch folder."""
        from .worker import LearnerProcessLost

        with contextlib.suppress(Exception):  # a sandbox that fails to stop must not hide the results
            self._learner.end()
        self._scratch.cleanup()
        if self.lost is None:
            self.lost = LearnerProcessLost("the checks were stopped", "")


@contextlib.contextmanager
def _working_folder(path: str):
    """Run in ``path``, then back in the notebook's folder: what the learner's code writes to relative paths stays
    out of the lab folder, as in the learner's process."""
    before = os.getcwd()
    os.chdir(path)
    try:
        yield
    finally:
        os.chdir(before)
