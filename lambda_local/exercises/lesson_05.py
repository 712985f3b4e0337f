"""Lesson 05, IAM (today's `notebooks/04_iam.ipynb`): least-privilege statements for a function's own logs and for
its own work, judged by the runtime's IAM evaluation."""

from __future__ import annotations

from typing import Any, Iterator

from .. import iam
from ._core import Mark, exercise, right, wrong
from ._run import show

LESSON = "iam"

_ACCOUNT, _REGION = "123456789012", "us-east-1"
_TABLE = f"arn:aws:dynamodb:{_REGION}:{_ACCOUNT}:table/invoices"


def _statements(answer: Any) -> tuple[list[dict] | None, str]:
    """The answer as a list of statements, or None and what is wrong with its shape."""
    statements = [answer] if isinstance(answer, dict) else answer
    if not isinstance(statements, list) or not statements:
        return None, f"give a list of statements, each a dict with Effect, Action and Resource; got {show(answer)}"
    for statement in statements:
        if not isinstance(statement, dict) or statement.get("Effect") not in ("Allow", "Deny") \
                or "Action" not in statement or "Resource" not in statement:
            return None, (f"IAM refuses {show(statement)}: a statement needs \"Effect\" (\"Allow\" or \"Deny\"), "
                          "\"Action\" and \"Resource\"")
    return statements, ""


def _judge(statements: list[dict], requests: list[tuple[str, str, bool]]) -> Iterator[Mark]:
    """For each (action, resource, should it be allowed): IAM's decision, right or wrong."""
    for action, resource, allowed in requests:
        decision = iam.evaluate(statements, action, resource)
        said = "allowed" if decision == "Allow" else "denied"
        if (decision == "Allow") == allowed:
            yield right(f"{action} on {resource}: {said}")
        else:
            expected = "allowed (the function needs it)" if allowed else "denied (the function does not need it)"
            yield wrong(f"{action} on {resource}: {said}; should be {expected}")


_INVOICE_REQUESTS = [
    ("s3:GetObject", "arn:aws:s3:::billing-inbox/invoices/2026-01.json", True),
    ("dynamodb:PutItem", _TABLE, True),
    ("s3:GetObject", "arn:aws:s3:::billing-inbox/payroll/2026-01.json", False),
    ("s3:PutObject", "arn:aws:s3:::billing-inbox/invoices/2026-01.json", False),
    ("s3:GetObject", "arn:aws:s3:::other-bucket/invoices/2026-01.json", False),
    ("dynamodb:DeleteItem", _TABLE, False),
]


@exercise("05.2", "Least privilege for an invoice reader",
          hint="one statement per resource: s3:GetObject on the objects arn:aws:s3:::billing-inbox/invoices/* "
               "(objects, not the bucket), dynamodb:PutItem on the table's ARN; no wildcards in Action",
          right_sample=[
              {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::billing-inbox/invoices/*"},
              {"Effect": "Allow", "Action": "dynamodb:PutItem", "Resource": _TABLE}],
          wrong_sample=[
              {"Effect": "Allow", "Action": "s3:*", "Resource": "*"},
              {"Effect": "Allow", "Action": "dynamodb:*", "Resource": _TABLE}],
          solution=f'''
              invoice_statements = [
                  {{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::billing-inbox/invoices/*"}},
                  {{"Effect": "Allow", "Action": "dynamodb:PutItem", "Resource": "{_TABLE}"}},
              ]''')
def invoice_reader(answer):
    statements, problem = _statements(answer)
    if statements is None:
        yield wrong(problem)
        return
    yield from _judge(statements, _INVOICE_REQUESTS)


_GROUP = "/aws/lambda/invoice-reader"
_STREAM = "2026/01/01/[$LATEST]0123abcd"


@exercise("05.1", "A role that writes only its own function's logs",
          hint="the three actions of AWSLambdaBasicExecutionRole on one resource, the group's ARN with :* at the end: "
               f"arn:aws:logs:{_REGION}:{_ACCOUNT}:log-group:{_GROUP}:* covers the group and its streams",
          right_sample={"Effect": "Allow",
                        "Action": ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"],
                        "Resource": f"arn:aws:logs:{_REGION}:{_ACCOUNT}:log-group:{_GROUP}:*"},
          wrong_sample={"Effect": "Allow", "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
                        "Resource": f"arn:aws:logs:{_REGION}:{_ACCOUNT}:log-group:{_GROUP}"},
          solution=f'''
              own_logs = {{
                  "Effect": "Allow",
                  "Action": ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"],
                  "Resource": "arn:aws:logs:{_REGION}:{_ACCOUNT}:log-group:{_GROUP}:*",
              }}''')
def own_logs(answer):
    statements, problem = _statements(answer)
    if statements is None:
        yield wrong(problem)
        return
    needed = iam.logging_requests(_REGION, _ACCOUNT, _GROUP, _STREAM)
    others = iam.logging_requests(_REGION, _ACCOUNT, "/aws/lambda/payroll", _STREAM)
    yield from _judge(statements, [(action, resource, True) for action, resource in needed]
                      + [(action, resource, False) for action, resource in others[1:]])


EXERCISES = [own_logs, invoice_reader]
