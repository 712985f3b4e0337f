"""CloudFormation stacks with Lambda functions: inline code runs, and a resource the service refuses fails the stack
the way CloudFormation reports it (issue 13 item 10)."""

import json

import boto3

from conftest import TRUST_POLICY, invoke

INLINE = """
import cfnresponse  # CloudFormation adds this module to inline code

def handler(event, context):
    return {"from": "index.py", "event": event}
"""


def _template(runtime="python3.12", code=INLINE):
    return json.dumps({
        "Resources": {
            "Role": {"Type": "AWS::IAM::Role", "Properties": {
                "RoleName": "stack-role", "AssumeRolePolicyDocument": json.loads(TRUST_POLICY)}},
            "Fn": {"Type": "AWS::Lambda::Function", "Properties": {
                "FunctionName": "inline", "Runtime": runtime, "Handler": "index.handler",
                "Role": {"Fn::GetAtt": ["Role", "Arn"]}, "Code": {"ZipFile": code}}},
        }})


def test_inline_zipfile_code_is_written_as_index_py_and_runs(aws):
    cfn = boto3.client("cloudformation")
    cfn.create_stack(StackName="app", TemplateBody=_template())
    assert cfn.describe_stacks(StackName="app")["Stacks"][0]["StackStatus"] == "CREATE_COMPLETE"
    names = [f["FunctionName"] for f in boto3.client("lambda").list_functions()["Functions"]]
    assert len(names) == 1
    response, payload = invoke(names[0], {"k": 1})
    assert "FunctionError" not in response and payload == {"from": "index.py", "event": {"k": 1}}


def test_a_refused_resource_rolls_the_stack_back_with_awss_events(aws):
    cfn = boto3.client("cloudformation")
    stack_id = cfn.create_stack(StackName="old", TemplateBody=_template(runtime="python3.8"))["StackId"]
    stack = cfn.describe_stacks(StackName=stack_id)["Stacks"][0]
    assert stack["StackStatus"] == "ROLLBACK_COMPLETE"
    events = cfn.describe_stack_events(StackName=stack_id)["StackEvents"]
    by_status = {(e["LogicalResourceId"], e["ResourceStatus"]): e.get("ResourceStatusReason", "") for e in events}
    assert "The runtime parameter of python3.8 is no longer supported" in by_status[("Fn", "CREATE_FAILED")]
    assert by_status[("old", "ROLLBACK_IN_PROGRESS")] == (
        "The following resource(s) failed to create: [Fn]. Rollback requested by user.")
    assert ("old", "ROLLBACK_COMPLETE") in by_status
    assert boto3.client("lambda").list_functions()["Functions"] == []
    assert cfn.describe_stack_resources(StackName=stack_id)["StackResources"] == []


def test_a_template_error_is_still_create_stacks_own_validation_error(aws):
    import pytest
    from botocore.exceptions import ClientError

    template = json.loads(_template())
    template["Resources"]["Fn"]["Properties"]["Role"] = {"Fn::GetAtt": ["Missing", "Arn"]}
    with pytest.raises(ClientError) as raised:
        boto3.client("cloudformation").create_stack(StackName="bad", TemplateBody=json.dumps(template))
    assert raised.value.response["Error"]["Code"] == "ValidationError"
    assert "Missing" in raised.value.response["Error"]["Message"]


def test_cloudformation_patches_wait_for_moto_to_import_cloudformation():
    """mock_aws() does not import moto.cloudformation (seconds: it loads nearly every service); the patches apply
    when the first CloudFormation request makes moto import it."""
    import subprocess
    import sys

    script = (
        "import sys, json, boto3, lambda_local\n"
        "with lambda_local.mock_aws(enforce_iam=False):\n"
        "    print('imported at start:', 'moto.cloudformation.models' in sys.modules)\n"
        "    cfn = boto3.client('cloudformation')\n"
        "    cfn.create_stack(StackName='s', TemplateBody=json.dumps({'Resources': {'Fn': {\n"
        "        'Type': 'AWS::Lambda::Function', 'Properties': {'FunctionName': 'f', 'Runtime': 'python3.8',\n"
        "        'Handler': 'index.h', 'Role': 'arn:aws:iam::123456789012:role/r', 'Code': {'ZipFile': 'x'}}}}}))\n"
        "    print(cfn.describe_stacks(StackName='s')['Stacks'][0]['StackStatus'])\n")
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300)
    assert out.stdout.split("\n")[:2] == ["imported at start: False", "ROLLBACK_COMPLETE"], out.stderr[-2000:]


