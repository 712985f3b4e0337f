"""CloudFormation custom resources backed by Lambda, as CloudFormation runs them.

CloudFormation invokes the function asynchronously (Lambda's queue: retries on error) once the stack operation is
under way, with a request that names a ``ResponseURL``; the function answers by PUTting a JSON response there
(``cfnresponse.send``). ``SUCCESS`` completes the resource (its ``Data`` readable with ``Fn::GetAtt``, its
``PhysicalResourceId`` kept); ``FAILED``, or no answer within the resource's ``ServiceTimeout`` (default 3,600 s, on
the virtual clock), fails the resource and rolls the stack back, with the reason in the stack's events.

AWS's ResponseURL is a pre-signed S3 URL; here it is the sandbox's loopback endpoint, so the PUT a function makes
with urllib3 reaches this sandbox's CloudFormation.
"""

from __future__ import annotations

import contextlib
import json
import threading
import uuid
from typing import Any, Callable
from urllib.parse import quote

from ..aws import state
from .host import TriggerHost

__all__ = ["answer", "create_custom_resource", "fail_resource", "stack_operation"]

DEFAULT_SERVICE_TIMEOUT_S = 3600  # AWS::CloudFormation::CustomResource ServiceTimeout: 1 to 3600, default 3600

_operation = threading.local()  # the invocations a stack operation in progress will make once it has started


@contextlib.contextmanager
def stack_operation(stack):
    """Bracket creating a stack's resources: custom resources' functions are invoked when it ends, and only if the
    stack is still being created (a stack that rolled back has nothing left to ask them)."""
    outer = getattr(_operation, "pending", None)
    _operation.pending = pending = [] if outer is None else outer
    try:
        yield
    finally:
        if outer is None:
            _operation.pending = None
            for send in pending:
                if stack.status == "CREATE_IN_PROGRESS":
                    send()


def create_custom_resource(sandbox: TriggerHost, resource_name: str, cloudformation_json: dict, account_id: str,
                           region_name: str, logical_id: str, stack_id: str, resource_type: str):
    """The custom resource (moto's CustomModel, not yet created) whose function CloudFormation asks to create it."""
    properties = cloudformation_json["Properties"]
    token = properties["ServiceToken"]
    backend = state.lambda_backend(account_id, region_name)
    backend.get_function(token)  # an unknown function fails the resource, as moto's own model does
    rng = sandbox.rng
    request_id = str(uuid.UUID(int=rng.getrandbits(128), version=4) if rng else uuid.uuid4())
    resource = state.new_custom_resource(region_name, request_id, logical_id, resource_name)
    stack = state.cloudformation_stack(account_id, region_name, stack_id)
    stack.add_custom_resource(resource)
    event = {
        "RequestType": "Create",
        "ServiceToken": token,
        "ResponseURL": f"{sandbox.loopback_url()}/cloudformation_{region_name}/cfnresponse?stack={quote(stack_id)}",
        "StackId": stack_id,
        "RequestId": request_id,
        "LogicalResourceId": logical_id,
        "ResourceType": resource_type,
        "ResourceProperties": properties,
    }
    timeout = int(properties.get("ServiceTimeout") or DEFAULT_SERVICE_TIMEOUT_S)
    parts = token.split(":")

    def send() -> None:
        sandbox.clock.call_later(timeout, lambda: _time_out(stack, resource, region_name))
        sandbox.queue_event(backend, ":".join(parts[:7]), json.dumps(event).encode("utf-8"),
                            parts[7] if len(parts) == 8 else None)

    _later(send)
    return resource


def _later(send: Callable[[], None]) -> None:
    pending = getattr(_operation, "pending", None)
    if pending is None:
        send()
    else:
        pending.append(send)


def answer(cloudformation_backend, body: dict[str, Any]) -> None:
    """A custom resource's response, as PUT to its ResponseURL."""
    try:
        stack = cloudformation_backend.get_stack(body.get("StackId", ""))
    except Exception:  # noqa: BLE001 - a response for a stack that is gone is ignored, as CloudFormation does
        return
    resource = stack.custom_resources.get(body.get("LogicalResourceId", ""))
    if resource is None or resource.is_created() or getattr(resource, "lambda_local_failed", False) \
            or body.get("RequestId") != resource.request_id or stack.status != "CREATE_IN_PROGRESS":
        return  # late, repeated, or for another request
    if body.get("Status") == "SUCCESS":
        if body.get("PhysicalResourceId"):
            resource.resource_name = str(body["PhysicalResourceId"])
        _resource_event(stack, resource, "CREATE_COMPLETE", None)
        resource.set_data(body.get("Data") or {})
        stack.verify_readiness()
        return
    reason = body.get("Reason") or ""
    fail_resource(stack, resource.logical_id, _type_of(stack, resource),
                  f"Received response status [{body.get('Status')}] from custom resource. Message returned: "
                  f"{reason} (RequestId: {resource.request_id})")
    resource.lambda_local_failed = True


def _time_out(stack, resource, region: str) -> None:
    if resource.is_created() or getattr(resource, "lambda_local_failed", False) \
            or stack.status != "CREATE_IN_PROGRESS":
        return
    resource.lambda_local_failed = True
    fail_resource(stack, resource.logical_id, _type_of(stack, resource),
                  "CloudFormation did not receive a response from your Custom Resource. Please check your custom "
                  f"resource in region {region} to ensure that it is running correctly. "
                  f"(RequestId: {resource.request_id})")


def _type_of(stack, resource) -> str:
    return (stack.template_dict.get("Resources", {}).get(resource.logical_id) or {}).get("Type", "")


def _resource_event(stack, resource, status: str, reason: str | None) -> None:
    state.add_stack_event(stack, resource.logical_id, resource.physical_resource_id, _type_of(stack, resource),
                          status, reason)


def fail_resource(stack, logical_id: str, resource_type: str, reason: str) -> None:
    """A resource that could not be created, as CloudFormation shows it: the resource CREATE_FAILED with
    ``reason``, then the stack rolled back (ROLLBACK_COMPLETE), or CREATE_FAILED with DisableRollback."""
    state.add_stack_event(stack, logical_id, "", resource_type, "CREATE_FAILED", reason)
    summary = f"The following resource(s) failed to create: [{logical_id}]. "
    if stack.disable_rollback:
        stack.status = "CREATE_FAILED"
        stack._add_stack_event("CREATE_FAILED", summary)
        return
    stack.status = "ROLLBACK_IN_PROGRESS"
    stack._add_stack_event("ROLLBACK_IN_PROGRESS", summary + "Rollback requested by user.")
    with contextlib.suppress(Exception):  # the resources made before the failure go, as in a rollback
        stack.resource_map.delete()
    # moto's resource map is lazy: emptied, a later DescribeStackResources cannot try to create them again
    stack.resource_map._resource_json_map = {}
    stack.custom_resources.clear()
    # a rolled-back stack has no outputs (they would refer to resources that are gone)
    stack.output_map._output_json_map, stack.output_map._parsed_outputs = {}, {}
    stack.status = "ROLLBACK_COMPLETE"
    stack._add_stack_event("ROLLBACK_COMPLETE")
