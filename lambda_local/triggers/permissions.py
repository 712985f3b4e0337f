"""Resource-based policies: whether a service (S3, SNS, EventBridge, API Gateway) or anyone (a Function URL) may
invoke a function, as granted with ``add_permission``."""

from __future__ import annotations

from ..aws.state import get_function_or_none

__all__ = ["resource_policy_allows", "may_invoke"]


def resource_policy_allows(fn, principal: str, action: str) -> bool:
    """Whether the function's resource-based policy (add_permission) lets ``principal`` call ``action``."""
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
        if "*" in names or principal in names:
            return True
    return False


def may_invoke(backend, function_name: str, qualifier: str | None, principal: str) -> bool:
    """Whether ``principal`` (a service such as ``sns.amazonaws.com``) may invoke the named function."""
    fn = get_function_or_none(backend, function_name, qualifier)
    if fn is None:  # a deleted function cannot be invoked either
        return False
    return resource_policy_allows(fn, principal, "lambda:InvokeFunction")