CUSTOM = """
import cfnresponse

def handler(event, context):
    print("REQUEST", event["RequestType"], event["LogicalResourceId"], event["ResourceProperties"]["Size"])
    if event["ResourceProperties"]["Size"] == "fail":
        cfnresponse.send(event, context, cfnresponse.FAILED, {}, reason="no such size")
    elif event["ResourceProperties"]["Size"] != "silent":
        cfnresponse.send(event, context, cfnresponse.SUCCESS, {"Answer": "42"}, physicalResourceId="thing-1")
"""


def _custom_template(size, **custom_properties):
    template = json.loads(_template(code=CUSTOM))
    template["Resources"]["Thing"] = {"Type": "Custom::Thing", "Properties": {
        "ServiceToken": {"Fn::GetAtt": ["Fn", "Arn"]}, "Size": size, **custom_properties}}
    template["Outputs"] = {"Answer": {"Value": {"Fn::GetAtt": ["Thing", "Answer"]}}}
    return json.dumps(template)


def _requests(aws):
    return [line for r in aws.invocations for line in r.log.splitlines() if line.startswith("REQUEST ")]


def _events_of(cfn, stack):
    return {(e["LogicalResourceId"], e["ResourceStatus"]): e.get("ResourceStatusReason", "")
            for e in cfn.describe_stack_events(StackName=stack)["StackEvents"]}


def test_a_custom_resource_function_answers_success_and_the_stack_completes(aws):
    cfn = boto3.client("cloudformation")
    cfn.create_stack(StackName="custom", TemplateBody=_custom_template("big"))
    stack = cfn.describe_stacks(StackName="custom")["Stacks"][0]
    assert stack["StackStatus"] == "CREATE_COMPLETE"
    assert stack["Outputs"][0]["OutputValue"] == "42"  # the Data of the function's answer, through Fn::GetAtt
    assert _requests(aws) == ["REQUEST Create Thing big"]
    (record,) = aws.invocations
    assert "Status code: 200" in record.log and record.error_type is None
    resources = {r["LogicalResourceId"]: r for r in cfn.describe_stack_resources(StackName="custom")["StackResources"]}
    assert resources["Thing"]["PhysicalResourceId"] == "thing-1"
    assert ("Thing", "CREATE_COMPLETE") in _events_of(cfn, "custom")


def test_a_failed_answer_fails_the_resource_and_rolls_the_stack_back(aws):
    cfn = boto3.client("cloudformation")
    cfn.create_stack(StackName="custom", TemplateBody=_custom_template("fail"))
    assert cfn.describe_stacks(StackName="custom")["Stacks"][0]["StackStatus"] == "ROLLBACK_COMPLETE"
    events = _events_of(cfn, "custom")
    assert events[("Thing", "CREATE_FAILED")].startswith(
        "Received response status [FAILED] from custom resource. Message returned: no such size (RequestId: ")
    assert events[("custom", "ROLLBACK_IN_PROGRESS")] == (
        "The following resource(s) failed to create: [Thing]. Rollback requested by user.")
    assert boto3.client("lambda").list_functions()["Functions"] == []  # the stack's function went with it
    assert "Outputs" not in cfn.describe_stacks(StackName="custom")["Stacks"][0]


def test_no_answer_fails_the_resource_after_its_service_timeout(aws):
    cfn = boto3.client("cloudformation")
    cfn.create_stack(StackName="custom", TemplateBody=_custom_template("silent", ServiceTimeout="300"))
    assert cfn.describe_stacks(StackName="custom")["Stacks"][0]["StackStatus"] == "CREATE_IN_PROGRESS"
    aws.advance(seconds=299)
    assert cfn.describe_stacks(StackName="custom")["Stacks"][0]["StackStatus"] == "CREATE_IN_PROGRESS"
    aws.advance(seconds=1)
    assert cfn.describe_stacks(StackName="custom")["Stacks"][0]["StackStatus"] == "ROLLBACK_COMPLETE"
    assert _events_of(cfn, "custom")[("Thing", "CREATE_FAILED")].startswith(
        "CloudFormation did not receive a response from your Custom Resource.")
    assert cfn.list_exports()["Exports"] == []


