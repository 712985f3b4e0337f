"""The request context a handler's call is checked with: the principal's global keys, the time on the virtual clock,
resource and request tags, and policy variables in Resource and condition values (IAM User Guide: "AWS global
condition context keys", "IAM policy elements: Variables and tags", "Condition operators").

One sandbox for the module: a function whose role is tagged team=blue, calling the AWS API from inside an invocation;
each test puts the role's policy and asks the handler to make calls."""

import json

import boto3
import pytest

import lambda_local
from conftest import BASIC_EXECUTION, TRUST_POLICY, zip_files
from lambda_local import iam
from lambda_local.iam_conditions import conditions_match

ACCOUNT, REGION = "123456789012", "us-east-1"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/lambda-role"

CALLER = """
import boto3
def handler(event, context):
    results = []
    for service, method, args in event["calls"]:
        client = boto3.client(service)
        try:
            getattr(client, method)(**args)
            results.append("allowed")
        except client.exceptions.ClientError as error:
            results.append([error.response["Error"]["Code"], error.response["Error"]["Message"]])
    return results
"""


@pytest.fixture(scope="module")
def world():
    with lambda_local.mock_aws(seed=7, start="2026-01-01T00:00:00Z") as sandbox:
        client = boto3.client("iam")
        role = client.create_role(RoleName="lambda-role", AssumeRolePolicyDocument=TRUST_POLICY,
                                  Tags=[{"Key": "team", "Value": "blue"}])["Role"]
        client.attach_role_policy(RoleName="lambda-role", PolicyArn=BASIC_EXECUTION)
        boto3.client("lambda").create_function(
            FunctionName="caller", Role=ROLE, Handler="lambda_function.handler", Runtime="python3.12", Timeout=30,
            Code={"ZipFile": zip_files({"lambda_function.py": CALLER})}, Tags={"team": "blue"})
        dynamodb = boto3.client("dynamodb")
        for table, team in (("blue-orders", "blue"), ("red-orders", "red")):
            dynamodb.create_table(TableName=table, BillingMode="PAY_PER_REQUEST",
                                  KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
                                  AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
                                  Tags=[{"Key": "team", "Value": team}])
        s3 = boto3.client("s3")
        s3.create_bucket(Bucket="shared")
        s3.put_object(Bucket="shared", Key="public.txt", Body=b"x", Tagging="classification=public")
        s3.put_object(Bucket="shared", Key="secret.txt", Body=b"x", Tagging="classification=secret")
        yield sandbox, role


def put_policy(statements, version="2012-10-17"):
    document = {"Statement": statements} if version is None else {"Version": version, "Statement": statements}
    boto3.client("iam").put_role_policy(RoleName="lambda-role", PolicyName="app", PolicyDocument=json.dumps(document))


def calls(*calls):
    response = boto3.client("lambda").invoke(FunctionName="caller", Payload=json.dumps({"calls": calls}))
    return json.loads(response["Payload"].read())


def denied(action, resource, explicit=False):
    reason = "with an explicit deny in an identity-based policy" if explicit else \
        f"because no identity-based policy allows the {action} action"
    return (f"User: arn:aws:sts::{ACCOUNT}:assumed-role/lambda-role/caller is not authorized to perform: {action} "
            f"on resource: {resource} {reason}")


def get_item(table):
    return "dynamodb", "get_item", {"TableName": table, "Key": {"id": {"S": "1"}}}


def put_object(key):
    return "s3", "put_object", {"Bucket": "shared", "Key": key, "Body": "x"}


def table_arn(table):
    return f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/{table}"


# --- tags: the principal's and the resource's -------------------------------------------------------------------------
def test_abac_a_role_reaches_the_tables_tagged_with_its_own_team(world):
    put_policy([{"Effect": "Allow", "Action": "dynamodb:GetItem", "Resource": "*",
                 "Condition": {"StringEquals": {"aws:ResourceTag/team": "${aws:PrincipalTag/team}"}}}])
    assert calls(get_item("blue-orders"), get_item("red-orders")) == [
        "allowed", ["AccessDeniedException", denied("dynamodb:GetItem", table_arn("red-orders"))]]


