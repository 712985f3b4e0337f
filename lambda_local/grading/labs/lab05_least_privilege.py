"""Lab 05: a least-privilege execution role. The function must work with policy.json, and nothing else may."""

from __future__ import annotations

import random
from decimal import Decimal

from ..checks import Failure, check, describe_invocation_error

LAB = "05-least-privilege"
TITLE = "A least-privilege execution role"

FUNCTION, PROBE = "report-indexer", "permission-probe"
BUCKET, TABLE = "acme-reports", "report-index"
ACCOUNT, REGION = "123456789012", "us-east-1"
_DENIED_CODES = ("AccessDenied", "AccessDeniedException", "AuthorizationError")

# The probe runs every call with the learner's role, through the runtime's enforced IAM, and reports IAM's answer.
_PROBE_SOURCE = """
import boto3

DENIED = {denied!r}


def lambda_handler(event, context):
    answers = []
    for call in event["calls"]:
        client = boto3.client(call["service"])
        try:
            getattr(client, call["method"])(**call["args"])
            answers.append("allowed")
        except client.exceptions.ClientError as error:
            code = error.response["Error"]["Code"]
            # An identity-policy denial names the action; S3 hides a missing key behind a bare "Access Denied".
            iam = code in DENIED and "is not authorized to perform" in error.response["Error"]["Message"]
            answers.append("denied" if iam else "allowed")
    return answers
""".format(denied=_DENIED_CODES)


def _call(service, method, action, resource, **args) -> dict:
    return {"service": service, "method": method, "args": args, "action": action, "resource": resource}


def _s3(method, action, key, bucket=BUCKET, **args):
    return _call("s3", method, action, f"arn:aws:s3:::{bucket}/{key}", Bucket=bucket, Key=key, **args)


def _table(method, action, table=TABLE, **args):
    return _call("dynamodb", method, action, f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/{table}",
                 TableName=table, **args)


_ITEM = {"report": {"S": "incoming/probe.csv"}}
READS = [_s3("get_object", "s3:GetObject", "incoming/2026-q1.csv"),
         _s3("get_object", "s3:GetObject", "incoming/2026/03/sales.csv")]
