"""Lab 04: the guides' challenge. A greeting function, an S3 trigger on one prefix, proof in the logs, a
GREETING_PREFIX environment variable, and a clean-up verified by listing functions and roles.

The learner's deploy.py and cleanup.py run against the check's mocked AWS, as they would run against an account.
"""

from __future__ import annotations

import json
import random

from ..checks import (BASIC_EXECUTION, LAMBDA_TRUST_POLICY, Failure, check, describe_invocation_error,
                      function_output, show)

LAB = "04-s3-trigger"
TITLE = "The challenge: an S3 trigger, proof in the logs, clean-up"

FUNCTION, ROLE, BUCKET, PREFIX = "s3-greeter", "s3-greeter-role", "greeter-uploads", "incoming/"
BUCKET_ARN = f"arn:aws:s3:::{BUCKET}"
UPLOADS = ("incoming/hello.txt", "incoming/2026/notes.md")
NOT_UPLOADS = ("readme.txt", "outgoing/report.txt", "incoming-old/archive.txt")
_DEPLOY_HINT = ('Read the error. S3 answers InvalidArgument "Unable to validate the following destination '
                'configurations" when the function does not let S3 invoke it yet: add the permission (TODO 3) '
                'before the notification (TODO 4). Filter rules are written {"Name": "prefix", "Value": ...}.')


def _deploy(lab) -> None:
    """The learner's deploy.py, all of it, as `python deploy.py` would run it."""
    lab.call(lab.module("deploy.py").main, what="deploy.main()", hint=_DEPLOY_HINT)


def _invocations(lab) -> list:
    return [r for r in lab.aws.invocations if r.function_name == FUNCTION]


def _upload(lab, key: str) -> None:
    lab.client("s3").put_object(Bucket=BUCKET, Key=key, Body=f"a file named {key}".encode())


def _wire_s3(lab) -> None:
    """The check's own, known-good trigger: bucket, permission, notification on incoming/."""
    lab.client("s3").create_bucket(Bucket=BUCKET)
    lab.allow(FUNCTION, "s3.amazonaws.com", source_arn=BUCKET_ARN)
    arn = lab.client("lambda").get_function_configuration(FunctionName=FUNCTION)["FunctionArn"]
    lab.client("s3").put_bucket_notification_configuration(Bucket=BUCKET, NotificationConfiguration={
        "LambdaFunctionConfigurations": [{"LambdaFunctionArn": arn, "Events": ["s3:ObjectCreated:*"], "Filter": {
            "Key": {"FilterRules": [{"Name": "prefix", "Value": PREFIX}]}}}]})


def _greeting_lines(lab, environment: dict | None) -> list[str]:
    """The lines the function prints for one upload event, with ``environment`` as its variables."""
    from ...events import s3_put_event

    lab.client("lambda").update_function_configuration(FunctionName=FUNCTION,
                                                       Environment={"Variables": environment or {}})
    event = s3_put_event(bucket=BUCKET, key=UPLOADS[0], size=12, time=lab.aws.clock.time(), rng=random.Random(2))
    record = lab.invoke(FUNCTION, event)
    if record.error_type:
        raise Failure(expected="s3-greeter to handle an upload event",
                      got=f"it failed: {describe_invocation_error(record)}",
                      hint="Try your handler with the test event in the lab notebook to see the whole error.")
    return function_output(record.log)


def _statements(lab) -> list[dict]:
    client = lab.client("lambda")
    try:
        return json.loads(client.get_policy(FunctionName=FUNCTION)["Policy"]).get("Statement", [])
    except client.exceptions.ResourceNotFoundException:
        return []


def _principals(statement: dict) -> list[str]:
    who = statement.get("Principal")
    if isinstance(who, str):
        return [who]
    values = (who or {}).values()
    return [v for vs in values for v in (vs if isinstance(vs, list) else [vs])]