LIFECYCLE = """
import json
import cfnresponse

ATTEMPTS = {}

def handler(event, context):
    kind, props = event["RequestType"], event["ResourceProperties"]
    print("REQUEST", json.dumps([kind, event["LogicalResourceId"], event.get("PhysicalResourceId"), props["Size"],
                                 (event.get("OldResourceProperties") or {}).get("Size")]))
    if props.get("Fail" + kind) or (event.get("OldResourceProperties") or {}).get("FailRollback"):
        cfnresponse.send(event, context, cfnresponse.FAILED, {}, reason="cannot " + kind.lower())
        return
    if props.get("Silent" + kind):
        return
    if props.get("Flaky" + kind) and ATTEMPTS.setdefault(event["RequestId"], []).append(1) is None \
            and len(ATTEMPTS[event["RequestId"]]) == 1:
        raise RuntimeError("the first attempt fails")  # Lambda's queue retries the event
    physical = event.get("PhysicalResourceId")
    if kind == "Create" or (kind == "Update" and props.get("Replace")):
        physical = "thing-" + props["Size"]
    cfnresponse.send(event, context, cfnresponse.SUCCESS, {"Answer": props["Size"]}, physicalResourceId=physical)
"""


def _lifecycle_template(size, **properties):
    template = json.loads(_custom_template(size, **properties))
    template["Resources"]["Fn"]["Properties"]["Code"]["ZipFile"] = LIFECYCLE
    return template


def _lifecycle_requests(aws):
    return [json.loads(line[len("REQUEST "):]) for line in _requests(aws)]


def _status(cfn, stack):
    return cfn.describe_stacks(StackName=stack)["Stacks"][0]["StackStatus"]


def test_update_sends_the_old_properties_and_delete_the_physical_id_before_the_stack_goes(aws):
    cfn = boto3.client("cloudformation")
    stack_id = cfn.create_stack(StackName="life", TemplateBody=json.dumps(_lifecycle_template("big")))["StackId"]
    cfn.update_stack(StackName="life", TemplateBody=json.dumps(_lifecycle_template("huge")))
    stack = cfn.describe_stacks(StackName="life")["Stacks"][0]
    assert stack["StackStatus"] == "UPDATE_COMPLETE"
    assert stack["Outputs"][0]["OutputValue"] == "huge"  # the Update answer's Data
    template = _lifecycle_template("huge")
    template["Description"] = "only the description changed"
    cfn.update_stack(StackName="life", TemplateBody=json.dumps(template))  # no Update request for Thing
    assert _status(cfn, "life") == "UPDATE_COMPLETE"
    cfn.delete_stack(StackName="life")
    assert _status(cfn, stack_id) == "DELETE_COMPLETE"
    assert _lifecycle_requests(aws) == [["Create", "Thing", None, "big", None],
                                        ["Update", "Thing", "thing-big", "huge", "big"],
                                        ["Delete", "Thing", "thing-big", "huge", None]]
    assert boto3.client("lambda").list_functions()["Functions"] == []  # the function went after its resource
    events = [(e["LogicalResourceId"], e["ResourceStatus"])
              for e in reversed(cfn.describe_stack_events(StackName=stack_id)["StackEvents"])]
    assert events[-4:] == [("life", "DELETE_IN_PROGRESS"), ("Thing", "DELETE_IN_PROGRESS"),
                           ("Thing", "DELETE_COMPLETE"), ("life", "DELETE_COMPLETE")]


def test_a_new_physical_id_on_update_deletes_the_old_resource_during_cleanup(aws):
    cfn = boto3.client("cloudformation")
    cfn.create_stack(StackName="life", TemplateBody=json.dumps(_lifecycle_template("big")))
    cfn.update_stack(StackName="life", TemplateBody=json.dumps(_lifecycle_template("huge", Replace="yes")))
    assert _status(cfn, "life") == "UPDATE_COMPLETE"
    assert _lifecycle_requests(aws)[1:] == [["Update", "Thing", "thing-big", "huge", "big"],
                                            ["Delete", "Thing", "thing-big", "huge", None]]
    resources = {r["LogicalResourceId"]: r for r in cfn.describe_stack_resources(StackName="life")["StackResources"]}
    assert resources["Thing"]["PhysicalResourceId"] == "thing-huge"
    events = [(e["LogicalResourceId"], e["PhysicalResourceId"], e["ResourceStatus"])
              for e in reversed(cfn.describe_stack_events(StackName="life")["StackEvents"])]
    stack_arn = cfn.describe_stacks(StackName="life")["Stacks"][0]["StackId"]
    assert events[-5:] == [("Thing", "thing-huge", "UPDATE_COMPLETE"),
                           ("life", stack_arn, "UPDATE_COMPLETE_CLEANUP_IN_PROGRESS"),
                           ("Thing", "thing-big", "DELETE_IN_PROGRESS"), ("Thing", "thing-big", "DELETE_COMPLETE"),
                           ("life", stack_arn, "UPDATE_COMPLETE")]