@pytest.mark.parametrize("service, method, args, action", [
    ("sqs", "send_message", {"QueueUrl": "QUEUE", "MessageBody": "x"}, "sqs:SendMessage"),
    ("sns", "publish", {"TopicArn": "TOPIC", "Message": "x"}, "sns:Publish"),
    ("secretsmanager", "get_secret_value", {"SecretId": "db"}, "secretsmanager:GetSecretValue"),
    ("lambda", "get_function_configuration", {"FunctionName": "caller"}, "lambda:GetFunctionConfiguration"),
])
def test_resource_tags_are_read_from_each_service(world, service, method, args, action):
    queue = boto3.client("sqs").create_queue(QueueName="jobs", tags={"team": "blue"})["QueueUrl"]
    topic = boto3.client("sns").create_topic(Name="alerts", Tags=[{"Key": "team", "Value": "blue"}])["TopicArn"]
    secrets = boto3.client("secretsmanager")
    if not secrets.list_secrets()["SecretList"]:
        secrets.create_secret(Name="db", SecretString="s", Tags=[{"Key": "team", "Value": "blue"}])
    args = {k: {"QUEUE": queue, "TOPIC": topic}.get(v, v) for k, v in args.items()}
    allow = {"Effect": "Allow", "Action": action, "Resource": "*"}
    put_policy([{**allow, "Condition": {"StringEquals": {"aws:ResourceTag/team": "blue"}}}])
    assert calls((service, method, args)) == ["allowed"]
    put_policy([{**allow, "Condition": {"StringEquals": {"aws:ResourceTag/team": "red"}}}])
    assert calls((service, method, args))[0][1].startswith(f"User: arn:aws:sts::{ACCOUNT}:assumed-role/lambda-role/"
                                                           f"caller is not authorized to perform: {action}")


