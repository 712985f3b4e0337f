"""Lesson 02, your first function (`notebooks/02_first_function.ipynb`): deploy a configured function through boto3;
clean up everything a function leaves behind.

Each answer is a function that takes boto3 clients, as a lab's ``deploy.py`` does. The check runs it against a mocked
AWS account of its own (``mock_aws``), so AWS's own answers (a refused call, a role that still has policies) are
what the learner sees.
"""

from __future__ import annotations

import inspect
import json
from typing import Any, Callable, Iterator

from ._core import Mark, exercise, right, wrong
from ._run import show

LESSON = "first_function"

_REGION = "us-east-1"
_FUNCTION, _ROLE, _LOG_GROUP = "greeter", "greeter-role", "/aws/lambda/greeter"
_BASIC_EXECUTION = "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"
_TRUST = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"},
                                                  "Action": "sts:AssumeRole"}]}
_GREETER = ('import os\n\n\ndef lambda_handler(event, context):\n'
            '    prefix = os.environ.get("GREETING_PREFIX", "Hello")\n'
            '    return {"message": f"{prefix}, {event.get(\'name\', \'World\')}!"}\n')


def _clients(*services: str) -> list:
    import boto3

    return [boto3.client(service, region_name=_REGION) for service in services]


def _takes(answer: Any, names: tuple[str, ...]) -> str | None:
    """Why ``answer`` is not a function of ``names`` (the clients and values the check passes), or None."""
    if not callable(answer):
        return f"the answer is a function that takes ({', '.join(names)}), not {type(answer).__name__}"
    try:
        inspect.signature(answer).bind(*names)
    except TypeError:
        return f"the function takes {len(names)} arguments: ({', '.join(names)})"
    except ValueError:
        pass
    return None


def _refused(error: Exception) -> str:
    """An AWS error as the SDK shows it: ``DeleteConflict: Cannot delete entity, ...``; anything else by its type."""
    response = getattr(error, "response", None)
    if isinstance(response, dict) and "Error" in response:
        return f"{response['Error'].get('Code')}: {response['Error'].get('Message')}"
    return f"{type(error).__name__}: {error}"


def _role(iam) -> str:
    arn = iam.create_role(RoleName=_ROLE, AssumeRolePolicyDocument=json.dumps(_TRUST))["Role"]["Arn"]
    iam.attach_role_policy(RoleName=_ROLE, PolicyArn=_BASIC_EXECUTION)
    return arn


# --- 02.1 ------------------------------------------------------------------------------------------------------
def deploy(lambda_client, role_arn, package):
    lambda_client.create_function(
        FunctionName="greeter",
        Runtime="python3.12",
        Role=role_arn,
        Handler="lambda_function.lambda_handler",
        Code={"ZipFile": package},
        Timeout=10,
        Environment={"Variables": {"GREETING_PREFIX": "Howdy"}},
    )
    lambda_client.get_waiter("function_active_v2").wait(FunctionName="greeter")


def deploy_without_configuration(lambda_client, role_arn, package):
    lambda_client.create_function(FunctionName="greeter", Runtime="python3.12", Role=role_arn,
                                  Handler="lambda_function.handler", Code={"ZipFile": package})


def _configured(config: dict) -> Iterator[Mark]:
    expected = {"Runtime": "python3.12", "Handler": "lambda_function.lambda_handler", "Timeout": 10}
    for key, value in expected.items():
        if config.get(key) == value:
            yield right(f"{key} {value}")
        else:
            yield wrong(f"{key} is {config.get(key)!r}; expected {value!r}")
    variables = (config.get("Environment") or {}).get("Variables") or {}
    if variables.get("GREETING_PREFIX") == "Howdy":
        yield right('Environment: GREETING_PREFIX is "Howdy"')
    else:
        yield wrong(f"the environment variables are {show(variables)}; expected GREETING_PREFIX = \"Howdy\"")


@exercise("02.1", "Deploy a configured function",
          hint='create_function(FunctionName="greeter", Runtime="python3.12", Role=role_arn, '
               'Handler="lambda_function.lambda_handler" (file.function), Code={"ZipFile": package}, Timeout=10, '
               'Environment={"Variables": {"GREETING_PREFIX": "Howdy"}}), then the function_active_v2 waiter',
          right_sample=deploy, wrong_sample=deploy_without_configuration)
