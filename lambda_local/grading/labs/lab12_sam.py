"""Lab 12: a SAM template for a feedback application (an API, a queue, a table, two functions), linted with cfn-lint,
deployed as a stack by the SAM transform and moto's CloudFormation, and run.
"""

from __future__ import annotations

import json

from ..checks import Failure, check, describe_invocation_error, show

LAB = "12-sam"
TITLE = "Infrastructure as code with SAM"

STACK, TEMPLATE, REGION = "feedback", "template.yaml", "us-east-1"
FEEDBACK = {"text": "The labs are fun"}


def _template_text(lab) -> str:
    path = lab._inside(lab.file(TEMPLATE), TEMPLATE)
    return path.read_text(encoding="utf-8")


def _template(lab) -> dict:
    from ...sam import load

    try:
        template = load(_template_text(lab))
    except Exception as error:  # noqa: BLE001 - a YAML error of the learner's, said in words
        raise Failure(expected=f"{TEMPLATE} to be a YAML template", got=f"{type(error).__name__}: {error}",
                      hint="Check the indentation (spaces, never tabs) around the line it names.") from None
    if not isinstance(template, dict) or not isinstance(template.get("Resources"), dict):
        raise Failure(expected=f"{TEMPLATE} with a Resources section", got=show(template, 120),
                      hint="`lambda-local reset 12` brings the starting template back.")
    return template


def _lint_errors(lab) -> list[str]:
    from ...browser import NotLoaded, import_site_package

    try:
        cfnlint_api = import_site_package("cfnlint.api", "cfn-lint")
    except NotLoaded as error:
        raise Failure(expected="cfn-lint to run on the template", got=str(error),
                      hint="The checks after this one do not need cfn-lint and ran anyway.") from None
    found = cfnlint_api.lint(_template_text(lab), config=cfnlint_api.ManualArgs(regions=[REGION]))
    return [f"{m.rule.id} line {m.linenumber}: {m.message}" for m in found if m.rule.id.startswith("E")]


def _deploy(lab, parameters: dict | None = None) -> dict:
    """sam deploy of the learner's template (code zipped as the grader zips a lab, links out of it refused); the
    stack's outputs."""
    from botocore.exceptions import ClientError

    from ...sam import DeployError, deploy

    try:
        return deploy(STACK, _template(lab), lab.path, parameters=parameters,
                      cloudformation=lab.client("cloudformation"), s3=lab.client("s3"), iam=lab.client("iam"),
                      archive=lab.package)
    except Failure:
        raise
    except DeployError as error:
        raise Failure(expected="the stack to reach CREATE_COMPLETE", got=str(error)[:600],
                      hint="The reason is CloudFormation's, as AWS gives it. Run cfn-lint on the template first "
                           "(the lab's first cell does).") from None
    except ClientError as error:
        message = error.response.get("Error", {}).get("Message", str(error))
        raise Failure(expected="CloudFormation to accept the template", got=message[:600],
                      hint="A Ref or GetAtt to a resource the template does not have, or a parameter it does not "
                           "declare, is refused before anything is created.") from None
    except Exception as error:  # noqa: BLE001 - the SAM transform's InvalidDocumentException and the like
        raise Failure(expected="the SAM transform to accept the template", got=f"{error}"[:600],
                      hint="Compare the event or policy with lesson 12's template: SAM names each property.") \
            from None


def _physical_id(lab, logical_id: str) -> str | None:
    resources = lab.client("cloudformation").describe_stack_resources(StackName=STACK)["StackResources"]
    return next((r.get("PhysicalResourceId") for r in resources if r["LogicalResourceId"] == logical_id), None)


def _function(lab, logical_id: str) -> str:
    name = _physical_id(lab, logical_id)
    if not name:
        raise Failure(expected=f"the function {logical_id} in the stack", got="no such resource",
                      hint="Keep the resources' logical ids as the starting template has them.")
    return name


def _api_url(lab) -> str | None:
    api = _physical_id(lab, "ServerlessRestApi")
    return f"https://{api}.execute-api.{REGION}.amazonaws.com/Prod/feedback" if api else None