WRITES = [_table("put_item", "dynamodb:PutItem", Item=_ITEM)]
_GROUP = f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:/aws/lambda/{FUNCTION}"
OWN_LOG_GROUP = [
    _call("logs", "create_log_group", "logs:CreateLogGroup", _GROUP, logGroupName=f"/aws/lambda/{FUNCTION}"),
    _call("logs", "create_log_stream", "logs:CreateLogStream", f"{_GROUP}:log-stream:2026/01/01/probe",
          logGroupName=f"/aws/lambda/{FUNCTION}", logStreamName="2026/01/01/probe"),
    _call("logs", "put_log_events", "logs:PutLogEvents", f"{_GROUP}:log-stream:2026/01/01/probe",
          logGroupName=f"/aws/lambda/{FUNCTION}", logStreamName="2026/01/01/probe",
          logEvents=[{"timestamp": 1767258000000, "message": "probe"}]),
]
MUST_BE_DENIED = [
    _s3("get_object", "s3:GetObject", "private/payroll.csv"),
    _s3("get_object", "s3:GetObject", "incoming-archive/2019.csv"),
    _s3("get_object", "s3:GetObject", "incoming/2026-q1.csv", bucket="acme-archive"),
    _s3("put_object", "s3:PutObject", "incoming/forged.csv", Body="x"),
    _s3("delete_object", "s3:DeleteObject", "incoming/2026-q1.csv"),
    _call("s3", "list_objects_v2", "s3:ListBucket", f"arn:aws:s3:::{BUCKET}", Bucket=BUCKET),
    _table("get_item", "dynamodb:GetItem", Key=_ITEM),
    _table("delete_item", "dynamodb:DeleteItem", Key=_ITEM),
    _table("scan", "dynamodb:Scan"),
    _table("put_item", "dynamodb:PutItem", table="customers", Item={"id": {"S": "probe"}}),
    _table("delete_table", "dynamodb:DeleteTable"),
    _call("logs", "create_log_group", "logs:CreateLogGroup",
          f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:/aws/lambda/payments", logGroupName="/aws/lambda/payments"),
    _call("logs", "put_log_events", "logs:PutLogEvents",
          f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:/aws/lambda/payments:log-stream:probe",
          logGroupName="/aws/lambda/payments", logStreamName="probe",
          logEvents=[{"timestamp": 1767258000000, "message": "forged"}]),
    _call("sqs", "send_message", "sqs:SendMessage", f"arn:aws:sqs:{REGION}:{ACCOUNT}:jobs",
          QueueUrl=f"https://sqs.{REGION}.amazonaws.com/{ACCOUNT}/jobs", MessageBody="x"),
]
REPORT = "region,amount\nnorth,120.50\nsouth,80.25\neast,99.25\n"


def _setup(lab) -> str:
    """The function's world (bucket, table, a report), the learner's role, the function and the probe."""
    lab.client("s3").create_bucket(Bucket=BUCKET)
    lab.client("s3").put_object(Bucket=BUCKET, Key="incoming/2026-q1.csv", Body=REPORT.encode())
    lab.client("dynamodb").create_table(
        TableName=TABLE, KeySchema=[{"AttributeName": "report", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "report", "AttributeType": "S"}], BillingMode="PAY_PER_REQUEST")
    role = lab.role(f"{FUNCTION}-role", policy=lab.read_json("policy.json"), managed=())
    lab.deploy(FUNCTION, role=role)
    lab.deploy(PROBE, {"lambda_function.py": _PROBE_SOURCE}, role=role)
    return role


def _answers(lab, calls) -> list[str]:
    record = lab.invoke(PROBE, {"calls": [{k: c[k] for k in ("service", "method", "args")} for c in calls]})
    if record.error_type:  # the probe is ours; this is a bug in the check, reported as a failure
        raise Failure(expected="the permission probe to run", got=describe_invocation_error(record),
                      hint="This is a bug in the check: tell your instructor.")
    return record.payload


def _listed(calls) -> str:
    return "; ".join(f"{c['action']} on {c['resource']}" for c in calls)


def _must_allow(lab, calls, hint: str):
    _setup(lab)
    refused = [c for c, answer in zip(calls, _answers(lab, calls)) if answer != "allowed"]
    if refused:
        raise Failure(expected=f"your policy to allow {_listed(calls)}", got=f"IAM denied {_listed(refused)}",
                      hint=hint)


def _run_function(lab):
    from ...events import s3_put_event

    event = s3_put_event(bucket=BUCKET, key="incoming/2026-q1.csv", size=len(REPORT), time=lab.aws.clock.time(),
                         rng=random.Random(4))
    return lab.invoke(FUNCTION, event)


def _works(lab) -> None:
    """The function indexes the report end to end, or a Failure that says what stopped it."""
    record = _run_function(lab)
    if record.error_type:
        raise Failure(expected="report-indexer to index incoming/2026-q1.csv with your policy",
                      got=f"it failed: {describe_invocation_error(record)}",
                      hint="An AccessDenied message names the action and the resource your policy is missing.")
    item = lab.client("dynamodb").get_item(TableName=TABLE, Key={"report": {"S": "incoming/2026-q1.csv"}})
    stored = item.get("Item", {})
    if stored.get("rows", {}).get("N") != "3" or Decimal(stored.get("total", {}).get("N", "0")) != Decimal("300.00"):
        raise Failure(expected='an item {"report": "incoming/2026-q1.csv", "rows": 3, "total": 300} in report-index',
                      got=f"the item {stored or 'is missing'}",
                      hint="lambda_function.py is finished: reset it (keep your policy.json) if you changed it.")


@check("reads reports under incoming/ in acme-reports", points=2)
def reads_incoming(lab):
    _must_allow(lab, READS, "The function calls s3.get_object on objects under incoming/ (at any depth). S3 object "
                            "ARNs look like arn:aws:s3:::bucket/key, and * matches any characters.")


@check("writes items to the report-index table", points=2)
def writes_table(lab):
    _must_allow(lab, WRITES, "The function calls table.put_item. DynamoDB table ARNs look like "
                             "arn:aws:dynamodb:REGION:ACCOUNT:table/NAME.")


@check("writes its logs to its own log group", points=2)
def writes_own_logs(lab):
    _must_allow(lab, OWN_LOG_GROUP, "Lambda writes the function's logs with its role: it needs logs:CreateLogGroup "
                                    "on the function's log group, and logs:CreateLogStream and logs:PutLogEvents "
                                    "on the streams in it (log-group:NAME:*).")


@check("indexes a report end to end with this policy", points=2)
def works_end_to_end(lab):
    _setup(lab)
    _works(lab)


@check("denies everything else the function does not need", points=4)
def denies_the_rest(lab):
    _setup(lab)
    needed = READS + WRITES + OWN_LOG_GROUP
    if any(answer != "allowed" for answer in _answers(lab, needed)):
        return Failure(expected="the function to work first, with nothing else allowed",
                       got="your policy does not yet allow everything the function needs",
                       hint="Make the four checks above pass first; least privilege means enough, and no more.")
    _works(lab)
    allowed = [c for c, answer in zip(MUST_BE_DENIED, _answers(lab, MUST_BE_DENIED)) if answer == "allowed"]
    if allowed:
        return Failure(expected=f"AccessDenied for all {len(MUST_BE_DENIED)} calls the function never makes",
                       got=f"{len(allowed)} allowed: {_listed(allowed)}",
                       hint="Name the exact actions (no service:*) and the narrowest resources: one bucket "
                            "prefix (mind the / after incoming), one table, one log group.")
