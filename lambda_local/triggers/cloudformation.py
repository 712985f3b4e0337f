"""CloudFormation custom resources backed by Lambda, as CloudFormation runs them.

CloudFormation invokes the function asynchronously (Lambda's queue: retries on error) once the stack operation is
under way, with a request that names a ``ResponseURL``; the function answers by PUTting a JSON response there
(``cfnresponse.send``). ``SUCCESS`` completes the request (a Create's or Update's ``Data`` readable with
``Fn::GetAtt``, its ``PhysicalResourceId`` kept); ``FAILED``, or no answer within the resource's ``ServiceTimeout``
(default 3,600 s, on the virtual clock), fails it, with the reason in the stack's events.

The requests: ``Create`` while the stack is created; ``Update`` (with ``OldResourceProperties`` and the
``PhysicalResourceId``) when UpdateStack changes the resource's properties, and if the answer names another
``PhysicalResourceId`` (a replacement), ``Delete`` of the old one during cleanup; ``Delete`` (with the
``PhysicalResourceId``) on DeleteStack, which completes only once every custom resource answered (``DELETE_FAILED``
otherwise), and on the rollback of a failed creation for those already created (``ROLLBACK_FAILED`` if one fails).

AWS's ResponseURL is a pre-signed S3 URL; here it is the sandbox's loopback endpoint, so the PUT a function makes
with urllib3 reaches this sandbox's CloudFormation.
"""

from __future__ import annotations

import contextlib
import json
import threading
import uuid
from dataclasses import dataclass
from typing import Any, Callable
from urllib.parse import quote

from ..aws import state
from .host import TriggerHost

__all__ = ["answer", "create_custom_resource", "delete_stack", "fail_resource", "stack_operation",
           "update_custom_resource"]

DEFAULT_SERVICE_TIMEOUT_S = 3600  # AWS::CloudFormation::CustomResource ServiceTimeout: 1 to 3600, default 3600

_operation = threading.local()  # the invocations a stack operation in progress will make once it has started
_answering = threading.local()  # set while an answer is handled (on the loopback endpoint's thread)


@dataclass
class _Request:
    """A request sent to a custom resource's function, awaiting its answer."""

    request_type: str  # Create, Update, Delete
    resource: Any  # moto's CustomModel
    physical_id: str  # the resource the request is about (what a Delete deletes)
    finish: Callable[[Any, _Request, dict | None, str | None], None]  # (stack, request, answer, failure reason)


@contextlib.contextmanager
def stack_operation(stack):
    """Bracket creating or updating a stack's resources: custom resources' functions are invoked when it ends, and
    only if the operation is still under way (a stack that rolled back has nothing left to ask them)."""
    outer = getattr(_operation, "pending", None)
    _operation.pending = pending = [] if outer is None else outer
    try:
        yield
    finally:
        if outer is None:
            _operation.pending = None
            updating = stack.status == "UPDATE_COMPLETE" and (pending or getattr(stack, "lambda_local_cleanup", []))
            if updating:  # moto completes an update at once; with custom resources it waits for their answers
                stack.events.pop()
                stack.status = "UPDATE_IN_PROGRESS"
            stack.lambda_local_sending = True  # answers that arrive meanwhile must not complete the update early
            try:
                for send in pending:
                    if stack.status in ("CREATE_IN_PROGRESS", "UPDATE_IN_PROGRESS"):
                        send()
            finally:
                stack.lambda_local_sending = False
            if updating:
                _update_progress(stack)


def create_custom_resource(sandbox: TriggerHost, resource_name: str, cloudformation_json: dict, account_id: str,
                           region_name: str, logical_id: str, stack_id: str, resource_type: str):
    """The custom resource (moto's CustomModel, not yet created) whose function CloudFormation asks to create it."""
    properties = cloudformation_json["Properties"]
    # an unknown function fails the resource, as moto's own model does
    state.lambda_backend(account_id, region_name).get_function(properties["ServiceToken"])
    resource = state.new_custom_resource(region_name, "", logical_id, resource_name)
    resource.lambda_local_sandbox, resource.lambda_local_type = sandbox, resource_type
    resource.lambda_local_properties = properties
    stack = state.cloudformation_stack(account_id, region_name, stack_id)
    stack.add_custom_resource(resource)
    resource.delete = lambda *_: _removed(stack, resource)  # what moto calls for a resource an update removes
    _later(lambda: _send(stack, resource, "Create", _created, properties))
    return resource


