"""Deploy the users API: the table, the function, and a REST API in front of it (Lambda proxy integration).

Each step takes boto3 clients, so the same code deploys to the mocked AWS of the lab notebook and, with real
credentials, to AWS. `main()` runs the steps in order and returns the API's URL.
"""

import json
from pathlib import Path

import boto3

from lambda_local import zip_package

HERE = Path(__file__).resolve().parent
FUNCTION_NAME = "users-api"
ROLE_NAME = "users-api-role"
TABLE = "users"
API_NAME, STAGE = "users", "prod"
BASIC_EXECUTION = "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"
TRUST_POLICY = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
                                                        "Principal": {"Service": "lambda.amazonaws.com"}}]}


def create_table(dynamodb) -> None:
    dynamodb.create_table(TableName=TABLE, KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
                          AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
                          BillingMode="PAY_PER_REQUEST")


def create_role(iam) -> str:
    """Logs, and reading and writing the users table."""
    arn = iam.create_role(RoleName=ROLE_NAME, AssumeRolePolicyDocument=json.dumps(TRUST_POLICY))["Role"]["Arn"]
    iam.attach_role_policy(RoleName=ROLE_NAME, PolicyArn=BASIC_EXECUTION)
    iam.put_role_policy(RoleName=ROLE_NAME, PolicyName="users-table", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{
            "Effect": "Allow", "Action": ["dynamodb:Scan", "dynamodb:GetItem", "dynamodb:PutItem",
                                          "dynamodb:DeleteItem"],
            "Resource": f"arn:aws:dynamodb:*:*:table/{TABLE}"}]}))
    return arn


def create_function(lambda_client, role_arn: str) -> str:
    """The function; returns its ARN."""
    return lambda_client.create_function(
        FunctionName=FUNCTION_NAME, Runtime="python3.12", Role=role_arn, Handler="lambda_function.lambda_handler",
        Code={"ZipFile": zip_package({"lambda_function.py": (HERE / "lambda_function.py").read_bytes()})},
        Timeout=10, Environment={"Variables": {"TABLE_NAME": TABLE}})["FunctionArn"]


def add_method(apigateway, api_id: str, resource_id: str, http_method: str, function_arn: str) -> None:
    """An HTTP method on a resource, handed to the function whole (AWS_PROXY: the Lambda proxy integration)."""
    region = function_arn.split(":")[3]
    apigateway.put_method(restApiId=api_id, resourceId=resource_id, httpMethod=http_method,
                          authorizationType="NONE")
    apigateway.put_integration(
        restApiId=api_id, resourceId=resource_id, httpMethod=http_method, type="AWS_PROXY",
        integrationHttpMethod="POST",  # API Gateway always calls Lambda's Invoke API with POST
        uri=f"arn:aws:apigateway:{region}:lambda:path/2015-03-31/functions/{function_arn}/invocations")


def create_api(apigateway, lambda_client, function_arn: str) -> str:
    """The REST API, deployed to STAGE; returns its URL: https://<api id>.execute-api.<region>.amazonaws.com/<stage>."""
    region = function_arn.split(":")[3]
    api_id = apigateway.create_rest_api(name=API_NAME)["id"]
    root_id = next(r["id"] for r in apigateway.get_resources(restApiId=api_id)["items"] if r["path"] == "/")

    # TODO 4: create the resource /users under the root (create_resource with pathPart "users") and the resource
    #         /users/{id} under it (pathPart "{id}"); then add_method(...) GET and POST on /users, and GET and
    #         DELETE on /users/{id}.

    # TODO 5: an API answers only once it is deployed to a stage: create a deployment to STAGE. Then let API
    #         Gateway (the principal apigateway.amazonaws.com) invoke the function: add a permission for
    #         lambda:InvokeFunction.

    return f"https://{api_id}.execute-api.{region}.amazonaws.com/{STAGE}"


def main() -> str:
    create_table(boto3.client("dynamodb"))
    function_arn = create_function(boto3.client("lambda"), create_role(boto3.client("iam")))
    url = create_api(boto3.client("apigateway"), boto3.client("lambda"), function_arn)
    print(f"Deployed the users API: {url}/users")
    return url


if __name__ == "__main__":
    main()
