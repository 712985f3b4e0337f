"""Provisioned concurrency: the API moto lacks (Put/Get/Delete/ListProvisionedConcurrencyConfigs) and its effect,
plus GetAccountSettings, also missing;
environments initialised ahead of time on a published version or alias, which never cold-start and never expire.

Differs from AWS: the configuration is READY at once (AWS takes a few minutes, IN_PROGRESS first), and invocations
on provisioned environments are billed at the on-demand rate in ``cost_usd`` (``billing.monthly_bill`` prices
provisioned concurrency properly).
"""

from __future__ import annotations

import json
from datetime import datetime, timezone

__all__ = ["install_api"]

_PATH = r"{0}/(?P<api_version>[^/]+)/functions/(?P<function_name>[\w_:%-]+)/provisioned-concurrency/?$"


def _error(code: str, message: str, status: int = 400):
    headers = {"status": status, "x-amzn-ErrorType": code, "content-type": "application/json"}
    return status, headers, json.dumps({"__type": code, "Type": "User", "message": message})


def _configs(fn) -> dict:
    if not hasattr(fn, "lambda_local_provisioned"):
        fn.lambda_local_provisioned = {}
    return fn.lambda_local_provisioned


def _response(self):
    """Put/Get/Delete ProvisionedConcurrencyConfig and List...Configs, for LambdaResponse."""
    from .sandbox import _current

    sandbox = _current()
    from urllib.parse import unquote

    function_name = unquote(self.path.rstrip("/").rsplit("/", 2)[-2])
    qualifier = self.querystring.get("Qualifier", [None])[0]
    list_all = self.querystring.get("List", [None])[0] == "ALL"
    try:
        base = self.backend.get_function(function_name)
    except Exception:  # noqa: BLE001 - moto's not-found error carries AWS's message
        return _error("ResourceNotFoundException", f"Function not found: {function_name}", 404)
    configs = _configs(base)
    if self.method == "GET" and list_all:
        items = [{"FunctionArn": f"{base.function_arn}:{q}", **c} for q, c in configs.items()]
        return 200, {"status": 200}, json.dumps({"ProvisionedConcurrencyConfigs": items})
    if not qualifier or qualifier == "$LATEST":
        return _error("InvalidParameterValueException",
                      "Provisioned Concurrency Configs cannot be applied to unpublished function versions.")
    try:
        target = self.backend.get_function(function_name, qualifier)
    except Exception:  # noqa: BLE001
        return _error("ResourceNotFoundException", f"Function not found: {base.function_arn}:{qualifier}", 404)
    if self.method == "GET":
        if qualifier not in configs:
            return _error("ProvisionedConcurrencyConfigNotFoundException",
                          "No Provisioned Concurrency Config found for this function", 404)
        return 200, {"status": 200}, json.dumps(configs[qualifier])
    if self.method == "DELETE":
        configs.pop(qualifier, None)
        if sandbox is not None:
            sandbox.provision(target, 0)
        return 204, {"status": 204}, ""
    count = int(json.loads(self.body or "{}").get("ProvisionedConcurrentExecutions", 0))
    if count < 1:
        return _error("InvalidParameterValueException", "ProvisionedConcurrentExecutions must be at least 1.")
    reserved = base.reserved_concurrency
    if reserved not in (None, "") and count > int(reserved):
        return _error("InvalidParameterValueException",
                      f"Requested Provisioned Concurrency should not be greater than the reservedConcurrentExecution "
                      f"for function. Requested: {count}, Reserved: {reserved}")
    now = datetime.fromtimestamp(sandbox.clock.time() if sandbox else datetime.now().timestamp(), timezone.utc)
    config = {"RequestedProvisionedConcurrentExecutions": count, "AvailableProvisionedConcurrentExecutions": count,
              "AllocatedProvisionedConcurrentExecutions": count, "Status": "READY",
              "LastModified": now.strftime("%Y-%m-%dT%H:%M:%S+0000")}
    configs[qualifier] = config
    if sandbox is not None:
        sandbox.provision(target, count)
    body = {k: v for k, v in config.items() if k != "AvailableProvisionedConcurrentExecutions"}
    return 202, {"status": 202}, json.dumps(body)


_SETTINGS_PATH = r"{0}/(?P<api_version>[^/]+)/account-settings/?$"


def _account_settings(self):
    """GetAccountSettings: the account's concurrency limit (the sandbox's) and what its functions use."""
    from .sandbox import _current

    sandbox = _current()
    limit = sandbox.service.concurrency_limit if sandbox else 1000
    functions = list(self.backend.list_functions())
    reserved = sum(int(f.reserved_concurrency) for f in functions if f.reserved_concurrency not in (None, ""))
    body = {"AccountLimit": {"TotalCodeSize": 80530636800, "CodeSizeUnzipped": 262144000, "CodeSizeZipped": 52428800,
                             "ConcurrentExecutions": limit, "UnreservedConcurrentExecutions": limit - reserved},
            "AccountUsage": {"TotalCodeSize": sum(int(f.code_size or 0) for f in functions),
                             "FunctionCount": len(functions)}}
    return 200, {"status": 200}, json.dumps(body)


def install_api() -> None:
    """Route the provisioned-concurrency and account-settings URLs (moto answers them 'Not yet implemented')."""
    from moto.awslambda import urls
    from moto.awslambda.responses import LambdaResponse

    for path in (_PATH, _SETTINGS_PATH):
        if path not in urls.url_paths:
            urls.url_paths[path] = LambdaResponse.dispatch
    LambdaResponse.get_account_settings = _account_settings
    for action in ("put_provisioned_concurrency_config", "get_provisioned_concurrency_config",
                   "delete_provisioned_concurrency_config", "list_provisioned_concurrency_configs"):
        setattr(LambdaResponse, action, _response)