def update_custom_resource(resource, cloudformation_json: dict, stack) -> None:
    """UpdateStack changed a custom resource's properties: its function is asked to update it."""
    old = resource.lambda_local_properties
    new = resource.lambda_local_properties = cloudformation_json["Properties"]
    _later(lambda: _send(stack, resource, "Update", _updated, new, {"OldResourceProperties": old}))


def _removed(stack, resource) -> None:
    """UpdateStack removed a custom resource from the template: it is deleted during the update's cleanup."""
    if stack.custom_resources.get(resource.logical_id) is resource and resource.is_created():
        del stack.custom_resources[resource.logical_id]
        _cleanup(stack).append((resource, resource.physical_resource_id))


def _cleanup(stack) -> list:
    if not hasattr(stack, "lambda_local_cleanup"):
        stack.lambda_local_cleanup = []
    return stack.lambda_local_cleanup


def delete_stack(stack, delete: Callable[[], None]) -> None:
    """DeleteStack for a stack with custom resources: each created one's function is asked to delete it, and the
    stack's other resources go (``delete``, moto's DeleteStack) once all answered SUCCESS."""
    if stack.status == "DELETE_IN_PROGRESS":
        return  # a second DeleteStack while the first waits for answers changes nothing
    created = [r for r in stack.custom_resources.values() if r.is_created()]
    if not created:
        delete()
        return
    stack._add_stack_event("DELETE_IN_PROGRESS", "User Initiated")
    stack.status = "DELETE_IN_PROGRESS"
    _delete_all(stack, created, lambda failed: _stack_deleted(stack, failed, delete))


def _stack_deleted(stack, failed: list[str], delete: Callable[[], None]) -> None:
    if failed:
        stack.status = "DELETE_FAILED"
        stack._add_stack_event("DELETE_FAILED", _failed_to_delete(failed))
        return
    mark = len(stack.events)
    delete()
    del stack.events[mark]  # moto's own DELETE_IN_PROGRESS: the stack's was recorded when deletion began


def _failed_to_delete(logical_ids: list[str]) -> str:
    return f"The following resource(s) failed to delete: [{', '.join(logical_ids)}]. "


def _delete_all(stack, resources: list, done: Callable[[list[str]], None]) -> None:
    """Ask each resource's function to delete it; ``done`` with the logical ids that failed once all answered."""
    waiting, failed = {r.logical_id for r in resources}, []

    def deleted(logical_id: str, ok: bool) -> None:
        waiting.discard(logical_id)
        if ok:
            stack.custom_resources.pop(logical_id, None)
        else:
            failed.append(logical_id)
        if not waiting:
            done(sorted(failed))

    for resource in resources:
        _resource_event(stack, resource, resource.physical_resource_id, "DELETE_IN_PROGRESS", None)
        _send(stack, resource, "Delete", _deleted_then(deleted), resource.lambda_local_properties,
              physical_id=resource.physical_resource_id)


def _later(send: Callable[[], None]) -> None:
    pending = getattr(_operation, "pending", None)
    if pending is None:
        send()
    else:
        pending.append(send)


def _send(stack, resource, request_type: str, finish, properties: dict, extra: dict | None = None, *,
          physical_id: str | None = None) -> None:
    if getattr(_answering, "active", False):
        # An answer arrives on the loopback endpoint's thread while the function that sent it still runs, and
        # functions take turns: the request it leads to is sent once that invocation has ended.
        _followups(stack).append(lambda: _send(stack, resource, request_type, finish, properties, extra,
                                               physical_id=physical_id))
        return
    sandbox = resource.lambda_local_sandbox
    rng = sandbox.rng
    request_id = str(uuid.UUID(int=rng.getrandbits(128), version=4) if rng else uuid.uuid4())
    region = stack.region_name
    token = properties["ServiceToken"]
    event = {
        "RequestType": request_type,
        "ServiceToken": token,
        "ResponseURL": f"{sandbox.loopback_url()}/cloudformation_{region}/cfnresponse?stack={quote(stack.stack_id)}",
        "StackId": stack.stack_id,
        "RequestId": request_id,
        "LogicalResourceId": resource.logical_id,
        "ResourceType": resource.lambda_local_type,
        **({} if request_type == "Create" else {"PhysicalResourceId": physical_id or resource.physical_resource_id}),
        "ResourceProperties": properties,
        **(extra or {}),
    }
    resource.request_id = request_id
    _requests(stack)[request_id] = _Request(request_type, resource, event.get("PhysicalResourceId", ""), finish)
    timeout = int(properties.get("ServiceTimeout") or DEFAULT_SERVICE_TIMEOUT_S)
    sandbox.clock.call_later(timeout, lambda: _time_out(stack, request_id))
    parts = token.split(":")

    def attempt() -> None:  # the first attempt runs at once; then the requests its answer led to
        sandbox.queue_event(state.lambda_backend(stack.account_id, region), ":".join(parts[:7]),
                            json.dumps(event).encode("utf-8"), parts[7] if len(parts) == 8 else None)
        followups, stack.lambda_local_followups = _followups(stack), []
        for send in followups:
            send()

    sandbox.run_or_defer(attempt)


