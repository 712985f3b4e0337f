"""Outside the sandbox: a boto3 call meant for the sandbox must never reach real AWS.

A lesson cell that calls boto3, re-run after ``sandbox.stop()`` (or before ``mock_aws().start()``), would otherwise
go to real AWS with whatever credentials the learner's machine has. Importing :mod:`lambda_local` installs one
botocore ``before-send`` hook, for every session created afterwards: while no ``mock_aws()`` is active, a request
to an AWS host (``*.amazonaws.com``, ``*.api.aws``, ``*.on.aws``, China's ``*.amazonaws.com.cn``) is refused with a
plain message and nothing is sent. (A plain ``moto.mock_aws()`` counts as a sandbox too.) Requests to other
endpoints (``lambda-local serve`` on localhost) go through.
Set ``LAMBDA_LOCAL_ALLOW_REAL_AWS=1`` to use real AWS from a process that imports lambda_local.
"""

from __future__ import annotations

import os
from urllib.parse import urlsplit

from .aws.state import moto_mock_active

__all__ = ["OutsideSandboxError", "install"]

_AWS_SUFFIXES = (".amazonaws.com", ".amazonaws.com.cn", ".api.aws", ".on.aws")


class OutsideSandboxError(RuntimeError):
    """A boto3 call was about to leave for real AWS while no sandbox was running."""


def _sandbox_active() -> bool:
    """A lambda_local sandbox, or any moto mock (tests written for plain moto), answers boto3 now."""
    return moto_mock_active()


def refuse_outside_sandbox(request, **_) -> None:
    """botocore ``before-send`` hook: raise :class:`OutsideSandboxError` for a request to AWS while no
    ``mock_aws()`` is active (and ``LAMBDA_LOCAL_ALLOW_REAL_AWS`` is not set); otherwise let it through."""
    if _sandbox_active() or os.environ.get("LAMBDA_LOCAL_ALLOW_REAL_AWS") == "1":
        return None
    host = (urlsplit(request.url).hostname or "").lower()
    if host.endswith(_AWS_SUFFIXES) or host in ("amazonaws.com", "api.aws"):
        raise OutsideSandboxError(
            f"The sandbox is not running, so this call to {host} was stopped before it left this machine: it would "
            "have gone to real AWS with your own credentials. Run the lesson's first cell "
            "(sandbox = lambda_local.mock_aws(...).start()) and then this cell again.")
    return None


def install() -> None:
    """Add the hook to botocore's built-in handlers (once): every session created from now on has it."""
    from botocore.handlers import BUILTIN_HANDLERS

    if not any(handler is refuse_outside_sandbox for _, handler, *rest in BUILTIN_HANDLERS):
        BUILTIN_HANDLERS.append(("before-send", refuse_outside_sandbox))