def test_a_failed_delete_leaves_the_stack_delete_failed_with_the_reason(aws):
    cfn = boto3.client("cloudformation")
    cfn.create_stack(StackName="life", TemplateBody=json.dumps(_lifecycle_template("big", FailDelete="yes")))
    cfn.delete_stack(StackName="life")
    assert _status(cfn, "life") == "DELETE_FAILED"  # still found by name: the stack is not gone
    events = _events_of(cfn, "life")
    assert events[("Thing", "DELETE_FAILED")].startswith(
        "Received response status [FAILED] from custom resource. Message returned: cannot delete (RequestId: ")
    assert events[("life", "DELETE_FAILED")] == "The following resource(s) failed to delete: [Thing]. "
    assert [f["FunctionName"] for f in boto3.client("lambda").list_functions()["Functions"]] == ["inline"]
    assert _lifecycle_requests(aws)[-1] == ["Delete", "Thing", "thing-big", "big", None]


def test_a_rollback_asks_the_custom_resources_already_created_to_delete_themselves(aws):
    cfn = boto3.client("cloudformation")
    template = _lifecycle_template("big")
    template["Resources"]["Broken"] = {"Type": "Custom::Thing", "DependsOn": "Thing", "Properties": {
        "ServiceToken": {"Fn::GetAtt": ["Fn", "Arn"]}, "Size": "small", "FailCreate": "yes"}}
    cfn.create_stack(StackName="life", TemplateBody=json.dumps(template))
    assert _status(cfn, "life") == "ROLLBACK_COMPLETE"
    assert _lifecycle_requests(aws) == [["Create", "Thing", None, "big", None],
                                        ["Create", "Broken", None, "small", None],
                                        ["Delete", "Thing", "thing-big", "big", None]]
    events = _events_of(cfn, "life")
    assert ("Thing", "DELETE_COMPLETE") in events and ("Broken", "CREATE_FAILED") in events
    assert boto3.client("lambda").list_functions()["Functions"] == []


def test_a_custom_resource_removed_by_an_update_is_deleted_during_cleanup(aws):
    cfn = boto3.client("cloudformation")
    cfn.create_stack(StackName="life", TemplateBody=json.dumps(_lifecycle_template("big")))
    template = _lifecycle_template("big")
    del template["Resources"]["Thing"], template["Outputs"]
    cfn.update_stack(StackName="life", TemplateBody=json.dumps(template))
    assert _status(cfn, "life") == "UPDATE_COMPLETE"
    assert _lifecycle_requests(aws)[1:] == [["Delete", "Thing", "thing-big", "big", None]]
    assert ("Thing", "DELETE_COMPLETE") in _events_of(cfn, "life")
    cfn.delete_stack(StackName="life")  # nothing left to ask
    assert len(_lifecycle_requests(aws)) == 2


def test_a_delete_left_unanswered_fails_after_the_service_timeout(aws):
    cfn = boto3.client("cloudformation")
    template = _lifecycle_template("big", SilentDelete="yes", ServiceTimeout="60")
    cfn.create_stack(StackName="life", TemplateBody=json.dumps(template))
    cfn.delete_stack(StackName="life")
    assert _status(cfn, "life") == "DELETE_IN_PROGRESS"  # waiting for the function's answer
    cfn.delete_stack(StackName="life")  # a second DeleteStack changes nothing
    aws.advance(seconds=60)
    assert _status(cfn, "life") == "DELETE_FAILED"
    assert _events_of(cfn, "life")[("Thing", "DELETE_FAILED")].startswith(
        "CloudFormation did not receive a response from your Custom Resource.")
    assert [r[0] for r in _lifecycle_requests(aws)] == ["Create", "Delete"]


def _stack_events(cfn, stack):
    return [(e["LogicalResourceId"], e["ResourceStatus"], e.get("ResourceStatusReason", ""))
            for e in reversed(cfn.describe_stack_events(StackName=stack)["StackEvents"])]