@check("proof in the logs: each upload's key appears in the function's log group", points=2)
def keys_in_logs(lab):
    lab.deploy(FUNCTION)
    _wire_s3(lab)
    for key in UPLOADS:
        _upload(lab, key)
    failed = [r for r in _invocations(lab) if r.error_type]
    if failed:
        return Failure(expected=f"s3-greeter to handle the uploads of {' and '.join(UPLOADS)}",
                       got=f"it failed: {describe_invocation_error(failed[0])}",
                       hint="Try your handler with the test event in the lab notebook to see the whole error.")
    lines = lab.log_lines(FUNCTION)
    missing = [key for key in UPLOADS if not any(key in line for line in lines)]
    if missing:
        return Failure(expected=f"the key{'s' if len(missing) > 1 else ''} {' and '.join(missing)} in "
                                f"/aws/lambda/{FUNCTION} after uploading {'them' if len(missing) > 1 else 'it'}",
                       got=f"the function's log lines: {show(lines, 220)}",
                       hint='print() each record\'s key: record["s3"]["object"]["key"], for every record in '
                            'event["Records"]. Whatever a function prints goes to its CloudWatch Logs group.')


@check("greets with GREETING_PREFIX, set on the function by deploy.py", points=2)
def greeting_prefix(lab):
    deploy = lab.module("deploy.py")
    role = lab.call(deploy.create_role, lab.client("iam"), what="deploy.create_role(iam)")
    lab.call(deploy.create_function, lab.client("lambda"), role, what="deploy.create_function(lambda_client, role)")
    config = lab.client("lambda").get_function_configuration(FunctionName=FUNCTION)
    variables = (config.get("Environment") or {}).get("Variables") or {}
    deployed = variables.get("GREETING_PREFIX")
    if not deployed:
        return Failure(expected="deploy.create_function() to give s3-greeter the environment variable "
                                "GREETING_PREFIX", got=f"its environment variables are {show(variables)}",
                       hint='create_function takes Environment={"Variables": {"NAME": "value"}}.')
    for environment, prefix in (({"GREETING_PREFIX": deployed}, deployed),
                                ({"GREETING_PREFIX": "Bonjour"}, "Bonjour"), (None, "Hello")):
        lines = _greeting_lines(lab, environment)
        if not any(line.startswith(prefix) for line in lines):
            setting = f"GREETING_PREFIX={environment['GREETING_PREFIX']}" if environment else "GREETING_PREFIX not set"
            return Failure(expected=f'a log line that starts with "{prefix}" ({setting})',
                           got=f"the function printed {show(lines)}",
                           hint='Read the variable when the handler runs: os.environ.get("GREETING_PREFIX", '
                                '"Hello"). The default keeps the function working where the variable is not set.')


@check("lets S3 invoke the function, from the greeter-uploads bucket only", points=2)
def s3_permission(lab):
    _deploy(lab)
    statements = [s for s in _statements(lab) if "s3.amazonaws.com" in _principals(s)]
    if not statements:
        return Failure(expected="a statement in s3-greeter's resource-based policy that lets s3.amazonaws.com "
                                "call lambda:InvokeFunction",
                       got=f"the policy's statements: {show(_statements(lab)) if _statements(lab) else 'none'}",
                       hint="lambda_client.add_permission(FunctionName=..., StatementId=..., "
                            "Action=\"lambda:InvokeFunction\", Principal=\"s3.amazonaws.com\", SourceArn=...) adds "
                            "one. Without it S3 refuses the notification configuration.")
    limited = [s for s in statements if BUCKET_ARN in json.dumps(s.get("Condition") or {})]
    if not limited:
        return Failure(expected=f"the permission limited to the bucket (SourceArn {BUCKET_ARN})",
                       got=f"a permission for any bucket: {show(statements[0].get('Condition') or 'no condition')}",
                       hint=f'Add SourceArn="{BUCKET_ARN}" to add_permission: without it any S3 bucket, in any '
                            "account, whose owner knows the function's ARN could invoke it.")


