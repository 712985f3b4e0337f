"""S3 → EventBridge → Lambda, and rules whose target is another event bus.

A bucket with EventBridge notifications on puts its events (Amazon S3 user guide, "EventBridge event message
structure") on the default bus of its account and Region; the rules there that match run their targets. A rule can
forward to another bus of the account, whose own rules then match the event as it arrived."""

import json

import boto3

RECORDER = "import json\ndef handler(event, context):\n    print(json.dumps(event))\n    return 'ok'\n"


def _function(create, name):
    create(name, RECORDER)
    boto3.client("lambda").add_permission(FunctionName=name, StatementId="events", Action="lambda:InvokeFunction",
                                          Principal="events.amazonaws.com")
    return boto3.client("lambda").get_function(FunctionName=name)["Configuration"]["FunctionArn"]


def _rule(name, pattern, target_arn, bus="default"):
    events = boto3.client("events")
    events.put_rule(Name=name, EventPattern=json.dumps(pattern), EventBusName=bus)
    events.put_targets(Rule=name, EventBusName=bus, Targets=[{"Id": "t", "Arn": target_arn}])


def _events_received(aws, name):
    received = []
    for record in aws.invocations:
        if record.function_name == name:
            received += [json.loads(line) for line in record.log.splitlines() if line.startswith("{")]
    return received


def _bucket_with_eventbridge(name="uploads"):
    s3 = boto3.client("s3")
    s3.create_bucket(Bucket=name)
    s3.put_bucket_notification_configuration(Bucket=name, NotificationConfiguration={"EventBridgeConfiguration": {}})
    return s3


def test_an_object_created_event_reaches_a_matching_rule_and_runs_the_function(aws, create):
    arn = _function(create, "on-upload")
    _rule("uploads", {"source": ["aws.s3"], "detail-type": ["Object Created"],
                      "detail": {"bucket": {"name": ["uploads"]}, "object": {"key": [{"prefix": "in/"}]}}}, arn)
    s3 = _bucket_with_eventbridge()
    s3.put_object(Bucket="uploads", Key="in/photo 1.jpg", Body=b"12345")
    s3.put_object(Bucket="uploads", Key="out/skipped.txt", Body=b"x")  # the pattern's prefix leaves it out

    (event,) = _events_received(aws, "on-upload")
    etag = s3.head_object(Bucket="uploads", Key="in/photo 1.jpg")["ETag"].strip('"')
    assert (event["source"], event["detail-type"], event["account"], event["region"]) == \
        ("aws.s3", "Object Created", "123456789012", "us-east-1")
    assert event["resources"] == ["arn:aws:s3:::uploads"]
    detail = event["detail"]
    assert detail["bucket"] == {"name": "uploads"} and detail["reason"] == "PutObject"
    assert detail["object"]["key"] == "in/photo 1.jpg"  # not URL-encoded, unlike S3's own notifications
    assert (detail["object"]["size"], detail["object"]["etag"]) == (5, etag)
    assert detail["requester"] == "123456789012" and detail["version"] == "0"


def test_a_deletion_is_an_object_deleted_event_without_size(aws, create):
    arn = _function(create, "on-delete")
    _rule("deletes", {"source": ["aws.s3"], "detail-type": ["Object Deleted"]}, arn)
    s3 = _bucket_with_eventbridge()
    s3.put_object(Bucket="uploads", Key="old.txt", Body=b"x")
    s3.delete_object(Bucket="uploads", Key="old.txt")
    (event,) = _events_received(aws, "on-delete")
    assert event["detail"]["reason"] == "DeleteObject"
    assert event["detail"]["deletion-type"] == "Permanently Deleted"
    assert "size" not in event["detail"]["object"]


def test_without_eventbridge_notifications_the_bucket_sends_nothing(aws, create):
    arn = _function(create, "on-upload")
    _rule("uploads", {"source": ["aws.s3"]}, arn)
    boto3.client("s3").create_bucket(Bucket="quiet")
    boto3.client("s3").put_object(Bucket="quiet", Key="a", Body=b"x")
    assert _events_received(aws, "on-upload") == []


