"""Deploy the challenge: an execution role, the s3-greeter function, and the greeter-uploads bucket with a trigger
that invokes the function for each object created under incoming/.

Each step takes boto3 clients, so the same code deploys to the mocked AWS of the lab notebook and, with real
credentials, to AWS. `main()` runs the steps in order; cleanup.py removes what they create.
"""

import json
from pathlib import Path

import boto3

from lambda_local import zip_package

HERE = Path(__file__).resolve().parent
FUNCTION_NAME = "s3-greeter"
ROLE_NAME = "s3-greeter-role"
BUCKET = "greeter-uploads"
PREFIX = "incoming/"
GREETING_PREFIX = "Howdy"
BASIC_EXECUTION = "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"
TRUST_POLICY = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
                                                        "Principal": {"Service": "lambda.amazonaws.com"}}]}


def create_role(iam) -> str:
    """The function's execution role: Lambda may assume it, and it may write logs. Returns its ARN.

    On AWS a new role takes a few seconds before Lambda can use it: if create_function then says the role
    "cannot be assumed by Lambda", wait ten seconds and try again.
    """
    role = iam.create_role(RoleName=ROLE_NAME, AssumeRolePolicyDocument=json.dumps(TRUST_POLICY))
    iam.attach_role_policy(RoleName=ROLE_NAME, PolicyArn=BASIC_EXECUTION)
    return role["Role"]["Arn"]


def create_function(lambda_client, role_arn: str) -> str:
    """Create s3-greeter from lambda_function.py; returns its ARN."""
    response = lambda_client.create_function(
        FunctionName=FUNCTION_NAME,
        Runtime="python3.12",
        Role=role_arn,
        Handler="lambda_function.lambda_handler",
        Code={"ZipFile": zip_package({"lambda_function.py": (HERE / "lambda_function.py").read_bytes()})},
        Timeout=10,
        # TODO 2: part of the function's configuration; changing it later needs no new code.
        Environment={"Variables": {"GREETING_PREFIX": GREETING_PREFIX}},
    )
    return response["FunctionArn"]


def add_trigger(lambda_client, s3, function_arn: str) -> None:
    """Create the bucket, and make S3 invoke the function for each object created under PREFIX."""
    s3.create_bucket(Bucket=BUCKET)
    # TODO 3: the function's resource-based policy; SourceArn keeps every other bucket (anyone's) out.
    lambda_client.add_permission(
        FunctionName=FUNCTION_NAME,
        StatementId="s3-greeter-uploads",
        Action="lambda:InvokeFunction",
        Principal="s3.amazonaws.com",
        SourceArn=f"arn:aws:s3:::{BUCKET}",
    )

    # TODO 4: S3 checks the permission above when it saves this, so the permission must come first.
    s3.put_bucket_notification_configuration(
        Bucket=BUCKET,
        NotificationConfiguration={"LambdaFunctionConfigurations": [{
            "Id": "greet-incoming",
            "LambdaFunctionArn": function_arn,
            "Events": ["s3:ObjectCreated:*"],
            "Filter": {"Key": {"FilterRules": [{"Name": "prefix", "Value": PREFIX}]}},
        }]},
    )


def main() -> None:
    iam, lambda_client, s3 = boto3.client("iam"), boto3.client("lambda"), boto3.client("s3")
    role_arn = create_role(iam)
    function_arn = create_function(lambda_client, role_arn)
    add_trigger(lambda_client, s3, function_arn)
    print(f"Deployed {FUNCTION_NAME}: upload a file to s3://{BUCKET}/{PREFIX}, then read its logs.")


if __name__ == "__main__":
    main()
