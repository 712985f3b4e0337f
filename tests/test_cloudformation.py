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
