"""Lesson 12, infrastructure as code with SAM (`notebooks/12_sam.ipynb`): a least-privilege policy template; the
stack's outputs, with what `!Ref` and `!GetAtt` return for each resource type."""

from __future__ import annotations

from typing import Any

from ._core import exercise, right, wrong
from ._run import show

LESSON = "sam"

_READS = {"dynamodb:GetItem", "dynamodb:Query"}
_WRITES = ("dynamodb:Put", "dynamodb:Update", "dynamodb:Delete", "dynamodb:BatchWrite", "dynamodb:*")
# What Ref and GetAtt return, for the resources of the lesson's template (CloudFormation's resource reference).
_RETURNS = {("Ref", "Queue"): "the queue's URL", ("Ref", "WorkerFunction"): "the function's name",
            ("Ref", "Orders"): "the table's name", ("GetAtt", "Queue.Arn"): "the queue's ARN",
            ("GetAtt", "Queue.QueueName"): "the queue's name", ("GetAtt", "WorkerFunction.Arn"): "the function's ARN",
            ("GetAtt", "Orders.Arn"): "the table's ARN"}


def _yaml(text: Any, section: str) -> Any:
    """The section parsed from YAML text (SAM's parser: !Ref, !GetAtt, !Sub), or a str saying what is wrong."""
    from samtranslator.yaml_helper import yaml_parse

    if not isinstance(text, str):
        return f"the answer is YAML text in a string, not {type(text).__name__}"
    try:
        parsed = yaml_parse(text)
    except Exception as error:  # noqa: BLE001 - a YAML error of the learner's, said in words
        return f"this is not YAML yet: {str(error).splitlines()[0]}"
    if not isinstance(parsed, dict) or section not in parsed:
        return f"the text should start with `{section}:`"
    return parsed[section]


def _policy_actions(entry: Any) -> tuple[str, set[str]] | str:
    """(template name, actions it allows) of one Policies entry, or a str saying what it is."""
    from samtranslator.policy_template_processor.processor import PolicyTemplatesProcessor

    if isinstance(entry, str):
        return f"{entry} is a managed policy (or an ARN): it is not limited to the table Orders"
    if not isinstance(entry, dict) or len(entry) != 1:
        return f"{show(entry)} is not a policy template entry (`- TemplateName: {{parameters}}`)"
    name, parameters = next(iter(entry.items()))
    processor = PolicyTemplatesProcessor(PolicyTemplatesProcessor.get_default_policy_templates_json())
    if not processor.has(name):
        return f"SAM has no policy template {name}"
    try:
        document = processor.convert(name, parameters or {})
    except Exception as error:  # noqa: BLE001 - SAM's message for a missing parameter
        return f"{name}: {error}"
    actions: set[str] = set()
    for statement in document.get("Statement", []):
        listed = statement.get("Action", [])
        actions |= {listed} if isinstance(listed, str) else set(listed)
    return name, actions


@exercise("12.1", "Least privilege for a function that only reads the table",
          hint="SAM's DynamoDB policy templates: DynamoDBCrudPolicy (read and write), DynamoDBReadPolicy (read "
               "only), DynamoDBWritePolicy (write only); each takes TableName: !Ref <the table>",
          right_sample="Policies:\n  - DynamoDBReadPolicy:\n      TableName: !Ref Orders\n",
          wrong_sample="Policies:\n  - DynamoDBCrudPolicy:\n      TableName: !Ref Orders\n",
          solution="""
              report_policies = '''
              Policies:
                - DynamoDBReadPolicy:
                    TableName: !Ref Orders
              '''""")
def read_only_policy(text):
    policies = _yaml(text, "Policies")
    if isinstance(policies, str):
        yield wrong(policies)
        return
    if not isinstance(policies, list) or not policies:
        yield wrong("Policies is a list: each entry starts with `- `")
        return
    allowed: set[str] = set()
    for entry in policies:
        found = _policy_actions(entry)
        if isinstance(found, str):
            yield wrong(found)
            continue
        name, actions = found
        allowed |= actions
        table = next(iter(entry.values())).get("TableName") if isinstance(next(iter(entry.values())), dict) else None
        if table == {"Ref": "Orders"}:
            yield right(f"{name} names the table Orders with !Ref")
        else:
            yield wrong(f"{name}'s TableName is {show(table)}; the table is the resource Orders (!Ref Orders)")
    writes = sorted(a for a in allowed if a.startswith(_WRITES))
    if writes:
        yield wrong(f"the role may also write: {', '.join(writes)}; the function only reads")
    missing = sorted(_READS - allowed)
    if missing:
        yield wrong(f"the function cannot call {', '.join(missing)}")
    elif not writes:
        yield right("it may read the table (GetItem, Query, ...) and nothing more")


def _value(output: Any) -> tuple[str, str] | None:
    value = output.get("Value") if isinstance(output, dict) else None
    if isinstance(value, dict) and len(value) == 1:
        (function, argument), = value.items()
        if function == "Ref" and isinstance(argument, str):
            return "Ref", argument
        if function == "Fn::GetAtt":
            parts = argument.split(".", 1) if isinstance(argument, str) else argument
            if isinstance(parts, list) and len(parts) == 2:
                return "GetAtt", ".".join(parts)
    return None


@exercise("12.2", "Outputs: the queue's URL and the worker's ARN",
          hint="!Ref returns one value per resource type (a queue's URL, a function's name, a table's name) and "
               "!GetAtt Resource.Attribute the others (Queue.Arn, WorkerFunction.Arn)",
          right_sample="Outputs:\n  QueueUrl:\n    Value: !Ref Queue\n  WorkerArn:\n"
                       "    Value: !GetAtt WorkerFunction.Arn\n",
          wrong_sample="Outputs:\n  QueueUrl:\n    Value: !GetAtt Queue.Arn\n  WorkerArn:\n"
                       "    Value: !Ref WorkerFunction\n",
          solution="""
              more_outputs = '''
              Outputs:
                QueueUrl:
                  Value: !Ref Queue
                WorkerArn:
                  Value: !GetAtt WorkerFunction.Arn
              '''""")
def outputs_section(text):
    outputs = _yaml(text, "Outputs")
    if isinstance(outputs, str):
        yield wrong(outputs)
        return
    if not isinstance(outputs, dict):
        yield wrong("Outputs maps each output's name to its `Value:`")
        return
    wanted = {"QueueUrl": (("Ref", "Queue"), "the queue's URL"),
              "WorkerArn": (("GetAtt", "WorkerFunction.Arn"), "the function's ARN")}
    for name, (expected, meaning) in wanted.items():
        if name not in outputs:
            yield wrong(f"there is no output {name}")
            continue
        found = _value(outputs[name])
        if found == expected:
            yield right(f"{name} is {meaning}")
        elif found is None:
            yield wrong(f"{name} has no Value from !Ref or !GetAtt")
        else:
            returns = _RETURNS.get(found, "something else")
            shown = f"!{found[0]} {found[1]}"
            yield wrong(f"{name}: {shown} returns {returns}, not {meaning}")


EXERCISES = [read_only_policy, outputs_section]
