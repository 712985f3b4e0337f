"""Resource-based policies: whether a service (S3, SNS, EventBridge, API Gateway) or anyone (a Function URL) may
invoke a function, as granted with ``add_permission``, conditions included (``SourceArn``, ``SourceAccount``,
``FunctionUrlAuthType``, ``InvokedViaFunctionUrl``, ``PrincipalOrgID``)."""

from __future__ import annotations

from typing import Any, Mapping

from ..aws.state import get_function_or_none
from ..iam_conditions import conditions_match

__all__ = ["resource_policy_allows", "may_invoke", "service_context", "secrets_manager_may_invoke"]

# add_permission's parameters that moto keeps as they were given, and the condition each one stands for on AWS
# (Lambda's GetPolicy shows them as these conditions).
_PARAMETER_CONDITIONS = {"FunctionUrlAuthType": ("StringEquals", "lambda:FunctionUrlAuthType"),
                         "InvokedViaFunctionUrl": ("Bool", "lambda:InvokedViaFunctionUrl")}


def _condition(statement: dict) -> dict:
    condition = {operator: dict(keys) for operator, keys in (statement.get("Condition") or {}).items()}
    for parameter, (operator, key) in _PARAMETER_CONDITIONS.items():
        if statement.get(parameter) is not None:
            condition.setdefault(operator, {})[key] = str(statement[parameter]).lower() \
                if operator == "Bool" else statement[parameter]
    return condition


def service_context(source_arn: str | None = None, source_account: str | None = None, **keys: Any) -> dict:
    """The condition keys of a request a service makes on a resource's behalf (lower-cased, as conditions look
    them up): ``aws:SourceArn``, ``aws:SourceAccount`` and any service keys given as ``lambda_FunctionUrlAuthType``."""
    context = {key.replace("_", ":", 1).lower(): value for key, value in keys.items()}
    if source_arn:
        context["aws:sourcearn"] = source_arn
    if source_account:
        context["aws:sourceaccount"] = source_account
    return context


def resource_policy_allows(fn, principal: str, action: str, context: Mapping[str, Any] | None = None) -> bool:
    """Whether the function's resource-based policy (add_permission) lets ``principal`` call ``action`` for a
    request with these condition keys."""
    for statement in fn.policy.statements:
        if statement.get("Effect", "Allow") != "Allow":
            continue
        actions = statement.get("Action")
        actions = actions if isinstance(actions, list) else [actions]
        if action not in actions and "lambda:*" not in actions:
            continue
        who = statement.get("Principal")
        names = [who] if isinstance(who, str) else [v for vs in (who or {}).values()
                                                     for v in (vs if isinstance(vs, list) else [vs])]
        if ("*" in names or principal in names) and conditions_match(_condition(statement), context or {}):
            return True
    return False


def may_invoke(backend, function_name: str, qualifier: str | None, principal: str,
               context: Mapping[str, Any] | None = None) -> bool:
    """Whether ``principal`` (a service such as ``sns.amazonaws.com``) may invoke the named function."""
    fn = get_function_or_none(backend, function_name, qualifier)
    if fn is None:  # a deleted function cannot be invoked either
        return False
    return resource_policy_allows(fn, principal, "lambda:InvokeFunction", context)


def secrets_manager_may_invoke(function_arn: str, secret_arn: str, account_id: str) -> bool:
    """Whether Secrets Manager may invoke a rotation function: its resource-based policy must allow
    ``secretsmanager.amazonaws.com`` ``lambda:InvokeFunction`` (RotateSecret checks before it starts). A function
    that does not exist is left to Secrets Manager's own ResourceNotFoundException."""
    from ..aws.state import function_from_arn

    fn, _ = function_from_arn(function_arn)
    if fn is None:
        return True
    return resource_policy_allows(fn, "secretsmanager.amazonaws.com", "lambda:InvokeFunction",
                                  service_context(secret_arn, account_id))
