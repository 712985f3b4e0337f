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

A Create or Update that fails during an update (``FAILED``, no answer in time) rolls the update back, as
CloudFormation does: the resource ``UPDATE_FAILED`` (``CREATE_FAILED``), the stack ``UPDATE_ROLLBACK_IN_PROGRESS``
("The following resource(s) failed to update: [Thing]. "); each custom resource the update changed, the failed one
included, gets an ``Update`` back to its earlier properties (``ResourceProperties`` the old ones,
``OldResourceProperties`` the update's); custom resources the update removed are back untouched (their ``Delete``
waited for the cleanup, which never came); then ``UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS`` deletes the custom
resources the update created (and a physical id a rollback answer replaced), and the stack is
``UPDATE_ROLLBACK_COMPLETE`` (``UPDATE_ROLLBACK_FAILED`` when a rollback ``Update`` fails). The stack's template,
parameters and outputs are the earlier ones again.

What cannot be reverted: moto applies an update to its own resources (queues, tables, functions, ...) at once,
before any custom resource answers, and the rollback can only apply the earlier template to them through moto
again. A property moto can update goes back; a resource the update removed is made again under its name but its
data is gone (a queue's messages, a table's items, a bucket's objects); a property moto cannot update, or a
resource moto cannot make, stays as the update left it (silently: moto has nothing to report). Resources whose
update was still in progress are not shown as "Resource update cancelled", and a Create abandoned by the rollback
gets no Delete. UpdateStack's own DisableRollback is not modelled (moto does not take it).

An answer may come from a retry: a function that raised on its first attempt is invoked again by Lambda's queue
when the clock reaches the retry, and the requests its answer leads to (the cleanup's Delete, a rollback's Update)
are sent as soon as that invocation has ended.

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
    if outer is None:  # what an update's rollback returns to (the stack's template as it is before the operation)
        stack.lambda_local_previous = (stack.template, stack.parameters)
        stack.lambda_local_removed = []
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
    """UpdateStack changed a custom resource's properties: its function is asked to update it (during an update's
    rollback: to update it back, the properties it had before as ``ResourceProperties``)."""
    old = resource.lambda_local_properties
    new = resource.lambda_local_properties = cloudformation_json["Properties"]
    finish = _rollback_updated if stack.status == "UPDATE_ROLLBACK_IN_PROGRESS" else _updated
    _later(lambda: _send(stack, resource, "Update", finish, new, {"OldResourceProperties": old}))


def _removed(stack, resource) -> None:
    """UpdateStack removed a custom resource from the template: it is deleted during the update's cleanup."""
    if stack.custom_resources.get(resource.logical_id) is not resource:
        return
    del stack.custom_resources[resource.logical_id]
    if resource.is_created():  # (one never created has nothing to delete)
        _cleanup(stack).append((resource, resource.physical_resource_id))
        if stack.status != "UPDATE_ROLLBACK_IN_PROGRESS":
            getattr(stack, "lambda_local_removed", []).append(resource)  # a rollback brings it back


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
        stack.lambda_local_attempts = getattr(stack, "lambda_local_attempts", 0) + 1
        try:
            sandbox.queue_event(state.lambda_backend(stack.account_id, region), ":".join(parts[:7]),
                                json.dumps(event).encode("utf-8"), parts[7] if len(parts) == 8 else None)
        finally:
            stack.lambda_local_attempts -= 1
        _send_followups(stack)

    if getattr(_answering, "active", False):
        # An answer arrives on the loopback endpoint's thread while the function that sent it still runs, and
        # functions take turns: the request it leads to (already awaited) is sent once that invocation has ended.
        _followups(stack).append(attempt)
        return
    sandbox.run_or_defer(attempt)


def _send_followups(stack) -> None:
    followups, stack.lambda_local_followups = _followups(stack), []
    for send in followups:
        send()


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
    if _followups(stack) and not getattr(stack, "lambda_local_attempts", 0):
        # The answer came from a retry (Lambda's queue ran it when the clock reached it), not from a first attempt
        # that sends the requests its answer led to when it ends: they go as soon as this invocation has ended.
        sandbox = request.resource.lambda_local_sandbox
        sandbox.clock.call_later(0, lambda: sandbox.run_or_defer(lambda: _send_followups(stack)))


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
    _updated_to(stack, resource, request, body)
    _update_progress(stack)


def _updated_to(stack, resource, request: _Request, body: dict) -> None:
    new_id = str(body.get("PhysicalResourceId") or request.physical_id)
    resource.resource_name = new_id
    resource.set_data(body.get("Data") or {})
    _resource_event(stack, resource, new_id, "UPDATE_COMPLETE", None)
    if new_id != request.physical_id:  # a new PhysicalResourceId replaced the resource: the old one goes in cleanup
        _cleanup(stack).append((resource, request.physical_id))


def _update_failed(stack, resource, physical_id: str, status: str, reason: str | None) -> None:
    """A Create or Update of an update failed: the resource shows it, and the stack rolls the update back."""
    _resource_event(stack, resource, physical_id, status, reason)
    verb = "create" if status == "CREATE_FAILED" else "update"
    _roll_back_update(stack, f"The following resource(s) failed to {verb}: [{resource.logical_id}]. ")


def _roll_back_update(stack, reason: str) -> None:
    """UPDATE_ROLLBACK_IN_PROGRESS: the stack goes back to its template before the update. Each custom resource
    whose properties the update changed (the one that failed included) gets an Update with its earlier properties
    (``OldResourceProperties``: the update's); the custom resources the update removed come back as they were (their
    Delete waited for the cleanup); moto's own resources are updated back through moto; then the cleanup deletes
    what the update created (custom resources it added, physical ids a rollback's answer replaced) and the stack is
    UPDATE_ROLLBACK_COMPLETE (UPDATE_ROLLBACK_FAILED if a custom resource's rollback Update fails)."""
    _requests(stack).clear()  # the update's answers still awaited no longer count
    _cleanup(stack).clear()  # nothing the update replaced or removed is deleted: the stack goes back to it
    stack.status = "UPDATE_ROLLBACK_IN_PROGRESS"
    stack._add_stack_event("UPDATE_ROLLBACK_IN_PROGRESS", reason)
    template, parameters = stack.lambda_local_previous
    resource_map = stack.resource_map
    for resource in getattr(stack, "lambda_local_removed", []):
        stack.custom_resources[resource.logical_id] = resource
    current = set(resource_map._resource_json_map)
    outer = getattr(_operation, "pending", None)
    pending: list[Callable[[], None]] = []
    _operation.pending = pending
    try:
        stack.template = template
        stack._parse_template()
        for logical_id in set(stack.template_dict.get("Resources") or {}) - current:
            parsed = resource_map._parsed_resources.get(logical_id)
            if parsed is not None and not hasattr(parsed, "lambda_local_properties"):
                # moto deleted it when the update removed it: it is made again (its data does not come back)
                del resource_map._parsed_resources[logical_id]
        with contextlib.suppress(Exception):  # what moto cannot update back stays as the update left it
            resource_map.update(stack.template_dict, parameters)
        with contextlib.suppress(Exception):
            stack.output_map = stack._create_output_map()
        stack.parameters = parameters
    finally:
        _operation.pending = outer
    stack.lambda_local_sending = True
    try:
        for send in pending:
            if stack.status == "UPDATE_ROLLBACK_IN_PROGRESS":
                send()
    finally:
        stack.lambda_local_sending = False
    _update_progress(stack)


def _rollback_updated(stack, request: _Request, body: dict | None, reason: str | None) -> None:
    """The answer to an Update sent by an update's rollback."""
    resource = request.resource
    if stack.status != "UPDATE_ROLLBACK_IN_PROGRESS":
        return
    if body is None:
        _resource_event(stack, resource, request.physical_id, "UPDATE_FAILED", reason)
        _requests(stack).clear()
        _cleanup(stack).clear()
        stack.status = "UPDATE_ROLLBACK_FAILED"
        stack._add_stack_event("UPDATE_ROLLBACK_FAILED",
                               f"The following resource(s) failed to update: [{resource.logical_id}]. ")
        return
    _updated_to(stack, resource, request, body)
    _update_progress(stack)


def _update_progress(stack) -> None:
    """Once every Create and Update of an update (or of its rollback) is answered: the cleanup (Delete of the
    resources it replaced or removed; their answers do not change the stack's status), then UPDATE_COMPLETE
    (UPDATE_ROLLBACK_COMPLETE)."""
    rolling_back = stack.status == "UPDATE_ROLLBACK_IN_PROGRESS"
    if stack.status not in ("UPDATE_IN_PROGRESS", "UPDATE_ROLLBACK_IN_PROGRESS") \
            or getattr(stack, "lambda_local_sending", False) \
            or any(r.request_type != "Delete" for r in _requests(stack).values()):
        return
    prefix = "UPDATE_ROLLBACK_COMPLETE" if rolling_back else "UPDATE_COMPLETE"
    stack.status = f"{prefix}_CLEANUP_IN_PROGRESS"
    stack._add_stack_event(stack.status)
    cleanup, stack.lambda_local_cleanup = _cleanup(stack), []
    waiting = [len(cleanup) + 1]  # + 1: the loop below, which may have no Delete to send

    def cleaned(_logical_id: str, _ok: bool) -> None:  # a failed cleanup leaves the update complete, as on AWS
        waiting[0] -= 1
        if not waiting[0]:
            stack.status = prefix
            stack._add_stack_event(prefix)

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
