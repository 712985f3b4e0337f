"""Deploy credit-payment: its two tables, the function, and what happens to an event that keeps failing.

Each step takes boto3 clients, so the same code deploys to the mocked AWS of the lab notebook and, with real
credentials, to AWS. `main()` runs the steps in order.
"""

import json
from pathlib import Path

import boto3

from lambda_local import zip_package

HERE = Path(__file__).resolve().parent
FUNCTION_NAME = "credit-payment"
ROLE_NAME = "credit-payment-role"
ACCOUNTS_TABLE, PROCESSED_TABLE = "accounts", "processed-payments"
FAILURE_QUEUE = "payments-failed"
BASIC_EXECUTION = "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"
TRUST_POLICY = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
                                                        "Principal": {"Service": "lambda.amazonaws.com"}}]}


def create_tables(dynamodb) -> None:
    for table, key in ((ACCOUNTS_TABLE, "account"), (PROCESSED_TABLE, "payment_id")):
        dynamodb.create_table(TableName=table, KeySchema=[{"AttributeName": key, "KeyType": "HASH"}],
                              AttributeDefinitions=[{"AttributeName": key, "AttributeType": "S"}],
                              BillingMode="PAY_PER_REQUEST")


def create_failure_queue(sqs) -> str:
    """The SQS queue where failed payments end up, for someone to look at; returns its ARN."""
    url = sqs.create_queue(QueueName=FAILURE_QUEUE)["QueueUrl"]
    return sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]


def create_role(iam) -> str:
    """Logs, the two tables, and sending to the failure queue (Lambda sends with the function's role)."""
    arn = iam.create_role(RoleName=ROLE_NAME, AssumeRolePolicyDocument=json.dumps(TRUST_POLICY))["Role"]["Arn"]
    iam.attach_role_policy(RoleName=ROLE_NAME, PolicyArn=BASIC_EXECUTION)
    iam.put_role_policy(RoleName=ROLE_NAME, PolicyName="credit-payments", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": "dynamodb:UpdateItem",
             "Resource": f"arn:aws:dynamodb:*:*:table/{ACCOUNTS_TABLE}"},
            {"Effect": "Allow", "Action": ["dynamodb:PutItem", "dynamodb:GetItem", "dynamodb:DeleteItem"],
             "Resource": f"arn:aws:dynamodb:*:*:table/{PROCESSED_TABLE}"},
            {"Effect": "Allow", "Action": "sqs:SendMessage", "Resource": f"arn:aws:sqs:*:*:{FAILURE_QUEUE}"}]}))
    return arn


def create_function(lambda_client, role_arn: str) -> None:
    lambda_client.create_function(
        FunctionName=FUNCTION_NAME, Runtime="python3.12", Role=role_arn, Handler="lambda_function.lambda_handler",
        Code={"ZipFile": zip_package({"lambda_function.py": (HERE / "lambda_function.py").read_bytes()})},
        Timeout=10, Environment={"Variables": {"ACCOUNTS_TABLE": ACCOUNTS_TABLE, "PROCESSED_TABLE": PROCESSED_TABLE}})


def configure_async(lambda_client, failure_queue_arn: str) -> None:
    """What Lambda does with an asynchronous event whose invocation fails."""
    # TODO 2: send an event that still fails after its retries to the failure queue: an on-failure destination
    #         (put_function_event_invoke_config) or a dead-letter queue (DeadLetterConfig) both do it.
    # TODO 3: retry a failed event once, not twice: a payment that failed twice is for a person to look at.
    pass


def main() -> None:
    create_tables(boto3.client("dynamodb"))
    queue_arn = create_failure_queue(boto3.client("sqs"))
    create_function(boto3.client("lambda"), create_role(boto3.client("iam")))
    configure_async(boto3.client("lambda"), queue_arn)
    print(f"Deployed {FUNCTION_NAME}: invoke it with InvocationType=\"Event\".")


if __name__ == "__main__":
    main()