def test_a_failed_update_rolls_back_with_an_update_to_the_old_properties(aws):
    cfn = boto3.client("cloudformation")
    cfn.create_stack(StackName="life", TemplateBody=json.dumps(_lifecycle_template("big")))
    cfn.update_stack(StackName="life", TemplateBody=json.dumps(_lifecycle_template("huge", FailUpdate="yes")))
    stack = cfn.describe_stacks(StackName="life")["Stacks"][0]
    assert stack["StackStatus"] == "UPDATE_ROLLBACK_COMPLETE"
    assert stack["Outputs"][0]["OutputValue"] == "big"  # the rollback Update's answer
    assert _lifecycle_requests(aws) == [["Create", "Thing", None, "big", None],
                                        ["Update", "Thing", "thing-big", "huge", "big"],
                                        ["Update", "Thing", "thing-big", "big", "huge"]]
    events = _stack_events(cfn, "life")
    start = events.index(("life", "UPDATE_IN_PROGRESS", "User Initiated"))
    assert [e[:2] for e in events[start:]] == [
        ("life", "UPDATE_IN_PROGRESS"), ("Thing", "UPDATE_FAILED"), ("life", "UPDATE_ROLLBACK_IN_PROGRESS"),
        ("Thing", "UPDATE_COMPLETE"), ("life", "UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS"),
        ("life", "UPDATE_ROLLBACK_COMPLETE")]
    assert events[start + 1][2].startswith("Received response status [FAILED] from custom resource. Message "
                                           "returned: cannot update (RequestId: ")
    assert events[start + 2][2] == "The following resource(s) failed to update: [Thing]. "
    assert "FailUpdate" not in cfn.get_template(StackName="life")["TemplateBody"]["Resources"]["Thing"][
        "Properties"]  # the stack's template is the one before the update
    cfn.update_stack(StackName="life", TemplateBody=json.dumps(_lifecycle_template("huge")))  # a stack to update
    assert _status(cfn, "life") == "UPDATE_COMPLETE"
    assert _lifecycle_requests(aws)[-1] == ["Update", "Thing", "thing-big", "huge", "big"]


def test_a_rollback_reverts_moto_resources_and_deletes_what_the_update_added(aws):
    cfn = boto3.client("cloudformation")
    template = _lifecycle_template("big")
    template["Resources"]["Queue"] = {"Type": "AWS::SQS::Queue", "Properties": {"QueueName": "work",
                                                                                "VisibilityTimeout": 30}}
    template["Resources"]["Gone"] = {"Type": "Custom::Thing", "Properties": {
        "ServiceToken": {"Fn::GetAtt": ["Fn", "Arn"]}, "Size": "gone"}}
    cfn.create_stack(StackName="life", TemplateBody=json.dumps(template))
    updated = json.loads(json.dumps(template))
    updated["Resources"]["Queue"]["Properties"]["VisibilityTimeout"] = 60
    updated["Resources"]["Extra"] = {"Type": "Custom::Thing", "Properties": {
        "ServiceToken": {"Fn::GetAtt": ["Fn", "Arn"]}, "Size": "extra"}}
    updated["Resources"]["Thing"]["Properties"]["FailUpdate"] = "yes"
    del updated["Resources"]["Gone"]
    cfn.update_stack(StackName="life", TemplateBody=json.dumps(updated))
    assert _status(cfn, "life") == "UPDATE_ROLLBACK_COMPLETE"
    sqs = boto3.client("sqs")
    attributes = sqs.get_queue_attributes(QueueUrl=sqs.get_queue_url(QueueName="work")["QueueUrl"],
                                          AttributeNames=["VisibilityTimeout"])["Attributes"]
    assert attributes["VisibilityTimeout"] == "30"
    requests = _lifecycle_requests(aws)
    # Gone was removed by the update but never deleted (that waits for the cleanup): it is back, untouched
    assert [r[:2] for r in requests if r[1] == "Gone"] == [["Create", "Gone"]]
    # Extra, created by the update, is deleted in the rollback's cleanup
    assert [r[:3] for r in requests if r[1] == "Extra"] == [["Create", "Extra", None],
                                                            ["Delete", "Extra", "thing-extra"]]
    resources = {r["LogicalResourceId"] for r in cfn.describe_stack_resources(StackName="life")["StackResources"]}
    assert {"Thing", "Gone", "Queue"} <= resources and "Extra" not in resources
    events = _stack_events(cfn, "life")
    cleanup = events.index(("life", "UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS", ""))
    assert [e[:2] for e in events[cleanup:]] == [
        ("life", "UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS"), ("Extra", "DELETE_IN_PROGRESS"),
        ("Extra", "DELETE_COMPLETE"), ("life", "UPDATE_ROLLBACK_COMPLETE")]


