"""Deploy order-worker: the stock table, the function, the queue `orders` with its dead-letter queue
`orders-dlq`, and the event source mapping that makes Lambda poll the queue and invoke the function.

Each step takes boto3 clients, so the same code deploys to the mocked AWS of the lab notebook and, with real
credentials, to AWS. `main()` runs the steps in order.
"""

import json
from pathlib import Path

import boto3

from lambda_local import zip_package

HERE = Path(__file__).resolve().parent
FUNCTION_NAME = "order-worker"
ROLE_NAME = "order-worker-role"
TABLE = "stock"
QUEUE, DLQ = "orders", "orders-dlq"
FUNCTION_TIMEOUT = 10
VISIBILITY_TIMEOUT = 60  # AWS advises at least six times the function's timeout
MAX_RECEIVES = 3  # a message that failed this many times goes to the DLQ
SQS_EXECUTION = "arn:aws:iam::aws:policy/service-role/AWSLambdaSQSQueueExecutionRole"  # poll the queue, write logs
TRUST_POLICY = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
                                                        "Principal": {"Service": "lambda.amazonaws.com"}}]}


def create_table(dynamodb) -> None:
    """The stock table: one item per sku, with the count of units reserved."""
    dynamodb.create_table(TableName=TABLE, KeySchema=[{"AttributeName": "sku", "KeyType": "HASH"}],
                          AttributeDefinitions=[{"AttributeName": "sku", "AttributeType": "S"}],
                          BillingMode="PAY_PER_REQUEST")


def create_role(iam) -> str:
    """The function's role: read and delete messages of the queue, write logs, update the stock table."""
    arn = iam.create_role(RoleName=ROLE_NAME, AssumeRolePolicyDocument=json.dumps(TRUST_POLICY))["Role"]["Arn"]
    iam.attach_role_policy(RoleName=ROLE_NAME, PolicyArn=SQS_EXECUTION)
    iam.put_role_policy(RoleName=ROLE_NAME, PolicyName="update-stock", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "dynamodb:UpdateItem",
                                                "Resource": f"arn:aws:dynamodb:*:*:table/{TABLE}"}]}))
    return arn


def create_function(lambda_client, role_arn: str) -> None:
    lambda_client.create_function(
        FunctionName=FUNCTION_NAME, Runtime="python3.12", Role=role_arn, Handler="lambda_function.lambda_handler",
        Code={"ZipFile": zip_package({"lambda_function.py": (HERE / "lambda_function.py").read_bytes()})},
        Timeout=FUNCTION_TIMEOUT, Environment={"Variables": {"TABLE_NAME": TABLE}})


def create_queues(sqs) -> str:
    """The dead-letter queue, then the queue `orders`; returns the ARN of `orders`."""
    dlq_url = sqs.create_queue(QueueName=DLQ)["QueueUrl"]
    dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    attributes = {"VisibilityTimeout": str(VISIBILITY_TIMEOUT)}
    # TODO 5: give the queue a redrive policy, so that SQS moves a message to the DLQ once it has been received
    #         MAX_RECEIVES times without being deleted. Queue attributes are strings (a JSON string here).
    url = sqs.create_queue(QueueName=QUEUE, Attributes=attributes)["QueueUrl"]
    return sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]


def connect(lambda_client, queue_arn: str) -> str:
    """The event source mapping from the queue to the function; returns its UUID."""
    # TODO 6: ask for batches of up to 10 messages, gathered for at most 5 seconds, and let the function report
    #         the messages that failed (the mapping ignores a batchItemFailures answer unless it is told to read it).
    return lambda_client.create_event_source_mapping(FunctionName=FUNCTION_NAME, EventSourceArn=queue_arn)["UUID"]


def main() -> None:
    create_table(boto3.client("dynamodb"))
    create_function(boto3.client("lambda"), create_role(boto3.client("iam")))
    connect(boto3.client("lambda"), create_queues(boto3.client("sqs")))
    print(f"Deployed {FUNCTION_NAME}: send orders to the queue {QUEUE}.")


if __name__ == "__main__":
    main()
