"""The sandbox's AWS as a runtime process reaches it: moto behind the local endpoint, on a loopback port of its own,
started the first time a process needs it. The process sends every request for an AWS host there (``js/rapid-client.cjs``
redirects them, the Host header kept, so moto routes them as it routes real AWS hostnames); its SDK needs no
configuration and sees the environment variables it would see on AWS. It signs with the execution role's
credentials, which the endpoint checks against the role (see ``lambda_local.iam_http``).

Its own port and thread, not the learner's ``lambda-local serve`` endpoint: that one is busy waiting for the very
invocation whose SDK calls come in.
"""

from __future__ import annotations

__all__ = ["endpoint_environment"]


def endpoint_environment(service) -> dict[str, str]:
    """Where a process of the sandbox running ``service`` reaches AWS (empty outside ``mock_aws()``)."""
    from ...sandbox import _current
    from ...server import LocalEndpoint

    sandbox = _current()
    if sandbox is None or sandbox.service is not service:
        return {}
    endpoint = getattr(sandbox, "process_endpoint", None)
    if endpoint is None:
        endpoint = sandbox.process_endpoint = LocalEndpoint(sandbox, port=0, announce=False).start()
        sandbox.on_close.append(endpoint.stop)
    return {"_LAMBDA_LOCAL_AWS_ENDPOINT": endpoint.url}
