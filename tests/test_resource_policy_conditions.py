"""Conditions in a function's resource-based policy (add_permission's SourceArn, SourceAccount, FunctionUrlAuthType,
InvokedViaFunctionUrl) decide whether a service's or a URL's invocation gets through, as on AWS."""

import boto3
import pytest

from lambda_local.iam_conditions import conditions_match

ACCOUNT = "123456789012"
RECORDER = "def handler(event, context):\n    return event\n"


def allow(function, principal, action="lambda:InvokeFunction", sid="p", **conditions):
    boto3.client("lambda").add_permission(FunctionName=function, StatementId=sid, Action=action,
                                          Principal=principal, **conditions)


def test_s3_may_only_notify_from_the_bucket_the_permission_names(aws, create):
    create("thumbnails", RECORDER)
    s3 = boto3.client("s3")
    s3.create_bucket(Bucket="photos")
    s3.create_bucket(Bucket="other")
    allow("thumbnails", "s3.amazonaws.com", SourceArn="arn:aws:s3:::photos", SourceAccount=ACCOUNT)
    config = {"LambdaFunctionConfigurations": [{
        "LambdaFunctionArn": f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:thumbnails",
        "Events": ["s3:ObjectCreated:*"]}]}
    s3.put_bucket_notification_configuration(Bucket="photos", NotificationConfiguration=config)
    with pytest.raises(s3.exceptions.ClientError, match="Unable to validate the following destination"):
        s3.put_bucket_notification_configuration(Bucket="other", NotificationConfiguration=config)


def test_sns_delivers_only_from_the_topic_in_source_arn(aws, create):
    create("alerts", RECORDER)
    sns = boto3.client("sns")
    allowed, other = (sns.create_topic(Name=name)["TopicArn"] for name in ("alerts", "billing"))
    allow("alerts", "sns.amazonaws.com", SourceArn=allowed)
    endpoint = f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:alerts"
    for topic in (allowed, other):
        sns.subscribe(TopicArn=topic, Protocol="lambda", Endpoint=endpoint)
        sns.publish(TopicArn=topic, Message=topic)
    aws.advance(60)
    delivered = [r.payload["Records"][0]["Sns"]["TopicArn"] for r in aws.invocations]
    assert delivered == [allowed]


def test_eventbridge_source_account_is_checked(aws, create):
    create("nightly", RECORDER)
    events = boto3.client("events")
    rule = events.put_rule(Name="nightly", ScheduleExpression="rate(1 minute)")["RuleArn"]
    events.put_targets(Rule="nightly", Targets=[{"Id": "1", "Arn": f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:"
                                                                   "nightly"}])
    allow("nightly", "events.amazonaws.com", SourceArn=rule, SourceAccount="111122223333")
    aws.advance(61)
    assert aws.invocations == []  # the rule's account is not the one the permission names
    allow("nightly", "events.amazonaws.com", sid="right", SourceArn=rule, SourceAccount=ACCOUNT)
    aws.advance(60)
    assert len(aws.invocations) >= 1


def test_function_url_permission_follows_its_auth_type_condition(aws, create):
    create("web", "def handler(e, c):\n    return {'statusCode': 200, 'body': 'ok'}\n")
    url = boto3.client("lambda").create_function_url_config(FunctionName="web", AuthType="NONE")["FunctionUrl"]
    allow("web", "*", "lambda:InvokeFunctionUrl", FunctionUrlAuthType="AWS_IAM")
    assert aws.http("GET", url).status == 403  # the statement grants only AWS_IAM URLs
    allow("web", "*", "lambda:InvokeFunctionUrl", sid="none", FunctionUrlAuthType="NONE")
    assert aws.http("GET", url).status == 200


def test_invoked_via_function_url_limits_invoke_function_to_url_calls(aws, create):
    from moto.awslambda.utils import get_backend

    from lambda_local.triggers.permissions import resource_policy_allows, service_context

    create("web", RECORDER)
    allow("web", "*", InvokedViaFunctionUrl=True)
    fn = get_backend(ACCOUNT, "us-east-1").get_function("web")
    assert resource_policy_allows(fn, "*", "lambda:InvokeFunction",
                                  service_context(lambda_InvokedViaFunctionUrl="true"))
    assert not resource_policy_allows(fn, "*", "lambda:InvokeFunction", service_context())


