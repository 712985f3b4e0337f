"""Deploy report-export: the bucket its reports go to, its execution role, the function; then its limits.

Each step takes boto3 clients, so the same code deploys to the mocked AWS of the lab notebook and, with real
credentials, to AWS. `main()` runs the steps in order.
"""

import json
from pathlib import Path

import boto3

from lambda_local import zip_package

HERE = Path(__file__).resolve().parent
FUNCTION_NAME = "report-export"
ROLE_NAME = "report-export-role"
BUCKET = "exported-reports"
TIMEOUT = 30  # seconds: a month-end export measured at about 20 s, with room to spare
RESERVED = 10  # concurrent executions at most: exports must never take the whole account from the checkout
BASIC_EXECUTION = "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"
TRUST_POLICY = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
                                                        "Principal": {"Service": "lambda.amazonaws.com"}}]}


def create_bucket(s3) -> None:
    s3.create_bucket(Bucket=BUCKET)


def create_role(iam) -> str:
    """Logs, and writing reports under reports/ in the bucket. Returns the role's ARN."""
    arn = iam.create_role(RoleName=ROLE_NAME, AssumeRolePolicyDocument=json.dumps(TRUST_POLICY))["Role"]["Arn"]
    iam.attach_role_policy(RoleName=ROLE_NAME, PolicyArn=BASIC_EXECUTION)
    iam.put_role_policy(RoleName=ROLE_NAME, PolicyName="write-reports", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:PutObject",
                                                "Resource": f"arn:aws:s3:::{BUCKET}/reports/*"}]}))
    return arn


def create_function(lambda_client, role_arn: str) -> None:
    lambda_client.create_function(
        FunctionName=FUNCTION_NAME, Runtime="python3.12", Role=role_arn, Handler="lambda_function.lambda_handler",
        Code={"ZipFile": zip_package({"lambda_function.py": (HERE / "lambda_function.py").read_bytes()})},
        MemorySize=512, Environment={"Variables": {"REPORTS_BUCKET": BUCKET}})
    lambda_client.get_waiter("function_active_v2").wait(FunctionName=FUNCTION_NAME)


def configure_limits(lambda_client) -> None:
    """The function's timeout and its reserved concurrency."""
    # TODO 3: a timeout is a safety net, set just above the longest run you expect (1 to 900 s); the whole time up
    #         to it is billed when a call hangs.
    lambda_client.update_function_configuration(FunctionName=FUNCTION_NAME, Timeout=TIMEOUT)
    lambda_client.get_waiter("function_updated_v2").wait(FunctionName=FUNCTION_NAME)
    # TODO 4: reserved concurrency is free; AWS keeps at least 100 of the account's executions unreserved.
    lambda_client.put_function_concurrency(FunctionName=FUNCTION_NAME, ReservedConcurrentExecutions=RESERVED)


def main() -> None:
    create_bucket(boto3.client("s3"))
    create_function(boto3.client("lambda"), create_role(boto3.client("iam")))
    configure_limits(boto3.client("lambda"))
    print(f"Deployed {FUNCTION_NAME}: reports go to s3://{BUCKET}/reports/.")


if __name__ == "__main__":
    main()
