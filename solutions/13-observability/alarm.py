"""Lab 13, TODO 4: an alarm that tells the on-call topic when the checkout function fails."""


def create_alarm(cloudwatch, function_name, topic_arn):
    """Create the alarm "<function_name>-errors": ALARM when the function has 1 error or more in a 60-second period
    (a period without data is fine), notifying topic_arn. cloudwatch is a boto3 CloudWatch client."""
    cloudwatch.put_metric_alarm(
        AlarmName=f"{function_name}-errors",
        Namespace="AWS/Lambda", MetricName="Errors",  # Lambda's own metric: no code in the function needed
        Dimensions=[{"Name": "FunctionName", "Value": function_name}],
        Statistic="Sum", Period=60, EvaluationPeriods=1,
        Threshold=1, ComparisonOperator="GreaterThanOrEqualToThreshold",
        TreatMissingData="notBreaching",  # no invocations, no data: not an error
        AlarmActions=[topic_arn],
    )