def _followups(stack) -> list[Callable[[], None]]:
    if not hasattr(stack, "lambda_local_followups"):
        stack.lambda_local_followups = []
    return stack.lambda_local_followups


def _requests(stack) -> dict[str, _Request]:
    if not hasattr(stack, "lambda_local_requests"):
        stack.lambda_local_requests = {}
    return stack.lambda_local_requests


def answer(cloudformation_backend, body: dict[str, Any]) -> None:
    """A custom resource's response, as PUT to its ResponseURL."""
    try:
        stack = cloudformation_backend.get_stack(body.get("StackId", ""))
    except Exception:  # noqa: BLE001 - a response for a stack that is gone is ignored, as CloudFormation does
        return
    request = _requests(stack).get(body.get("RequestId", ""))
    if request is None or request.resource.logical_id != body.get("LogicalResourceId"):
        return  # late, repeated, or for another request
    del _requests(stack)[body["RequestId"]]
    _answering.active = True
    try:
        if body.get("Status") == "SUCCESS":
            request.finish(stack, request, body, None)
        else:
            request.finish(stack, request, None,
                           f"Received response status [{body.get('Status')}] from custom resource. Message "
                           f"returned: {body.get('Reason') or ''} (RequestId: {body['RequestId']})")
    finally:
        _answering.active = False


def _time_out(stack, request_id: str) -> None:
    request = _requests(stack).pop(request_id, None)
    if request is not None:
        request.finish(stack, request, None,
                       "CloudFormation did not receive a response from your Custom Resource. Please check your "
                       f"custom resource in region {stack.region_name} to ensure that it is running correctly. "
                       f"(RequestId: {request_id})")


def _created(stack, request: _Request, body: dict | None, reason: str | None) -> None:
    resource = request.resource
    if stack.status not in ("CREATE_IN_PROGRESS", "UPDATE_IN_PROGRESS"):
        return
    if body is None:
        if stack.status == "UPDATE_IN_PROGRESS":
            _update_failed(stack, resource, "", "CREATE_FAILED", reason)
        else:
            fail_resource(stack, resource.logical_id, resource.lambda_local_type, reason or "")
        return
    if body.get("PhysicalResourceId"):
        resource.resource_name = str(body["PhysicalResourceId"])
    _resource_event(stack, resource, resource.physical_resource_id, "CREATE_COMPLETE", None)
    resource.set_data(body.get("Data") or {})
    if stack.status == "UPDATE_IN_PROGRESS":
        _update_progress(stack)
    else:
        stack.verify_readiness()


def _updated(stack, request: _Request, body: dict | None, reason: str | None) -> None:
    resource = request.resource
    if stack.status != "UPDATE_IN_PROGRESS":
        return
    if body is None:
        _update_failed(stack, resource, request.physical_id, "UPDATE_FAILED", reason)
        return
    new_id = str(body.get("PhysicalResourceId") or request.physical_id)
    resource.resource_name = new_id
    resource.set_data(body.get("Data") or {})
    _resource_event(stack, resource, new_id, "UPDATE_COMPLETE", None)
    if new_id != request.physical_id:  # a new PhysicalResourceId replaced the resource: the old one goes in cleanup
        _cleanup(stack).append((resource, request.physical_id))
    _update_progress(stack)


