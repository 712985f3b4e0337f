"""A role scoped the way SAM policy templates scope it (samtranslator's policy_templates.json, written out with this
account and region) allows the call on its resource and denies the same call on another, with AWS's message."""

import json

import boto3
import pytest

from conftest import invoke

ACCOUNT, REGION = "123456789012", "us-east-1"
PREFIX = f"arn:aws:{{service}}:{REGION}:{ACCOUNT}"

CALLER = """
import boto3, json
def handler(event, context):
    client = boto3.client(event["service"], **event.get("client", {}))
    try:
        response = getattr(client, event["method"])(**event["args"])
        return "allowed"
    except client.exceptions.ClientError as error:
        return [error.response["Error"]["Code"], error.response["Error"]["Message"],
                error.response["ResponseMetadata"]["HTTPStatusCode"]]
"""


def arn(service, rest):
    return f"arn:aws:{service}:{REGION}:{ACCOUNT}:{rest}"


def put_policy(statements):
    boto3.client("iam").put_role_policy(RoleName="lambda-role", PolicyName="sam", PolicyDocument=json.dumps(
        {"Version": "2012-10-17", "Statement": statements}))


def call(service, method, args, client=None):
    return invoke("caller", {"service": service, "method": method, "args": args, "client": client or {}})[1]


def denied(action, resource):
    return (f"User: arn:aws:sts::{ACCOUNT}:assumed-role/lambda-role/caller is not authorized to perform: {action} "
            f"on resource: {resource} because no identity-based policy allows the {action} action")


# --- the SAM policy templates, as policy_templates.json defines them ---------------------------------------------
def s3_read_policy(bucket):
    return [{"Effect": "Allow", "Action": ["s3:GetObject", "s3:ListBucket", "s3:GetBucketLocation",
                                           "s3:GetObjectVersion", "s3:GetLifecycleConfiguration"],
             "Resource": [f"arn:aws:s3:::{bucket}", f"arn:aws:s3:::{bucket}/*"]}]


def sqs_send_message_policy(queue):
    return [{"Effect": "Allow", "Action": ["sqs:SendMessage*"], "Resource": arn("sqs", queue)}]


def dynamodb_crud_policy(table):
    return [{"Effect": "Allow", "Action": ["dynamodb:GetItem", "dynamodb:DeleteItem", "dynamodb:PutItem",
                                           "dynamodb:Scan", "dynamodb:Query", "dynamodb:UpdateItem",
                                           "dynamodb:BatchWriteItem", "dynamodb:BatchGetItem",
                                           "dynamodb:DescribeTable", "dynamodb:ConditionCheckItem"],
             "Resource": [arn("dynamodb", f"table/{table}"), arn("dynamodb", f"table/{table}/index/*")]}]


def kinesis_crud_policy(stream):
    return [{"Effect": "Allow", "Action": [
        "kinesis:AddTagsToStream", "kinesis:CreateStream", "kinesis:DecreaseStreamRetentionPeriod",
        "kinesis:DeleteStream", "kinesis:DescribeStream", "kinesis:DescribeStreamSummary", "kinesis:GetShardIterator",
        "kinesis:IncreaseStreamRetentionPeriod", "kinesis:ListTagsForStream", "kinesis:MergeShards",
        "kinesis:PutRecord", "kinesis:PutRecords", "kinesis:SplitShard", "kinesis:RemoveTagsFromStream"],
        "Resource": arn("kinesis", f"stream/{stream}")}]


def ses_crud_policy(identity):
    return [{"Effect": "Allow", "Action": ["ses:GetIdentityVerificationAttributes", "ses:SendEmail",
                                           "ses:SendRawEmail", "ses:VerifyEmailIdentity"],
             "Resource": arn("ses", f"identity/{identity}")}]


def secrets_manager_get_secret_value_policy(secret_arn):
    return [{"Effect": "Allow", "Action": ["secretsmanager:GetSecretValue"], "Resource": secret_arn}]


def sns_publish_message_policy(topic):
    return [{"Effect": "Allow", "Action": ["sns:Publish"], "Resource": arn("sns", topic)}]


