"""The execution role is enforced on calls a handler makes; the learner's own calls are not limited."""

import json

import boto3
import pytest

from conftest import BASIC_EXECUTION, TRUST_POLICY, invoke

CALLER = """
import boto3, json
def handler(event, context):
    client = boto3.client(event["service"])
    try:
        getattr(client, event["method"])(**event["args"])
        return "allowed"
    except client.exceptions.ClientError as error:
        return [error.response["Error"]["Code"], error.response["Error"]["Message"]]
"""


def put_policy(statements):
    boto3.client("iam").put_role_policy(RoleName="lambda-role", PolicyName="app", PolicyDocument=json.dumps(
        {"Version": "2012-10-17", "Statement": statements}))


@pytest.fixture
def resources(aws):
    s3 = boto3.client("s3")
    s3.create_bucket(Bucket="in-bucket")
    s3.create_bucket(Bucket="other-bucket")
    queue = boto3.client("sqs").create_queue(QueueName="jobs")["QueueUrl"]
    topic = boto3.client("sns").create_topic(Name="alerts")["TopicArn"]
    boto3.client("dynamodb").create_table(
        TableName="users", KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}], BillingMode="PAY_PER_REQUEST")
    return {"queue": queue, "topic": topic}


CASES = [
    ("s3", "put_object", {"Bucket": "in-bucket", "Key": "a.txt", "Body": "x"}, "AccessDenied",
     "s3:PutObject", "arn:aws:s3:::in-bucket/a.txt"),
    ("sqs", "send_message", {"QueueUrl": "{queue}", "MessageBody": "x"}, "AccessDenied",
     "sqs:SendMessage", "arn:aws:sqs:us-east-1:123456789012:jobs"),
    ("sns", "publish", {"TopicArn": "{topic}", "Message": "x"}, "AuthorizationError",
     "sns:Publish", "arn:aws:sns:us-east-1:123456789012:alerts"),
    ("dynamodb", "put_item", {"TableName": "users", "Item": {"id": {"S": "1"}}}, "AccessDeniedException",
     "dynamodb:PutItem", "arn:aws:dynamodb:us-east-1:123456789012:table/users"),
    ("lambda", "invoke", {"FunctionName": "other"}, "AccessDeniedException",
     "lambda:InvokeFunction", "arn:aws:lambda:us-east-1:123456789012:function:other"),
    ("events", "put_events", {"Entries": [{"Source": "app", "DetailType": "t", "Detail": "{}"}]},
     "AccessDeniedException", "events:PutEvents", "arn:aws:events:us-east-1:123456789012:event-bus/default"),
    ("logs", "create_log_group", {"logGroupName": "/app/custom"}, None, None, None),  # allowed by the basic role
]


@pytest.mark.parametrize("service, method, args, code, action, resource", CASES, ids=[c[1] for c in CASES])
def test_calls_the_role_does_not_allow_are_denied_as_aws_denies_them(aws, create, resources, service, method,
                                                                    args, code, action, resource):
    create("caller", CALLER)
    create("other", "def handler(e, c):\n    return 1\n")
    args = json.loads(json.dumps(args).replace("{queue}", resources["queue"]).replace("{topic}", resources["topic"]))
    result = invoke("caller", {"service": service, "method": method, "args": args})[1]
    if code is None:
        assert result == "allowed"
        return
    assert result[0] == code
    assert result[1] == (f"User: arn:aws:sts::123456789012:assumed-role/lambda-role/caller is not authorized to "
                         f"perform: {action} on resource: {resource} because no identity-based policy allows "
                         f"the {action} action")
    put_policy([{"Effect": "Allow", "Action": action, "Resource": resource}])
    assert invoke("caller", {"service": service, "method": method, "args": args})[1] == "allowed"


def test_resource_arns_are_matched_with_wildcards_and_deny_wins(aws, create, resources):
    create("caller", CALLER)
    put_policy([{"Effect": "Allow", "Action": ["s3:GetObject", "s3:PutObject"], "Resource": "arn:aws:s3:::in-bucket/*"},
                {"Effect": "Deny", "Action": "s3:PutObject", "Resource": "arn:aws:s3:::in-bucket/private/*"}])
    put = lambda bucket, key: invoke("caller", {"service": "s3", "method": "put_object",  # noqa: E731
                                                "args": {"Bucket": bucket, "Key": key, "Body": "x"}})[1]
    assert put("in-bucket", "public/a.txt") == "allowed"
    assert put("in-bucket", "private/a.txt")[0] == "AccessDenied"
    assert put("other-bucket", "a.txt")[0] == "AccessDenied"


def test_the_learners_own_calls_are_not_limited(aws, create, resources):
    create("caller", CALLER)
    boto3.client("s3").put_object(Bucket="in-bucket", Key="mine.txt", Body=b"hi")
    assert boto3.client("s3").get_object(Bucket="in-bucket", Key="mine.txt")["Body"].read() == b"hi"


def test_without_logging_permissions_logs_never_reach_cloudwatch(aws, resources):
    iam = boto3.client("iam")
    role = iam.create_role(RoleName="silent", AssumeRolePolicyDocument=TRUST_POLICY)["Role"]["Arn"]
    from conftest import zip_files
    boto3.client("lambda").create_function(
        FunctionName="silent", Runtime="python3.12", Role=role, Handler="lambda_function.handler", Timeout=30,
        Code={"ZipFile": zip_files({"lambda_function.py": "def handler(e, c):\n    print('hi')\n"})})
    response, _ = invoke("silent", LogType="Tail")
    assert "LogResult" in response  # the caller still gets the tail
    groups = boto3.client("logs").describe_log_groups()["logGroups"]
    assert groups == []
    iam.attach_role_policy(RoleName="silent",
                           PolicyArn="arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole")
    invoke("silent")
    assert [g["logGroupName"] for g in boto3.client("logs").describe_log_groups()["logGroups"]] == [
        "/aws/lambda/silent"]