def _update_failed(stack, resource, physical_id: str, status: str, reason: str | None) -> None:
    # Not modelled: rolling the stack's other resources back (moto updated them at once); the update stops here.
    _resource_event(stack, resource, physical_id, status, reason)
    _requests(stack).clear()
    _cleanup(stack).clear()
    stack.status = "UPDATE_FAILED"
    stack._add_stack_event("UPDATE_FAILED", f"The following resource(s) failed to update: [{resource.logical_id}]. ")


def _update_progress(stack) -> None:
    """Once every Create and Update of an update is answered: the cleanup (Delete of the resources it replaced or
    removed; their answers do not change the stack's status), then UPDATE_COMPLETE."""
    if stack.status != "UPDATE_IN_PROGRESS" or getattr(stack, "lambda_local_sending", False) \
            or any(r.request_type != "Delete" for r in _requests(stack).values()):
        return
    stack.status = "UPDATE_COMPLETE_CLEANUP_IN_PROGRESS"
    stack._add_stack_event("UPDATE_COMPLETE_CLEANUP_IN_PROGRESS")
    cleanup, stack.lambda_local_cleanup = _cleanup(stack), []
    waiting = [len(cleanup) + 1]  # + 1: the loop below, which may have no Delete to send

    def cleaned(_logical_id: str, _ok: bool) -> None:  # a failed cleanup leaves the update complete, as on AWS
        waiting[0] -= 1
        if not waiting[0]:
            stack.status = "UPDATE_COMPLETE"
            stack._add_stack_event("UPDATE_COMPLETE")

    for resource, physical_id in cleanup:
        _resource_event(stack, resource, physical_id, "DELETE_IN_PROGRESS", None)
        _send(stack, resource, "Delete", _deleted_then(cleaned), resource.lambda_local_properties,
              physical_id=physical_id)
    cleaned("", True)


def _deleted_then(done: Callable[[str, bool], None]):
    def deleted(stack, request: _Request, body: dict | None, reason: str | None) -> None:
        status = "DELETE_COMPLETE" if body is not None else "DELETE_FAILED"
        _resource_event(stack, request.resource, request.physical_id, status, reason)
        done(request.resource.logical_id, body is not None)

    return deleted


def _resource_event(stack, resource, physical_id: str, status: str, reason: str | None) -> None:
    state.add_stack_event(stack, resource.logical_id, physical_id, resource.lambda_local_type, status, reason)


def fail_resource(stack, logical_id: str, resource_type: str, reason: str) -> None:
    """A resource that could not be created, as CloudFormation shows it: the resource CREATE_FAILED with
    ``reason``, then the stack rolled back (the custom resources already created asked to delete themselves;
    ROLLBACK_COMPLETE, or ROLLBACK_FAILED if one could not), or CREATE_FAILED with DisableRollback."""
    state.add_stack_event(stack, logical_id, "", resource_type, "CREATE_FAILED", reason)
    summary = f"The following resource(s) failed to create: [{logical_id}]. "
    if stack.disable_rollback:
        stack.status = "CREATE_FAILED"
        stack._add_stack_event("CREATE_FAILED", summary)
        return
    stack.status = "ROLLBACK_IN_PROGRESS"
    stack._add_stack_event("ROLLBACK_IN_PROGRESS", summary + "Rollback requested by user.")
    _requests(stack).clear()  # the creations still awaited are abandoned
    created = [r for r in stack.custom_resources.values() if r.is_created()]
    if created:
        _delete_all(stack, created, lambda failed: _rolled_back(stack, failed))
    else:
        _rolled_back(stack, [])


def _rolled_back(stack, failed: list[str]) -> None:
    if failed:
        stack.status = "ROLLBACK_FAILED"
        stack._add_stack_event("ROLLBACK_FAILED", _failed_to_delete(failed))
        return
    with contextlib.suppress(Exception):  # the resources made before the failure go, as in a rollback
        stack.resource_map.delete()
    # moto's resource map is lazy: emptied, a later DescribeStackResources cannot try to create them again
    stack.resource_map._resource_json_map = {}
    stack.custom_resources.clear()
    # a rolled-back stack has no outputs (they would refer to resources that are gone)
    stack.output_map._output_json_map, stack.output_map._parsed_outputs = {}, {}
    stack.status = "ROLLBACK_COMPLETE"
    stack._add_stack_event("ROLLBACK_COMPLETE")
