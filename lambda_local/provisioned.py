"""Provisioned concurrency: the API moto lacks (Put/Get/Delete/ListProvisionedConcurrencyConfigs) and its effect,
plus GetAccountSettings, also missing (the patch table routes their URLs here);
environments initialised ahead of time on a published version or alias, which never cold-start and never expire.

Differs from AWS: the configuration is READY at once (AWS takes a few minutes, IN_PROGRESS first), and invocations
on provisioned environments are billed at the on-demand rate in ``cost_usd`` (``billing.monthly_bill`` prices
provisioned concurrency properly).
"""

from __future__ import annotations

from datetime import datetime, timezone

from . import quotas
from .aws import state
from .aws.state import get_function_or_none
from .runtime.errors import ServiceError

__all__ = ["provisioned_concurrency", "account_settings"]


def _error(code: str, message: str, status: int = 400) -> ServiceError:
    return ServiceError(code, message, status)


def _configs(fn) -> dict:
    if not hasattr(fn, "lambda_local_provisioned"):
        fn.lambda_local_provisioned = {}
    return fn.lambda_local_provisioned


def provisioned_concurrency(sandbox, backend, method: str, function_name: str, qualifier: str | None,
                            list_all: bool, body: dict) -> tuple[int, dict | None]:
    """Put/Get/Delete ProvisionedConcurrencyConfig and List...Configs: ``(status, response body)``; refusals raise
    :class:`ServiceError` with AWS's code and message."""
    base = get_function_or_none(backend, function_name)
    if base is None:
        raise _error("ResourceNotFoundException", f"Function not found: {function_name}", 404)
    configs = _configs(base)
    if method == "GET" and list_all:
        items = [{"FunctionArn": f"{base.function_arn}:{q}", **c} for q, c in configs.items()]
        return 200, {"ProvisionedConcurrencyConfigs": items}
    if not qualifier or qualifier == "$LATEST":
        raise _error("InvalidParameterValueException",
                     "Provisioned Concurrency Configs cannot be applied to unpublished function versions.")
    target = get_function_or_none(backend, function_name, qualifier)
    if target is None:
        raise _error("ResourceNotFoundException", f"Function not found: {base.function_arn}:{qualifier}", 404)
    if method == "GET":
        if qualifier not in configs:
            raise _error("ProvisionedConcurrencyConfigNotFoundException",
                         "No Provisioned Concurrency Config found for this function", 404)
        return 200, configs[qualifier]
    if method == "DELETE":
        configs.pop(qualifier, None)
        if sandbox is not None:
            sandbox.provision(target, 0)
        return 204, None
    count = int(body.get("ProvisionedConcurrentExecutions", 0))
    if count < 1:
        raise _error("InvalidParameterValueException", "ProvisionedConcurrentExecutions must be at least 1.")
    reserved = base.reserved_concurrency
    if reserved not in (None, "") and count > int(reserved):
        raise _error("InvalidParameterValueException",
                     f"Requested Provisioned Concurrency should not be greater than the reservedConcurrentExecution "
                     f"for function. Requested: {count}, Reserved: {reserved}")
    now = datetime.fromtimestamp(sandbox.clock.time() if sandbox else datetime.now().timestamp(), timezone.utc)
    config = {"RequestedProvisionedConcurrentExecutions": count, "AvailableProvisionedConcurrentExecutions": count,
              "AllocatedProvisionedConcurrentExecutions": count, "Status": "READY",
              "LastModified": now.strftime("%Y-%m-%dT%H:%M:%S+0000")}
    configs[qualifier] = config
    if sandbox is not None:
        sandbox.provision(target, count)
    return 202, {k: v for k, v in config.items() if k != "AvailableProvisionedConcurrentExecutions"}


def account_settings(sandbox, backend) -> dict:
    """GetAccountSettings: the account's concurrency limit (the sandbox's) and what its functions use."""
    limit = sandbox.service.concurrency_limit if sandbox else quotas.ACCOUNT_CONCURRENCY
    functions = list(backend.list_functions())
    reserved = sum(int(f.reserved_concurrency) for f in functions if f.reserved_concurrency not in (None, ""))
    return {"AccountLimit": {"TotalCodeSize": 80530636800, "CodeSizeUnzipped": quotas.UNZIPPED_PACKAGE_BYTES,
                             "CodeSizeZipped": quotas.ZIPPED_PACKAGE_BYTES, "ConcurrentExecutions": limit,
                             "UnreservedConcurrentExecutions": limit - reserved},
            "AccountUsage": {"TotalCodeSize": state.total_code_size(backend),
                             "FunctionCount": len(functions)}}
