"""Deploy session-cleanup: the sessions table, the function, and the EventBridge schedule that runs it every day.

Each step takes boto3 clients, so the same code deploys to the mocked AWS of the lab notebook and, with real
credentials, to AWS. `main()` runs the steps in order.
"""

import json
from pathlib import Path

import boto3

from lambda_local import zip_package

HERE = Path(__file__).resolve().parent
FUNCTION_NAME = "session-cleanup"
ROLE_NAME = "session-cleanup-role"
TABLE = "sessions"
RULE_NAME = "session-cleanup-daily"
BASIC_EXECUTION = "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"
TRUST_POLICY = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
                                                        "Principal": {"Service": "lambda.amazonaws.com"}}]}


def create_table(dynamodb) -> None:
    dynamodb.create_table(TableName=TABLE, KeySchema=[{"AttributeName": "session_id", "KeyType": "HASH"}],
                          AttributeDefinitions=[{"AttributeName": "session_id", "AttributeType": "S"}],
                          BillingMode="PAY_PER_REQUEST")


def create_role(iam) -> str:
    """Logs, and reading and deleting the sessions."""
    arn = iam.create_role(RoleName=ROLE_NAME, AssumeRolePolicyDocument=json.dumps(TRUST_POLICY))["Role"]["Arn"]
    iam.attach_role_policy(RoleName=ROLE_NAME, PolicyArn=BASIC_EXECUTION)
    iam.put_role_policy(RoleName=ROLE_NAME, PolicyName="clean-sessions", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{
            "Effect": "Allow", "Action": ["dynamodb:Scan", "dynamodb:DeleteItem", "dynamodb:BatchWriteItem"],
            "Resource": f"arn:aws:dynamodb:*:*:table/{TABLE}"}]}))
    return arn


def create_function(lambda_client, role_arn: str) -> str:
    """The function (a scan of a big table takes time: 60 s); returns its ARN."""
    return lambda_client.create_function(
        FunctionName=FUNCTION_NAME, Runtime="python3.12", Role=role_arn, Handler="lambda_function.lambda_handler",
        Code={"ZipFile": zip_package({"lambda_function.py": (HERE / "lambda_function.py").read_bytes()})},
        Timeout=60, Environment={"Variables": {"TABLE_NAME": TABLE}})["FunctionArn"]


def schedule(events, function_arn: str) -> str:
    """The rule RULE_NAME that runs the function once a day; returns the rule's ARN."""
    # TODO 3: put_rule with a ScheduleExpression that fires once a day: rate(...) or cron(...), in UTC. Then
    #         put_targets: the function is the rule's target. Return the RuleArn put_rule answers.
    return None


def allow_eventbridge(lambda_client, rule_arn: str) -> None:
    """Let the rule invoke the function."""
    # TODO 4: EventBridge (the principal events.amazonaws.com) may only invoke a function whose resource-based
    #         policy allows it: add a permission for lambda:InvokeFunction, for this rule only (SourceArn).
    pass


def main() -> None:
    create_table(boto3.client("dynamodb"))
    function_arn = create_function(boto3.client("lambda"), create_role(boto3.client("iam")))
    rule_arn = schedule(boto3.client("events"), function_arn)
    allow_eventbridge(boto3.client("lambda"), rule_arn)
    print(f"Deployed {FUNCTION_NAME}, scheduled by the rule {RULE_NAME}.")


if __name__ == "__main__":
    main()