def ssm_parameter_read_policy(name):
    return [{"Effect": "Allow", "Action": ["ssm:DescribeParameters"], "Resource": "*"},
            {"Effect": "Allow", "Action": ["ssm:GetParameters", "ssm:GetParameter", "ssm:GetParametersByPath"],
             "Resource": arn("ssm", f"parameter/{name}")}]


def lambda_invoke_policy(function):
    return [{"Effect": "Allow", "Action": ["lambda:InvokeFunction"],
             "Resource": arn("lambda", f"function:{function}*")}]


def firehose_write_policy(stream):
    return [{"Effect": "Allow", "Action": ["firehose:PutRecord", "firehose:PutRecordBatch"],
             "Resource": arn("firehose", f"deliverystream/{stream}")}]


@pytest.fixture
def caller(aws, create):
    create("caller", CALLER)


def test_s3_read_policy(caller):
    s3 = boto3.client("s3")
    for bucket in ("photos", "private"):
        s3.create_bucket(Bucket=bucket)
        s3.put_object(Bucket=bucket, Key="cat.jpg", Body=b"meow")
    put_policy(s3_read_policy("photos"))
    assert call("s3", "get_object", {"Bucket": "photos", "Key": "cat.jpg"}) == "allowed"
    assert call("s3", "list_objects_v2", {"Bucket": "photos"}) == "allowed"
    assert call("s3", "get_object", {"Bucket": "private", "Key": "cat.jpg"}) == [
        "AccessDenied", denied("s3:GetObject", "arn:aws:s3:::private/cat.jpg"), 403]
    assert call("s3", "put_object", {"Bucket": "photos", "Key": "new.jpg", "Body": "x"})[1] == denied(
        "s3:PutObject", "arn:aws:s3:::photos/new.jpg")