@check("S3 invokes the function for uploads under incoming/, and only those", points=2)
def trigger_on_prefix(lab):
    _deploy(lab)
    for key in NOT_UPLOADS:
        _upload(lab, key)
    if _invocations(lab):
        config = lab.client("s3").get_bucket_notification_configuration(Bucket=BUCKET)
        return Failure(expected=f"no invocation for {', '.join(NOT_UPLOADS)} (they are not under {PREFIX})",
                       got=f"{len(_invocations(lab))} invocation(s); the bucket's notification configuration: "
                           f"{show(config.get('LambdaFunctionConfigurations'), 220)}",
                       hint=f'Add a filter to the configuration: "Filter": {{"Key": {{"FilterRules": [{{"Name": '
                            f'"prefix", "Value": "{PREFIX}"}}]}}}}.')
    _upload(lab, UPLOADS[0])
    if len(_invocations(lab)) != 1:
        configurations = lab.client("s3").get_bucket_notification_configuration(Bucket=BUCKET).get(
            "LambdaFunctionConfigurations")
        return Failure(expected=f"one invocation of {FUNCTION} after uploading {UPLOADS[0]}",
                       got=f"{len(_invocations(lab))}; the bucket's notification configuration: "
                           f"{show(configurations, 220) if configurations else 'none'}",
                       hint="s3.put_bucket_notification_configuration(Bucket=..., NotificationConfiguration="
                            "{\"LambdaFunctionConfigurations\": [{\"LambdaFunctionArn\": ..., \"Events\": "
                            "[\"s3:ObjectCreated:*\"], \"Filter\": ...}]}) tells S3 which function to invoke.")


@check("cleanup.py deletes the function and its role, and nothing else", points=2)
def cleanup(lab):
    iam, client = lab.client("iam"), lab.client("lambda")
    role_arn = iam.create_role(RoleName=ROLE, AssumeRolePolicyDocument=json.dumps(LAMBDA_TRUST_POLICY))["Role"]["Arn"]
    iam.attach_role_policy(RoleName=ROLE, PolicyArn=BASIC_EXECUTION)
    lab.deploy(FUNCTION, role=role_arn)  # what deploy.py creates, made here so this check needs only cleanup.py
    _wire_s3(lab)
    _upload(lab, UPLOADS[0])
    lab.deploy("someone-elses-function")  # with the lab's other role: both must survive
    lab.call(lab.module("cleanup.py").main, what="cleanup.main()",
             hint="Read the error. IAM answers DeleteConflict while a role still has policies: detach the managed "
                  "ones (list_attached_role_policies, detach_role_policy) and delete the inline ones "
                  "(list_role_policies, delete_role_policy) before delete_role.")
    functions = [f["FunctionName"] for page in client.get_paginator("list_functions").paginate()
                 for f in page["Functions"]]
    roles = [r["RoleName"] for page in iam.get_paginator("list_roles").paginate() for r in page["Roles"]]
    left = [f"the function {FUNCTION}" for name in functions if name == FUNCTION] + \
        [f"the role {ROLE}" for name in roles if name == ROLE]
    if left:
        return Failure(expected=f"list_functions and list_roles to show neither {FUNCTION} nor {ROLE} after "
                                "cleanup.main()", got=f"{' and '.join(left)} still listed",
                       hint="lambda_client.delete_function(FunctionName=...) and iam.delete_role(RoleName=...) "
                            "(after detaching its policies). Anything left behind can keep running, and billing.")
    gone = [name for name, listing in (("someone-elses-function", functions), ("lab-function-role", roles))
            if name not in listing]
    if gone:
        return Failure(expected=f"only {FUNCTION} and {ROLE} deleted",
                       got=f"cleanup.main() also deleted {', '.join(gone)}",
                       hint="Delete by name what deploy.py created, never everything a listing returns.")