def test_api_gateway_source_arn_names_the_route(aws, create):
    create("hello", "def handler(e, c):\n    return {'statusCode': 200, 'body': 'hi'}\n")
    api = boto3.client("apigatewayv2")
    api_id = api.create_api(Name="hello", ProtocolType="HTTP")["ApiId"]
    integration = api.create_integration(ApiId=api_id, IntegrationType="AWS_PROXY", PayloadFormatVersion="2.0",
                                         IntegrationUri=f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:hello")
    for key in ("GET /hello", "POST /admin"):
        api.create_route(ApiId=api_id, RouteKey=key, Target=f"integrations/{integration['IntegrationId']}")
    api.create_stage(ApiId=api_id, StageName="$default")
    allow("hello", "apigateway.amazonaws.com",
          SourceArn=f"arn:aws:execute-api:us-east-1:{ACCOUNT}:{api_id}/*/GET/hello")
    base = f"https://{api_id}.execute-api.us-east-1.amazonaws.com"
    assert aws.http("GET", base + "/hello").status == 200
    assert aws.http("POST", base + "/admin").status == 500  # the permission does not cover this route


@pytest.mark.parametrize("condition, context, expected", [
    ({"StringEquals": {"aws:SourceAccount": "1"}}, {"aws:sourceaccount": "1"}, True),
    ({"StringEquals": {"AWS:SourceAccount": "1"}}, {"aws:sourceaccount": "2"}, False),
    ({"StringEquals": {"aws:SourceAccount": "1"}}, {}, False),
    ({"StringNotEquals": {"aws:SourceAccount": "1"}}, {}, True),  # an absent key matches a negated operator
    ({"StringEqualsIfExists": {"aws:SourceAccount": "1"}}, {}, True),
    ({"StringLike": {"s3:prefix": ["home/*", ""]}}, {"s3:prefix": ""}, True),
    ({"StringLike": {"s3:prefix": "home/*"}}, {"s3:prefix": "etc/passwd"}, False),
    ({"StringLike": {"s3:prefix": "a[b]"}}, {"s3:prefix": "ab"}, False),  # no character classes in IAM globs
    ({"ArnLike": {"aws:SourceArn": "arn:aws:s3:::photos*"}}, {"aws:sourcearn": "arn:aws:s3:::photos-2"}, True),
    ({"ArnEquals": {"aws:SourceArn": "arn:aws:sns:*:123:t"}}, {"aws:sourcearn": "arn:aws:sns:eu-west-1:123:t"}, True),
    ({"ArnLike": {"aws:SourceArn": "arn:aws:sns:*:123:t"}}, {"aws:sourcearn": "not-an-arn"}, False),
    ({"Bool": {"lambda:InvokedViaFunctionUrl": "true"}}, {"lambda:invokedviafunctionurl": "true"}, True),
    ({"Bool": {"aws:SecureTransport": "false"}}, {"aws:securetransport": "true"}, False),
    ({"NumericLessThanEquals": {"s3:max-keys": "10"}}, {"s3:max-keys": 5}, True),
    ({"NumericGreaterThan": {"s3:max-keys": "10"}}, {"s3:max-keys": 5}, False),
    ({"Null": {"aws:SourceArn": "true"}}, {}, True),
    ({"Null": {"aws:SourceArn": "false"}}, {}, False),
    ({"ForAnyValue:StringEquals": {"aws:TagKeys": ["env", "team"]}}, {"aws:tagkeys": ["team", "x"]}, True),
    ({"ForAllValues:StringEquals": {"aws:TagKeys": ["env", "team"]}}, {"aws:tagkeys": ["team", "x"]}, False),
    ({"ForAllValues:StringEquals": {"aws:TagKeys": ["env"]}}, {}, True),
    ({"DateLessThan": {"aws:CurrentTime": "2030-01-01T00:00:00Z"}}, {"aws:currenttime": "2026-05-01T00:00:00Z"}, True),
    ({"StringEquals": {"aws:SourceAccount": "1"}, "ArnLike": {"aws:SourceArn": "arn:aws:s3:::b"}},
     {"aws:sourceaccount": "1", "aws:sourcearn": "arn:aws:s3:::other"}, False),  # operators are ANDed
    ({"NoSuchOperator": {"aws:SourceAccount": "1"}}, {"aws:sourceaccount": "1"}, False),
])
def test_condition_operators(condition, context, expected):
    assert conditions_match(condition, context) is expected
