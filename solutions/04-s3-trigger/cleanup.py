"""Remove everything deploy.py created, so nothing is left behind (or billed): the bucket, the function's log
group, the function and its role. Then list the functions and roles to see they are gone (the lab notebook does).
"""

import boto3

from deploy import BUCKET, FUNCTION_NAME, ROLE_NAME


def delete_bucket(s3) -> None:
    """Empty the bucket (S3 refuses to delete a bucket that holds objects), then delete it."""
    try:
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=BUCKET):
            for item in page.get("Contents", []):
                s3.delete_object(Bucket=BUCKET, Key=item["Key"])
        s3.delete_bucket(Bucket=BUCKET)
    except s3.exceptions.NoSuchBucket:
        pass  # already gone


def delete_log_group(logs) -> None:
    """Deleting a function keeps its logs (and their storage bill): delete the log group too."""
    try:
        logs.delete_log_group(logGroupName=f"/aws/lambda/{FUNCTION_NAME}")
    except logs.exceptions.ResourceNotFoundException:
        pass  # never invoked, or already gone


def delete_function(lambda_client) -> None:
    """Delete the function FUNCTION_NAME."""
    # TODO 5: this also removes its permissions (the resource-based policy); a second run finds nothing to delete.
    try:
        lambda_client.delete_function(FunctionName=FUNCTION_NAME)
    except lambda_client.exceptions.ResourceNotFoundException:
        pass


def delete_role(iam) -> None:
    """Delete the role ROLE_NAME."""
    # TODO 5: a role goes last, once nothing uses it, and only after its policies are gone.
    try:
        for policy in iam.list_attached_role_policies(RoleName=ROLE_NAME)["AttachedPolicies"]:
            iam.detach_role_policy(RoleName=ROLE_NAME, PolicyArn=policy["PolicyArn"])
        for name in iam.list_role_policies(RoleName=ROLE_NAME)["PolicyNames"]:
            iam.delete_role_policy(RoleName=ROLE_NAME, PolicyName=name)
        iam.delete_role(RoleName=ROLE_NAME)
    except iam.exceptions.NoSuchEntityException:
        pass


def main() -> None:
    delete_bucket(boto3.client("s3"))
    delete_log_group(boto3.client("logs"))
    delete_function(boto3.client("lambda"))
    delete_role(boto3.client("iam"))
    print("cleanup.py finished: list the functions and roles to see what is left.")


if __name__ == "__main__":
    main()