def deploy_a_configured_function(answer: Callable) -> Iterator[Mark]:
    problem = _takes(answer, ("lambda_client", "role_arn", "package"))
    if problem:
        yield wrong(problem)
        return
    from ..packaging import zip_package
    from ..sandbox import mock_aws

    with mock_aws(seed=0):
        lambda_client, iam = _clients("lambda", "iam")
        try:
            answer(lambda_client, _role(iam), zip_package({"lambda_function.py": _GREETER}))
        except Exception as error:  # noqa: BLE001 - AWS refused the call: that is the feedback
            yield wrong(f"deploy(...) stopped: {_refused(error)}")
            return
        try:
            config = lambda_client.get_function(FunctionName=_FUNCTION)["Configuration"]
        except lambda_client.exceptions.ResourceNotFoundException:
            yield wrong('there is no function named "greeter" after deploy(...)')
            return
        yield right('the function "greeter" exists')
        yield from _configured(config)
        answer_payload = lambda_client.invoke(FunctionName=_FUNCTION, Payload=json.dumps({"name": "Ada"}))
        payload = json.loads(answer_payload["Payload"].read() or b"null")
        if "FunctionError" not in answer_payload and payload == {"message": "Howdy, Ada!"}:
            yield right('invoked with {"name": "Ada"}, it answers {"message": "Howdy, Ada!"}')
        else:
            yield wrong(f'invoked with {{"name": "Ada"}}, it answers {show(payload)}; expected '
                        '{"message": "Howdy, Ada!"}')


# --- 02.2 ------------------------------------------------------------------------------------------------------
def clean_up(lambda_client, iam, logs):
    lambda_client.delete_function(FunctionName="greeter")
    for policy in iam.list_attached_role_policies(RoleName="greeter-role")["AttachedPolicies"]:
        iam.detach_role_policy(RoleName="greeter-role", PolicyArn=policy["PolicyArn"])
    iam.delete_role(RoleName="greeter-role")
    logs.delete_log_group(logGroupName="/aws/lambda/greeter")


def clean_up_without_detaching(lambda_client, iam, logs):
    lambda_client.delete_function(FunctionName="greeter")
    iam.delete_role(RoleName="greeter-role")


@exercise("02.2", "Clean up everything the function left",
          hint="delete the function; detach the role's policies (list_attached_role_policies, then "
               "detach_role_policy) before delete_role, because IAM refuses to delete a role that still has "
               "policies; and delete the log group /aws/lambda/greeter, which delete_function leaves behind",
          right_sample=clean_up, wrong_sample=clean_up_without_detaching)
def clean_up_everything(answer: Callable) -> Iterator[Mark]:
    problem = _takes(answer, ("lambda_client", "iam", "logs"))
    if problem:
        yield wrong(problem)
        return
    from ..packaging import zip_package
    from ..sandbox import mock_aws

    with mock_aws(seed=0):
        lambda_client, iam, logs = _clients("lambda", "iam", "logs")
        deploy(lambda_client, _role(iam), zip_package({"lambda_function.py": _GREETER}))
        lambda_client.invoke(FunctionName=_FUNCTION, Payload=b"{}")  # its first log line creates the log group
        stopped = None
        try:
            answer(lambda_client, iam, logs)
        except Exception as error:  # noqa: BLE001 - AWS refused a call: that is the feedback
            stopped = _refused(error)
            yield wrong(f"clean_up(...) stopped: {stopped}")
        functions = [f["FunctionName"] for f in lambda_client.list_functions()["Functions"]]
        roles = [r["RoleName"] for r in iam.list_roles()["Roles"]]
        groups = [g["logGroupName"] for g in logs.describe_log_groups()["logGroups"]]
        left = {("functions", "list_functions"): functions, ("roles", "list_roles"): roles,
                ("log groups", "describe_log_groups"): groups}
        for (kind, listing), names in left.items():
            if names:
                yield wrong(f"{listing} still shows {show(names)}")
            else:
                yield right(f"{listing}: no {kind} left")


EXERCISES = [deploy_a_configured_function, clean_up_everything]