def test_a_missing_key_is_404_with_list_bucket_and_403_without(caller):
    boto3.client("s3").create_bucket(Bucket="photos")
    put_policy(s3_read_policy("photos"))
    assert call("s3", "get_object", {"Bucket": "photos", "Key": "gone.jpg"})[:1] == ["NoSuchKey"]
    put_policy([{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::photos/*"}])
    assert call("s3", "get_object", {"Bucket": "photos", "Key": "gone.jpg"}) == ["AccessDenied", "Access Denied", 403]
    assert call("s3", "head_object", {"Bucket": "photos", "Key": "gone.jpg"}) == ["403", "Forbidden", 403]


def test_sqs_send_message_policy(caller):
    sqs = boto3.client("sqs")
    orders = sqs.create_queue(QueueName="orders")["QueueUrl"]
    audit = sqs.create_queue(QueueName="audit")["QueueUrl"]
    put_policy(sqs_send_message_policy("orders"))
    assert call("sqs", "send_message", {"QueueUrl": orders, "MessageBody": "x"}) == "allowed"
    assert call("sqs", "send_message_batch", {"QueueUrl": orders, "Entries": [
        {"Id": "1", "MessageBody": "x"}]}) == "allowed"
    assert call("sqs", "send_message", {"QueueUrl": audit, "MessageBody": "x"}) == [
        "AccessDenied", denied("sqs:SendMessage", arn("sqs", "audit")), 403]


def test_dynamodb_crud_policy_covers_the_table_and_its_indexes(caller):
    dynamodb = boto3.client("dynamodb")
    for table in ("users", "payments"):
        dynamodb.create_table(
            TableName=table, BillingMode="PAY_PER_REQUEST",
            KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"},
                                  {"AttributeName": "email", "AttributeType": "S"}],
            GlobalSecondaryIndexes=[{"IndexName": "by-email", "KeySchema": [{"AttributeName": "email",
                                                                              "KeyType": "HASH"}],
                                     "Projection": {"ProjectionType": "ALL"}}])
    put_policy(dynamodb_crud_policy("users"))
    assert call("dynamodb", "put_item", {"TableName": "users", "Item": {"id": {"S": "1"}}}) == "allowed"
    query = {"IndexName": "by-email", "KeyConditionExpression": "email = :e",
             "ExpressionAttributeValues": {":e": {"S": "a@example.com"}}}
    assert call("dynamodb", "query", {"TableName": "users", **query}) == "allowed"
    assert call("dynamodb", "query", {"TableName": "payments", **query}) == [
        "AccessDeniedException", denied("dynamodb:Query", arn("dynamodb", "table/payments/index/by-email")), 400]
    assert call("dynamodb", "batch_write_item", {"RequestItems": {
        "users": [{"PutRequest": {"Item": {"id": {"S": "2"}}}}],
        "payments": [{"PutRequest": {"Item": {"id": {"S": "2"}}}}]}})[1] == denied(
        "dynamodb:BatchWriteItem", arn("dynamodb", "table/payments"))


def test_a_query_on_an_index_needs_the_index_arn_not_only_the_table(caller):
    boto3.client("dynamodb").create_table(
        TableName="users", BillingMode="PAY_PER_REQUEST", KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"},
                              {"AttributeName": "email", "AttributeType": "S"}],
        GlobalSecondaryIndexes=[{"IndexName": "by-email", "KeySchema": [{"AttributeName": "email", "KeyType": "HASH"}],
                                 "Projection": {"ProjectionType": "ALL"}}])
    put_policy([{"Effect": "Allow", "Action": "dynamodb:Query", "Resource": arn("dynamodb", "table/users")}])
    result = call("dynamodb", "query", {"TableName": "users", "IndexName": "by-email",
                                        "KeyConditionExpression": "email = :e",
                                        "ExpressionAttributeValues": {":e": {"S": "a@example.com"}}})
    assert result[1] == denied("dynamodb:Query", arn("dynamodb", "table/users/index/by-email"))


def test_kinesis_crud_policy(caller):
    kinesis = boto3.client("kinesis")
    for stream in ("clicks", "payments"):
        kinesis.create_stream(StreamName=stream, ShardCount=1)
    put_policy(kinesis_crud_policy("clicks"))
    record = {"Data": "x", "PartitionKey": "k"}
    assert call("kinesis", "put_record", {"StreamName": "clicks", **record}) == "allowed"
    assert call("kinesis", "put_records", {"StreamARN": arn("kinesis", "stream/clicks"), "Records": [record]}) == \
        "allowed"
    assert call("kinesis", "put_record", {"StreamName": "payments", **record}) == [
        "AccessDeniedException", denied("kinesis:PutRecord", arn("kinesis", "stream/payments")), 400]


def test_ses_crud_policy_scopes_sending_to_the_verified_identity(caller):
    ses = boto3.client("ses")
    ses.verify_domain_identity(Domain="example.com")
    ses.verify_email_identity(EmailAddress="alerts@other.org")
    put_policy(ses_crud_policy("example.com"))
    email = {"Destination": {"ToAddresses": ["you@example.net"]},
             "Message": {"Subject": {"Data": "hi"}, "Body": {"Text": {"Data": "hello"}}}}
    assert call("ses", "send_email", {"Source": "Shop <orders@example.com>", **email}) == "allowed"
    assert call("ses", "send_email", {"Source": "alerts@other.org", **email}) == [
        "AccessDenied", denied("ses:SendEmail", arn("ses", "identity/alerts@other.org")), 403]


def test_secrets_manager_policy_names_the_secret_arn_with_its_random_suffix(caller):
    secrets = boto3.client("secretsmanager")
    db = secrets.create_secret(Name="prod/db", SecretString="s3cret")["ARN"]
    other = secrets.create_secret(Name="prod/api", SecretString="k")["ARN"]
    assert db.startswith(arn("secretsmanager", "secret:prod/db-")) and len(db) == len(arn(
        "secretsmanager", "secret:prod/db-")) + 6
    put_policy(secrets_manager_get_secret_value_policy(db))
    assert call("secretsmanager", "get_secret_value", {"SecretId": "prod/db"}) == "allowed"
    assert call("secretsmanager", "get_secret_value", {"SecretId": db}) == "allowed"
    assert call("secretsmanager", "get_secret_value", {"SecretId": "prod/api"}) == [
        "AccessDeniedException", denied("secretsmanager:GetSecretValue", other), 400]


def test_sns_publish_message_policy(caller):
    sns = boto3.client("sns")
    alerts = sns.create_topic(Name="alerts")["TopicArn"]
    billing = sns.create_topic(Name="billing")["TopicArn"]
    put_policy(sns_publish_message_policy("alerts"))
    assert call("sns", "publish", {"TopicArn": alerts, "Message": "x"}) == "allowed"
    assert call("sns", "publish", {"TopicArn": billing, "Message": "x"}) == [
        "AuthorizationError", denied("sns:Publish", billing), 403]


def test_ssm_parameter_read_policy(caller):
    ssm = boto3.client("ssm")
    ssm.put_parameter(Name="/app/db-url", Value="x", Type="String")
    ssm.put_parameter(Name="/admin/token", Value="y", Type="SecureString")
    put_policy(ssm_parameter_read_policy("app/db-url"))
    assert call("ssm", "get_parameter", {"Name": "/app/db-url"}) == "allowed"
    assert call("ssm", "get_parameter", {"Name": "/admin/token", "WithDecryption": True}) == [
        "AccessDeniedException", denied("ssm:GetParameter", arn("ssm", "parameter/admin/token")), 400]


def test_lambda_invoke_policy_covers_versions_and_aliases(aws, create):
    create("caller", CALLER)
    create("worker", "def handler(e, c):\n    return 1\n")
    create("admin", "def handler(e, c):\n    return 2\n")
    put_policy(lambda_invoke_policy("worker"))
    assert call("lambda", "invoke", {"FunctionName": "worker"}) == "allowed"
    assert call("lambda", "invoke", {"FunctionName": "worker", "Qualifier": "$LATEST"}) == "allowed"
    assert call("lambda", "invoke", {"FunctionName": "admin"}) == [
        "AccessDeniedException", denied("lambda:InvokeFunction", arn("lambda", "function:admin")), 403]


def test_firehose_write_policy(caller):
    boto3.client("s3").create_bucket(Bucket="archive")
    firehose = boto3.client("firehose")
    for name in ("clicks", "audit"):
        firehose.create_delivery_stream(DeliveryStreamName=name, ExtendedS3DestinationConfiguration={
            "RoleARN": f"arn:aws:iam::{ACCOUNT}:role/firehose", "BucketARN": "arn:aws:s3:::archive"})
    put_policy(firehose_write_policy("clicks"))
    assert call("firehose", "put_record", {"DeliveryStreamName": "clicks", "Record": {"Data": "x"}}) == "allowed"
    assert call("firehose", "put_record", {"DeliveryStreamName": "audit", "Record": {"Data": "x"}}) == [
        "AccessDeniedException", denied("firehose:PutRecord", arn("firehose", "deliverystream/audit")), 400]


def test_event_bridge_put_events_on_a_custom_bus(caller):
    events = boto3.client("events")
    events.create_event_bus(Name="orders")
    put_policy([{"Effect": "Allow", "Action": "events:PutEvents", "Resource": arn("events", "event-bus/orders")}])
    entry = {"Source": "shop", "DetailType": "OrderPlaced", "Detail": "{}"}
    assert call("events", "put_events", {"Entries": [{**entry, "EventBusName": "orders"}]}) == "allowed"
    by_arn = {**entry, "EventBusName": arn("events", "event-bus/orders")}  # the bus named by its ARN: the same bus
    assert call("events", "put_events", {"Entries": [by_arn]}) == "allowed"
    assert call("events", "put_events", {"Entries": [entry]})[1] == denied(
        "events:PutEvents", arn("events", "event-bus/default"))


def test_connections_are_managed_as_execute_api_manage_connections(caller):
    endpoint = "https://a1b2c3d4e5.execute-api.us-east-1.amazonaws.com/production"
    put_policy([{"Effect": "Allow", "Action": "execute-api:ManageConnections",
                 "Resource": arn("execute-api", "a1b2c3d4e5/production/POST/@connections/*")}])
    client = {"endpoint_url": endpoint}
    # IAM lets it through; API Gateway then answers that no such connection is open (GoneException, 410)
    assert call("apigatewaymanagementapi", "post_to_connection",
                {"ConnectionId": "L0SM9cOFvHcCIhw=", "Data": "hi"}, client)[::2] == ["GoneException", 410]
    result = call("apigatewaymanagementapi", "delete_connection", {"ConnectionId": "L0SM9cOFvHcCIhw="}, client)
    assert result[1] == denied("execute-api:ManageConnections",
                               arn("execute-api", "a1b2c3d4e5/production/DELETE/@connections/L0SM9cOFvHcCIhw="))


def test_conditions_course_examples_use(caller):
    s3 = boto3.client("s3")
    s3.create_bucket(Bucket="shared")
    put_policy([
        {"Effect": "Allow", "Action": "s3:ListBucket", "Resource": "arn:aws:s3:::shared",
         "Condition": {"StringLike": {"s3:prefix": ["home/ana/*", ""]}}},
        {"Effect": "Allow", "Action": "s3:PutObject", "Resource": "arn:aws:s3:::shared/*"},
        {"Effect": "Deny", "Action": "s3:PutObject", "Resource": "arn:aws:s3:::shared/*",
         "Condition": {"StringNotEquals": {"s3:x-amz-server-side-encryption": "AES256"}}},
        {"Effect": "Deny", "Action": "*", "Resource": "*",
         "Condition": {"StringNotEquals": {"aws:RequestedRegion": ["us-east-1", "eu-west-1"]}}},
    ])
    assert call("s3", "list_objects_v2", {"Bucket": "shared", "Prefix": "home/ana/"}) == "allowed"
    assert call("s3", "list_objects_v2", {"Bucket": "shared"}) == "allowed"
    assert call("s3", "list_objects_v2", {"Bucket": "shared", "Prefix": "home/bob/"})[0] == "AccessDenied"
    assert call("s3", "put_object", {"Bucket": "shared", "Key": "a", "Body": "x",
                                     "ServerSideEncryption": "AES256"}) == "allowed"
    unencrypted = call("s3", "put_object", {"Bucket": "shared", "Key": "a", "Body": "x"})
    assert unencrypted[1].endswith("with an explicit deny in an identity-based policy")
    put_policy([{"Effect": "Allow", "Action": "sqs:ListQueues", "Resource": "*",
                 "Condition": {"StringEquals": {"aws:RequestedRegion": "eu-west-1"}}}])
    assert call("sqs", "list_queues", {}, {"region_name": "eu-west-1"}) == "allowed"
    assert call("sqs", "list_queues", {}, {"region_name": "us-west-2"})[0] == "AccessDenied"


def test_kinesis_stream_read_policy_covers_get_records_through_the_shard_iterator(caller):
    kinesis = boto3.client("kinesis")
    kinesis.create_stream(StreamName="clicks", ShardCount=1)
    shard = kinesis.describe_stream(StreamName="clicks")["StreamDescription"]["Shards"][0]["ShardId"]
    iterator = kinesis.get_shard_iterator(StreamName="clicks", ShardId=shard,
                                          ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
    put_policy([{"Effect": "Allow", "Action": ["kinesis:DescribeStream", "kinesis:DescribeStreamSummary",
                                               "kinesis:GetRecords", "kinesis:GetShardIterator"],
                 "Resource": arn("kinesis", "stream/clicks")}])  # KinesisStreamReadPolicy's second statement
    assert call("kinesis", "get_records", {"ShardIterator": iterator}) == "allowed"
    put_policy([{"Effect": "Allow", "Action": "kinesis:GetRecords", "Resource": arn("kinesis", "stream/other")}])
    assert call("kinesis", "get_records", {"ShardIterator": iterator})[1] == denied(
        "kinesis:GetRecords", arn("kinesis", "stream/clicks"))