def test_an_s3_object_is_judged_by_its_own_tags(world):
    put_policy([{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::shared/*",
                 "Condition": {"StringEquals": {"s3:ExistingObjectTag/classification": "public"}}}])
    read = [("s3", "get_object", {"Bucket": "shared", "Key": key}) for key in ("public.txt", "secret.txt")]
    assert calls(*read) == ["allowed", ["AccessDenied", denied("s3:GetObject", "arn:aws:s3:::shared/secret.txt")]]


def test_request_tags_and_tag_keys_of_a_create_call(world):
    put_policy([{"Effect": "Allow", "Action": "sqs:CreateQueue", "Resource": "*", "Condition": {
        "StringEquals": {"aws:RequestTag/team": "${aws:PrincipalTag/team}"},
        "ForAllValues:StringEquals": {"aws:TagKeys": ["team", "env"]}}}])
    create = [("sqs", "create_queue", {"QueueName": "q1", "tags": {"team": "blue", "env": "dev"}}),
              ("sqs", "create_queue", {"QueueName": "q2", "tags": {"team": "red"}}),
              ("sqs", "create_queue", {"QueueName": "q3", "tags": {"team": "blue", "owner": "ana"}}),
              ("sqs", "create_queue", {"QueueName": "q4"})]
    assert [r if r == "allowed" else r[0] for r in calls(*create)] == [
        "allowed", "AccessDenied", "AccessDenied", "AccessDenied"]


def test_an_s3_upload_is_judged_by_the_tags_it_puts_on_the_object(world):
    put_policy([{"Effect": "Allow", "Action": "s3:PutObject", "Resource": "arn:aws:s3:::shared/*", "Condition": {
        "StringEquals": {"s3:RequestObjectTag/classification": "public"},
        "ForAllValues:StringEquals": {"s3:RequestObjectTagKeys": ["classification"]}}}])
    uploads = [("s3", "put_object", {**put_object("u.txt")[2], "Tagging": tagging})
               for tagging in ("classification=public", "classification=secret", "classification=public&owner=ana")]
    assert [r if r == "allowed" else r[0] for r in calls(*uploads, put_object("u.txt"))] == [
        "allowed", "AccessDenied", "AccessDenied", "AccessDenied"]


# --- the principal ----------------------------------------------------------------------------------------------------
def test_the_principal_keys_of_a_functions_role_session(world):
    _, role = world
    put_policy([{"Effect": "Allow", "Action": "dynamodb:GetItem", "Resource": "*", "Condition": {
        "ArnEquals": {"aws:PrincipalArn": ROLE},
        "StringEquals": {"aws:PrincipalAccount": ACCOUNT, "aws:PrincipalType": "AssumedRole",
                         "aws:userid": f"{role['RoleId']}:caller", "aws:RequestedRegion": REGION},
        "StringLike": {"aws:userid": "AROA*:caller"},
        "Bool": {"aws:SecureTransport": "true", "aws:PrincipalIsAWSService": "false"},
        "Null": {"aws:username": "true", "aws:TokenIssueTime": "false"}}}])
    assert calls(get_item("blue-orders")) == ["allowed"]
    put_policy([{"Effect": "Allow", "Action": "dynamodb:GetItem", "Resource": "*",
                 "Condition": {"StringEquals": {"aws:PrincipalType": "User"}}}])
    assert calls(get_item("blue-orders"))[0][0] == "AccessDeniedException"


def test_time_keys_follow_the_virtual_clock(world):
    sandbox, _ = world
    now = sandbox.clock.time()
    put_policy([{"Effect": "Allow", "Action": "dynamodb:GetItem", "Resource": "*", "Condition": {
        "DateLessThan": {"aws:CurrentTime": "2026-03-01T00:00:00Z"},
        "NumericLessThan": {"aws:EpochTime": str(int(now) + 2 * 3600)}}}])
    assert calls(get_item("blue-orders")) == ["allowed"]
    sandbox.advance(hours=3)  # past the EpochTime bound, still before March
    assert calls(get_item("blue-orders"))[0][0] == "AccessDeniedException"


# --- policy variables -------------------------------------------------------------------------------------------------
def test_a_variable_in_resource_scopes_each_role_to_its_own_prefix(world):
    put_policy([{"Effect": "Allow", "Action": "s3:PutObject",
                 "Resource": "arn:aws:s3:::shared/${aws:PrincipalTag/team}/*"}])
    assert calls(put_object("blue/a.txt"), put_object("red/a.txt")) == [
        "allowed", ["AccessDenied", denied("s3:PutObject", "arn:aws:s3:::shared/red/a.txt")]]


def test_defaults_escapes_and_variables_that_cannot_be_resolved(world):
    put_policy([
        # aws:username is absent for a role session: this ARN matches nothing
        {"Effect": "Allow", "Action": "s3:PutObject", "Resource": "arn:aws:s3:::shared/${aws:username}/*"},
        # a tag the role lacks falls back to the default
        {"Effect": "Allow", "Action": "s3:PutObject",
         "Resource": "arn:aws:s3:::shared/${aws:PrincipalTag/dept, 'all'}/*"},
        # ${*} is a literal star, not a wildcard
        {"Effect": "Allow", "Action": "s3:PutObject", "Resource": "arn:aws:s3:::shared/star${*}"},
        # an unresolved variable in a negated condition: the Deny cannot be evaluated, so it does not apply
        {"Effect": "Deny", "Action": "s3:PutObject", "Resource": "*",
         "Condition": {"StringNotEquals": {"aws:PrincipalType": "${aws:username}"}}}])
    assert calls(put_object("all/a.txt"), put_object("star*"), put_object("starX"), put_object("/a.txt")) == [
        "allowed", "allowed", ["AccessDenied", denied("s3:PutObject", "arn:aws:s3:::shared/starX")],
        ["AccessDenied", denied("s3:PutObject", "arn:aws:s3:::shared//a.txt")]]


def test_a_variable_in_a_condition_value(world):
    put_policy([{"Effect": "Allow", "Action": "s3:ListBucket", "Resource": "arn:aws:s3:::shared",
                 "Condition": {"StringLike": {"s3:prefix": "${aws:PrincipalTag/team}/*"}}}])
    listing = [("s3", "list_objects_v2", {"Bucket": "shared", "Prefix": prefix}) for prefix in ("blue/x", "red/x")]
    assert calls(*listing) == ["allowed", ["AccessDenied", denied("s3:ListBucket", "arn:aws:s3:::shared")]]


# --- the condition operators, as the IAM User Guide defines them ------------------------------------------------------
@pytest.mark.parametrize("condition, context, expected", [
    # ForAnyValue over an absent key (or an empty set) is false, even negated; IfExists makes it true
    ({"ForAnyValue:StringEquals": {"aws:TagKeys": "team"}}, {}, False),
    ({"ForAnyValue:StringNotEquals": {"aws:TagKeys": "team"}}, {}, False),
    ({"ForAnyValue:StringEqualsIfExists": {"aws:TagKeys": "team"}}, {}, True),
    ({"ForAnyValue:StringEquals": {"aws:TagKeys": "team"}}, {"aws:tagkeys": []}, False),
    ({"ForAllValues:StringNotEquals": {"aws:TagKeys": "team"}}, {}, True),
    ({"ForAllValues:StringNotEquals": {"aws:TagKeys": "team"}}, {"aws:tagkeys": ["env", "team"]}, False),
    ({"ForAnyValue:StringNotEquals": {"aws:TagKeys": "team"}}, {"aws:tagkeys": ["env", "team"]}, True),
    ({"StringEqualsIgnoreCase": {"aws:PrincipalTag/team": "BLUE"}}, {"aws:principaltag/team": "blue"}, True),
    ({"StringNotLike": {"s3:prefix": "home/*"}}, {"s3:prefix": "etc"}, True),
    ({"NumericEqualsIfExists": {"s3:max-keys": "10"}}, {}, True),
    ({"DateGreaterThan": {"aws:EpochTime": "1767225600"}}, {"aws:epochtime": "1767225601"}, True),
    ({"DateLessThanEquals": {"aws:TokenIssueTime": "2026-01-01"}}, {"aws:tokenissuetime": "2026-01-01T00:00:00Z"},
     True),
    ({"IpAddress": {"aws:SourceIp": "203.0.113.0/24"}}, {"aws:sourceip": "203.0.113.9"}, True),
    ({"IpAddress": {"aws:SourceIp": "2001:db8::/32"}}, {"aws:sourceip": "2001:db8::1"}, True),
    ({"NotIpAddress": {"aws:SourceIp": "203.0.113.0/24"}}, {"aws:sourceip": "198.51.100.1"}, True),
    ({"NotIpAddress": {"aws:SourceIp": "203.0.113.0/24"}}, {}, True),  # absent: a negated operator matches
    ({"BinaryEquals": {"k": "QmluYXJ5"}}, {"k": b"Binary"}, True),
    ({"BinaryEquals": {"k": "QmluYXJ5"}}, {"k": b"Other"}, False),
    ({"ArnNotLike": {"aws:SourceArn": "arn:aws:s3:::photos*"}}, {"aws:sourcearn": "arn:aws:s3:::docs"}, True),
    ({"Bool": {"aws:SecureTransport": True}}, {"aws:securetransport": "true"}, True),
    # the Condition operators page's example: ArnLike matches part by part, where StringLike runs across colons
    ({"ArnLike": {"k": "arn:aws:someservice:*:111122223333:finance/*"}},
     {"k": "arn:aws:someservice:us-east-2:999999999999:store/abc:111122223333:finance/document.txt"}, False),
    ({"StringLike": {"k": "arn:aws:someservice:*:111122223333:finance/*"}},
     {"k": "arn:aws:someservice:us-east-2:999999999999:store/abc:111122223333:finance/document.txt"}, True),
])
def test_condition_operators(condition, context, expected):
    assert conditions_match(condition, context) is expected


@pytest.mark.parametrize("condition, expected", [
    ({"StringEquals": {"aws:PrincipalTag/team": "${aws:PrincipalTag/team}"}}, True),
    ({"StringLike": {"s3:prefix": "${aws:PrincipalTag/team}/*"}}, True),
    ({"ArnLike": {"aws:SourceArn": "${aws:PrincipalArn}"}}, True),  # a substituted ARN's colons are its own
    ({"ArnEquals": {"aws:SourceArn": "arn:aws:iam::${aws:PrincipalAccount}:role/*"}}, True),
    ({"StringEquals": {"s3:prefix": "${aws:TagKeys}"}}, False),  # a multivalued key is no variable
    ({"StringEquals": {"s3:prefix": "blue${$}"}}, False),
    ({"NumericEquals": {"s3:max-keys": "${aws:EpochTime}"}}, False),  # variables only in String and Arn operators
    ({"StringEquals": {"aws:PrincipalTag/team": "${AWS:principaltag/TEAM}"}}, True),  # names are case-insensitive
    ({"StringEquals": {"s3:prefix": "${aws:PrincipalTag/none, 'blue''s'}/x"}}, False),  # the default is blue's
    ({"StringLike": {"s3:prefix": "${aws:PrincipalTag/none, 'blue'}/*"}}, True),
    ({"Bool": {"aws:SecureTransport": "${aws:ViaAWSService}"}}, False),
    ({"Bool": {"aws:ViaAWSService": "${aws:ViaAWSService}"}}, True),
])
def test_policy_variables_in_condition_values(condition, expected):
    context = {"aws:principaltag/team": "blue", "s3:prefix": "blue/x", "aws:sourcearn": ROLE, "aws:principalarn": ROLE,
               "aws:principalaccount": ACCOUNT, "aws:tagkeys": ["blue/x"], "s3:max-keys": "5", "aws:epochtime": "5",
               "aws:securetransport": "true", "aws:viaawsservice": "false"}
    assert conditions_match(condition, context, variables=True) is expected


@pytest.mark.parametrize("version", ["2008-10-17", None])
def test_before_version_2012_10_17_a_variable_is_literal_text(version):
    # IAM itself refuses identity policies older than 2012-10-17 (moto too: MalformedPolicyDocument), so the older
    # language is met in documents judged on their own, such as the policy a Lambda authorizer returns.
    statement = {"Effect": "Allow", "Action": "execute-api:Invoke", "Resource": "arn:aws:execute-api:*:*:a/${aws:x}"}
    document = {"Statement": [statement]} if version is None else {"Version": version, "Statement": [statement]}
    context = {"aws:x": "blue"}
    for resource, verdict in (("arn:aws:execute-api:*:*:a/blue", "ImplicitDeny"),
                              ("arn:aws:execute-api:*:*:a/${aws:x}", "Allow")):
        assert iam.document_decision(document, "execute-api:Invoke", resource, context) == verdict
        assert iam.evaluate([statement], "execute-api:Invoke", resource, context, version=version) == verdict
    assert iam.evaluate([statement], "execute-api:Invoke", "arn:aws:execute-api:*:*:a/blue", context) == "Allow"