def test_s3_events_go_to_the_default_bus_only_and_disabled_rules_match_nothing(aws, create):
    arn = _function(create, "on-upload")
    boto3.client("events").create_event_bus(Name="custom")
    _rule("on-custom", {"source": ["aws.s3"]}, arn, bus="custom")
    _rule("disabled", {"source": ["aws.s3"]}, arn)
    boto3.client("events").disable_rule(Name="disabled")
    _bucket_with_eventbridge().put_object(Bucket="uploads", Key="a", Body=b"x")
    assert _events_received(aws, "on-upload") == []


def test_a_rule_forwards_to_another_bus_whose_rules_match_the_event_as_sent(aws, create):
    arn = _function(create, "on-audit")
    events = boto3.client("events")
    audit = events.create_event_bus(Name="audit")["EventBusArn"]
    _rule("forward", {"source": ["shop"]}, audit)
    _rule("audit-orders", {"source": ["shop"], "detail": {"total": [{"numeric": [">", 100]}]}}, arn, bus="audit")
    response = events.put_events(Entries=[
        {"Source": "shop", "DetailType": "Order Placed", "Detail": json.dumps({"total": 250}),
         "Resources": ["arn:aws:shop:::order/1"]},
        {"Source": "shop", "DetailType": "Order Placed", "Detail": json.dumps({"total": 5})}])
    assert response["FailedEntryCount"] == 0
    (event,) = _events_received(aws, "on-audit")
    assert (event["source"], event["detail-type"], event["detail"]) == ("shop", "Order Placed", {"total": 250})
    assert event["resources"] == ["arn:aws:shop:::order/1"] and event["account"] == "123456789012"
    assert event["id"] == response["Entries"][0]["EventId"]


def test_an_event_forwarded_once_goes_no_further(aws, create):
    arn = _function(create, "on-third")
    events = boto3.client("events")
    second = events.create_event_bus(Name="second")["EventBusArn"]
    third = events.create_event_bus(Name="third")["EventBusArn"]
    _rule("to-second", {"source": ["shop"]}, second)
    _rule("to-third", {"source": ["shop"]}, third, bus="second")
    _rule("on-third", {"source": ["shop"]}, arn, bus="third")
    events.put_events(Entries=[{"Source": "shop", "DetailType": "x", "Detail": "{}"}])
    assert _events_received(aws, "on-third") == []


CREATE_BUCKET_RULE = {"source": ["aws.s3"], "detail-type": ["AWS API Call via CloudTrail"],
                      "detail": {"eventSource": ["s3.amazonaws.com"], "eventName": ["CreateBucket"]}}


def test_an_api_call_reaches_eventbridge_as_a_cloudtrail_event_while_a_trail_logs(aws, create):
    arn = _function(create, "on-bucket")
    _rule("buckets", CREATE_BUCKET_RULE, arn)
    boto3.client("s3").create_bucket(Bucket="before-the-trail")
    s3 = boto3.client("s3")
    s3.create_bucket(Bucket="trail-logs")
    cloudtrail = boto3.client("cloudtrail")
    cloudtrail.create_trail(Name="management", S3BucketName="trail-logs")
    cloudtrail.start_logging(Name="management")
    s3.create_bucket(Bucket="photos")
    (event,) = _events_received(aws, "on-bucket")
    assert (event["source"], event["detail-type"]) == ("aws.s3", "AWS API Call via CloudTrail")
    detail = event["detail"]
    assert (detail["eventSource"], detail["eventName"], detail["eventType"]) == \
        ("s3.amazonaws.com", "CreateBucket", "AwsApiCall")
    assert detail["requestParameters"]["bucketName"] == "photos" and detail["recipientAccountId"] == "123456789012"
    cloudtrail.stop_logging(Name="management")
    s3.create_bucket(Bucket="after-the-trail")
    assert len(_events_received(aws, "on-bucket")) == 1
