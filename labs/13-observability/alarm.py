"""Lab 13, TODO 4: an alarm that tells the on-call topic when the checkout function fails."""


def create_alarm(cloudwatch, function_name, topic_arn):
    """Create the alarm "<function_name>-errors": ALARM when the function has 1 error or more in a 60-second period
    (a period without data is fine), notifying topic_arn. cloudwatch is a boto3 CloudWatch client."""
    # TODO 4: cloudwatch.put_metric_alarm(...) on Lambda's Errors metric of this function.
    pass