def test_logging_stops_at_the_next_invocation_once_the_policy_is_detached_and_resumes_when_reattached(aws):
    """allows_logging remembers its answer per revision of the role's policies: a change is seen at once."""
    iam, logs = boto3.client("iam"), boto3.client("logs")
    role = iam.create_role(RoleName="fickle", AssumeRolePolicyDocument=TRUST_POLICY)["Role"]["Arn"]
    iam.attach_role_policy(RoleName="fickle", PolicyArn=BASIC_EXECUTION)
    from conftest import zip_files
    boto3.client("lambda").create_function(
        FunctionName="fickle", Runtime="python3.12", Role=role, Handler="lambda_function.handler", Timeout=30,
        Code={"ZipFile": zip_files({"lambda_function.py": "def handler(e, c):\n    print('line', e['n'])\n"})})

    def printed():
        events = logs.filter_log_events(logGroupName="/aws/lambda/fickle")["events"]
        return [int(e["message"].split()[1]) for e in events if e["message"].startswith("line")]

    invoke("fickle", {"n": 1})
    iam.detach_role_policy(RoleName="fickle", PolicyArn=BASIC_EXECUTION)
    invoke("fickle", {"n": 2})
    iam.put_role_policy(RoleName="fickle", PolicyName="logs", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "logs:*", "Resource": "*"}]}))
    invoke("fickle", {"n": 3})
    iam.put_role_policy(RoleName="fickle", PolicyName="logs", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Action": "logs:PutLogEvents", "Resource": "*"}]}))
    invoke("fickle", {"n": 4})
    iam.delete_role_policy(RoleName="fickle", PolicyName="logs")
    iam.attach_role_policy(RoleName="fickle", PolicyArn=BASIC_EXECUTION)
    invoke("fickle", {"n": 5})
    assert printed() == [1, 3, 5]


def test_enforcement_can_be_switched_off():
    import lambda_local
    from conftest import zip_files

    with lambda_local.mock_aws(enforce_iam=False):
        role = boto3.client("iam").create_role(RoleName="r", AssumeRolePolicyDocument=TRUST_POLICY)["Role"]["Arn"]
        boto3.client("s3").create_bucket(Bucket="open-bucket")
        boto3.client("lambda").create_function(
            FunctionName="f", Runtime="python3.12", Role=role, Handler="lambda_function.handler", Timeout=30,
            Code={"ZipFile": zip_files({"lambda_function.py": CALLER})})
        result = invoke("f", {"service": "s3", "method": "put_object",
                              "args": {"Bucket": "open-bucket", "Key": "k", "Body": "x"}})[1]
        assert result == "allowed"


def test_dynamodb_transactions_are_authorised_item_by_item(aws, create, resources):
    create("caller", CALLER)
    put_policy([{"Effect": "Allow", "Action": ["dynamodb:PutItem", "dynamodb:ConditionCheckItem"],
                 "Resource": "arn:aws:dynamodb:us-east-1:123456789012:table/users"}])
    args = {"TransactItems": [{"Put": {"TableName": "users", "Item": {"id": {"S": "1"}}}}]}
    assert invoke("caller", {"service": "dynamodb", "method": "transact_write_items", "args": args})[1] == "allowed"
    args["TransactItems"].append({"Delete": {"TableName": "users", "Key": {"id": {"S": "2"}}}})
    denied = invoke("caller", {"service": "dynamodb", "method": "transact_write_items", "args": args})[1]
    assert denied[0] == "AccessDeniedException" and "dynamodb:DeleteItem" in denied[1]


@pytest.mark.parametrize("group_arn, created", [
    ("arn:aws:logs:us-east-1:123456789012:log-group:/aws/lambda/scoped", True),
    ("arn:aws:logs:us-east-1:123456789012:log-group:/aws/lambda/scoped:*", True),
    ("arn:aws:logs:us-east-1:123456789012:log-group:/aws/lambda/other:*", False),
])
def test_a_scoped_role_creates_its_log_group_whichever_way_the_policy_writes_it(aws, group_arn, created):
    iam = boto3.client("iam")
    role = iam.create_role(RoleName="scoped", AssumeRolePolicyDocument=TRUST_POLICY)["Role"]["Arn"]
    iam.put_role_policy(RoleName="scoped", PolicyName="logs", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": "logs:CreateLogGroup", "Resource": group_arn},
            {"Effect": "Allow", "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
             "Resource": "arn:aws:logs:us-east-1:123456789012:log-group:/aws/lambda/scoped:*"}]}))
    from conftest import zip_files
    boto3.client("lambda").create_function(
        FunctionName="scoped", Runtime="python3.12", Role=role, Handler="lambda_function.handler", Timeout=30,
        Code={"ZipFile": zip_files({"lambda_function.py": "def handler(e, c):\n    print('hi')\n"})})
    invoke("scoped")
    groups = [g["logGroupName"] for g in boto3.client("logs").describe_log_groups()["logGroups"]]
    assert groups == (["/aws/lambda/scoped"] if created else [])
