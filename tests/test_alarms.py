"""CloudWatch metric alarms evaluated every minute on the virtual clock (lambda_local.alarms, lesson 13): a function's
Errors alarm goes to ALARM and tells its SNS topic, back to OK when the errors stop; missing data as configured."""

import json

import boto3

FAILING = "def handler(event, context):\n    if event.get('fail'):\n        raise ValueError('boom')\n    return 1\n"


def _alarm(name="orders-errors", treat_missing="notBreaching", actions=()):
    boto3.client("cloudwatch").put_metric_alarm(
        AlarmName=name, Namespace="AWS/Lambda", MetricName="Errors", Statistic="Sum",
        Dimensions=[{"Name": "FunctionName", "Value": "orders"}], Period=60, EvaluationPeriods=1, Threshold=1,
        ComparisonOperator="GreaterThanOrEqualToThreshold", TreatMissingData=treat_missing,
        AlarmActions=list(actions), OKActions=list(actions))


def _state(name="orders-errors"):
    return boto3.client("cloudwatch").describe_alarms(AlarmNames=[name])["MetricAlarms"][0]


def _topic_to_queue():
    sns, sqs = boto3.client("sns"), boto3.client("sqs")
    topic = sns.create_topic(Name="alarms")["TopicArn"]
    url = sqs.create_queue(QueueName="alarm-mail")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=arn, Attributes={"RawMessageDelivery": "true"})
    return topic, url


def test_errors_alarm_fires_notifies_its_topic_and_recovers(aws, create):
    create("orders", FAILING)
    topic, url = _topic_to_queue()
    _alarm(actions=[topic])
    lam = boto3.client("lambda")
    for _ in range(2):
        lam.invoke(FunctionName="orders", Payload=json.dumps({"fail": True}))
    aws.advance(minutes=1)
    alarm = _state()
    assert alarm["StateValue"] == "ALARM"
    assert alarm["StateReason"].startswith("Threshold Crossed: 1 out of the last 1 datapoints [2.0 (")
    messages = boto3.client("sqs").receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]
    notice = json.loads(messages[0]["Body"])
    assert (notice["NewStateValue"], notice["OldStateValue"], notice["AlarmName"]) == ("ALARM", "OK", "orders-errors")
    assert notice["Trigger"]["MetricName"] == "Errors" and notice["Trigger"]["Threshold"] == 1
    lam.invoke(FunctionName="orders", Payload=json.dumps({}))  # a success: no error in this minute
    aws.advance(minutes=1)
    assert _state()["StateValue"] == "OK"


def test_an_alarm_without_data_is_insufficient_data_when_missing_data_is_missing(aws, create):
    create("orders", FAILING)
    _alarm(treat_missing="missing")
    aws.advance(minutes=2)
    assert _state()["StateValue"] == "INSUFFICIENT_DATA"


def test_successful_invocations_keep_an_errors_alarm_ok(aws, create):
    create("orders", FAILING)
    _alarm()
    boto3.client("lambda").invoke(FunctionName="orders", Payload=b"{}")
    aws.advance(minutes=3)
    alarm = _state()
    assert alarm["StateValue"] == "OK" and alarm["StateReason"].startswith("Threshold Crossed: 1 datapoint [0.0")