def test_a_rollback_update_that_fails_leaves_the_stack_update_rollback_failed(aws):
    cfn = boto3.client("cloudformation")
    cfn.create_stack(StackName="life", TemplateBody=json.dumps(_lifecycle_template("big")))
    # the update fails, and the function refuses the rollback's Update too (its OldResourceProperties say so)
    cfn.update_stack(StackName="life", TemplateBody=json.dumps(
        _lifecycle_template("huge", FailUpdate="yes", FailRollback="yes")))
    assert _status(cfn, "life") == "UPDATE_ROLLBACK_FAILED"
    events = _stack_events(cfn, "life")
    assert [e[:2] for e in events[-4:]] == [("Thing", "UPDATE_FAILED"), ("life", "UPDATE_ROLLBACK_IN_PROGRESS"),
                                            ("Thing", "UPDATE_FAILED"), ("life", "UPDATE_ROLLBACK_FAILED")]
    assert events[-1][2] == "The following resource(s) failed to update: [Thing]. "
    assert _lifecycle_requests(aws)[-1] == ["Update", "Thing", "thing-big", "big", "huge"]


def test_requests_that_follow_an_answer_given_on_a_retry_are_sent(aws):
    cfn = boto3.client("cloudformation")
    cfn.create_stack(StackName="life", TemplateBody=json.dumps(_lifecycle_template("big")))
    # the Update's first attempt raises; Lambda's queue retries it a minute later, and that attempt answers with a
    # new PhysicalResourceId: the old resource must then be deleted in the cleanup, and the update complete
    cfn.update_stack(StackName="life", TemplateBody=json.dumps(
        _lifecycle_template("huge", Replace="yes", FlakyUpdate="yes")))
    assert _status(cfn, "life") == "UPDATE_IN_PROGRESS"
    aws.advance(minutes=3)
    assert _status(cfn, "life") == "UPDATE_COMPLETE"
    assert _lifecycle_requests(aws)[1:] == [["Update", "Thing", "thing-big", "huge", "big"],
                                            ["Update", "Thing", "thing-big", "huge", "big"],
                                            ["Delete", "Thing", "thing-big", "huge", None]]
    resources = {r["LogicalResourceId"]: r for r in cfn.describe_stack_resources(StackName="life")["StackResources"]}
    assert resources["Thing"]["PhysicalResourceId"] == "thing-huge"


def test_a_failed_answer_on_a_retry_still_rolls_the_update_back(aws):
    cfn = boto3.client("cloudformation")
    cfn.create_stack(StackName="life", TemplateBody=json.dumps(_lifecycle_template("big")))
    cfn.update_stack(StackName="life", TemplateBody=json.dumps(
        _lifecycle_template("huge", FlakyUpdate="yes", FailUpdate="yes")))
    aws.advance(minutes=3)
    assert _status(cfn, "life") == "UPDATE_ROLLBACK_COMPLETE"
    assert _lifecycle_requests(aws)[-1] == ["Update", "Thing", "thing-big", "big", "huge"]


def test_a_custom_resource_an_update_adds_that_fails_to_create_rolls_the_update_back(aws):
    cfn = boto3.client("cloudformation")
    cfn.create_stack(StackName="life", TemplateBody=json.dumps(_lifecycle_template("big")))
    template = _lifecycle_template("big")
    template["Resources"]["Broken"] = {"Type": "Custom::Thing", "Properties": {
        "ServiceToken": {"Fn::GetAtt": ["Fn", "Arn"]}, "Size": "small", "FailCreate": "yes"}}
    cfn.update_stack(StackName="life", TemplateBody=json.dumps(template))
    assert _status(cfn, "life") == "UPDATE_ROLLBACK_COMPLETE"
    events = _stack_events(cfn, "life")
    assert ("life", "UPDATE_ROLLBACK_IN_PROGRESS", "The following resource(s) failed to create: [Broken]. ") in events
    assert [r[:2] for r in _lifecycle_requests(aws)] == [["Create", "Thing"], ["Create", "Broken"]]  # Thing: as it was
    resources = {r["LogicalResourceId"] for r in cfn.describe_stack_resources(StackName="life")["StackResources"]}
    assert "Broken" not in resources
    cfn.delete_stack(StackName="life")
    assert [r[:2] for r in _lifecycle_requests(aws)][-1] == ["Delete", "Thing"]
