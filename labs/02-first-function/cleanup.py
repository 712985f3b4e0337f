"""Remove everything deploy.py created, and the log group the function's first invocation created."""

import boto3

from deploy import FUNCTION_NAME, ROLE_NAME


def clean_up(lambda_client, iam, logs) -> None:
    """Delete the function, its role and its log group."""
    lambda_client.delete_function(FunctionName=FUNCTION_NAME)
    # TODO 5: delete the role (IAM refuses while a policy is still attached: detach each one first), and the log
    #         group /aws/lambda/tip-calculator, which deleting the function leaves behind.


def leftovers(lambda_client, iam, logs) -> dict:
    """What is left in the account, as the guides ask you to check: functions, roles and log groups."""
    return {"functions": [f["FunctionName"] for f in lambda_client.list_functions()["Functions"]],
            "roles": [r["RoleName"] for r in iam.list_roles()["Roles"]],
            "log groups": [g["logGroupName"] for g in logs.describe_log_groups()["logGroups"]]}


if __name__ == "__main__":
    clients = boto3.client("lambda"), boto3.client("iam"), boto3.client("logs")
    clean_up(*clients)
    print(leftovers(*clients))
