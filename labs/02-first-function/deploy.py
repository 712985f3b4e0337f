"""Deploy tip-calculator through the AWS API: its execution role, then the function; update_code() deploys a new
version of lambda_function.py.

Each step takes boto3 clients, so the same code deploys to the mocked AWS of the lab notebook and, with real
credentials, to AWS. `main()` runs the steps in order; cleanup.py removes what they create.
"""

import json
from pathlib import Path

import boto3

from lambda_local import zip_package

HERE = Path(__file__).resolve().parent
FUNCTION_NAME = "tip-calculator"
ROLE_NAME = "tip-calculator-role"
TIP_PERCENT = "18"  # environment variables are strings
BASIC_EXECUTION = "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"
TRUST_POLICY = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
                                                        "Principal": {"Service": "lambda.amazonaws.com"}}]}


def package() -> bytes:
    """The deployment package: a zip with lambda_function.py at its root."""
    return zip_package({"lambda_function.py": (HERE / "lambda_function.py").read_bytes()})


def create_role(iam) -> str:
    """The function's execution role: Lambda may assume it, and it may write logs. Returns its ARN.

    On AWS a new role takes a few seconds before Lambda can use it: if create_function then says the role
    "cannot be assumed by Lambda", wait ten seconds and try again.
    """
    role = iam.create_role(RoleName=ROLE_NAME, AssumeRolePolicyDocument=json.dumps(TRUST_POLICY))
    iam.attach_role_policy(RoleName=ROLE_NAME, PolicyArn=BASIC_EXECUTION)
    return role["Role"]["Arn"]


def create_function(lambda_client, role_arn: str) -> str:
    """Create tip-calculator from lambda_function.py and wait until it is Active; returns its ARN."""
    response = lambda_client.create_function(
        FunctionName=FUNCTION_NAME,
        Runtime="python3.12",
        Role=role_arn,
        Handler="lambda_function.lambda_handler",
        Code={"ZipFile": package()},
        # TODO 3: a 10-second timeout, and the environment variable TIP_PERCENT set to TIP_PERCENT above.
    )
    # TODO 3: a new function is Pending: wait for Active with the function_active_v2 waiter before you use it.
    return response["FunctionArn"]


def update_code(lambda_client) -> None:
    """Deploy the current lambda_function.py to the existing function, and wait until the update is done."""
    # TODO 4: update_function_code with the new package, then the function_updated_v2 waiter.


def main() -> None:
    iam, lambda_client = boto3.client("iam"), boto3.client("lambda")
    create_function(lambda_client, create_role(iam))
    print(f"Deployed {FUNCTION_NAME}: invoke it with {{\"bill\": 40}}, then read its logs.")


if __name__ == "__main__":
    main()