@check("cfn-lint finds no errors, and the template deploys as a stack", points=2)
def lints_clean_and_deploys(lab):
    _template(lab)
    errors = _lint_errors(lab)
    if errors:
        return Failure(expected="no error (E) findings from cfn-lint", got="; ".join(errors)[:500],
                       hint="Each finding names its line. A runtime Lambda retired cannot be created any more: "
                            "use python3.12.")
    _deploy(lab)


@check("POST /feedback answers 202 and queues the feedback", points=2)
def api_event(lab):
    _deploy(lab)
    url = _api_url(lab)
    if url is None:
        return Failure(expected="a REST API in the stack (ServerlessRestApi)", got="no API",
                       hint="An Api event on SubmitFunction (Type: Api, Properties: Path /feedback, Method post) "
                            "makes SAM create one.")
    response = lab.aws.http("POST", url, body=json.dumps(FEEDBACK))
    if response.status != 202:
        return Failure(expected=f"202 from POST {url}", got=f"{response.status} {response.text[:200]}",
                       hint="403 {\"message\":\"Missing Authentication Token\"} is API Gateway's answer for a path "
                            "or method it does not have: check the event's Path and Method.")


@check("feedback sent to the Inbox queue lands in the Feedback table", points=2)
def queue_to_table(lab):
    _deploy(lab)
    queue_url, table = _physical_id(lab, "Inbox"), _physical_id(lab, "Feedback")
    store = _function(lab, "StoreFunction")
    item = {"id": "f-1", "text": "Nice", "stage": "dev"}
    lab.client("sqs").send_message(QueueUrl=queue_url, MessageBody=json.dumps(item))
    ran = [r for r in lab.aws.invocations if r.function_name == store]
    if not ran:
        return Failure(expected=f"the message to run StoreFunction ({store})", got="it never ran",
                       hint="An SQS event on StoreFunction (Type: SQS, Properties: Queue: !GetAtt Inbox.Arn) makes "
                            "the event source mapping that polls the queue.")
    if ran[-1].error_type:
        return Failure(expected="StoreFunction to store the message", got=describe_invocation_error(ran[-1]),
                       hint="AccessDenied on dynamodb:PutItem: the function's role may not write the table. The "
                            "policy template DynamoDBCrudPolicy with TableName: !Ref Feedback allows it.")
    items = lab.client("dynamodb").scan(TableName=table)["Items"]
    if not any(i.get("id", {}).get("S") == "f-1" for i in items):
        return Failure(expected="the item f-1 in the Feedback table", got=show(items), hint="Is TABLE still !Ref Feedback?")


@check("the Stage parameter reaches every function", points=1)
def stage_parameter(lab):
    template = _template(lab)
    stage = (template.get("Parameters") or {}).get("Stage")
    if not isinstance(stage, dict):
        return Failure(expected="a parameter Stage in Parameters", got="no such parameter",
                       hint="Parameters:\n  Stage:\n    Type: String\n    AllowedValues: [dev, prod]\n"
                            "    Default: dev")
    _deploy(lab, {"Stage": "prod"})
    for logical_id in ("SubmitFunction", "StoreFunction"):
        config = lab.client("lambda").get_function_configuration(FunctionName=_function(lab, logical_id))
        seen = config.get("Environment", {}).get("Variables", {}).get("STAGE")
        if seen != "prod":
            return Failure(expected=f"STAGE=prod in {logical_id}'s environment after a deploy with Stage=prod",
                           got=f"STAGE={seen}", hint="In Globals, STAGE: !Ref Stage gives every function the value.")


@check("Outputs give the API's URL and the table's name", points=1)
def outputs(lab):
    found = _deploy(lab)
    expected = {"ApiUrl": _api_url(lab), "TableName": _physical_id(lab, "Feedback")}
    got = {key: found.get(key) for key in expected}
    if got != expected:
        return Failure(expected=f"the outputs {show(expected, 300)}", got=show(found, 300),
                       hint='ApiUrl: !Sub "https://${ServerlessRestApi}.execute-api.${AWS::Region}.amazonaws.com/'
                            'Prod/feedback", TableName: !Ref Feedback.')
