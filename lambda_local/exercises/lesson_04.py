"""Lesson 04, triggers (`notebooks/04_triggers.ipynb`): the permission S3 needs to invoke a function; a cron
schedule EventBridge accepts and that fires when asked."""

from __future__ import annotations

from datetime import datetime, timezone

from ..triggers.schedules import InvalidSchedule, parse_schedule
from ._aws import invalid_parameters
from ._core import exercise, right, wrong
from ._run import show

LESSON = "triggers"

_SATURDAY = datetime(2026, 1, 3, tzinfo=timezone.utc).timestamp()
_WEEKDAYS_0830 = ["Mon 2026-01-05 08:30", "Tue 2026-01-06 08:30", "Wed 2026-01-07 08:30", "Thu 2026-01-08 08:30",
                  "Fri 2026-01-09 08:30", "Mon 2026-01-12 08:30"]


def _firings(expression: str, count: int) -> list[str]:
    schedule = parse_schedule(expression)
    times, previous = [], None
    for _ in range(count):
        previous = schedule.next_after(_SATURDAY, previous)
        times.append(datetime.fromtimestamp(previous, timezone.utc).strftime("%a %Y-%m-%d %H:%M"))
    return times


@exercise("04.2", "A schedule for weekdays at 08:30 UTC",
          hint="cron(minutes hours day-of-month month day-of-week year), in UTC; when you name the days of the week, "
               "the day of the month must be ? (and the other way round)",
          right_sample="cron(30 8 ? * MON-FRI *)", wrong_sample="cron(30 8 * * MON-FRI *)",
          solution='weekday_mornings = "cron(30 8 ? * MON-FRI *)"   # minute 30, hour 8, any day of the month, '
                   "every month, Monday to Friday, every year")
def weekday_schedule(expression):
    if not isinstance(expression, str):
        yield wrong(f"a schedule expression is a string such as \"rate(5 minutes)\", not {type(expression).__name__}")
        return
    try:
        firings = _firings(expression, len(_WEEKDAYS_0830))
    except InvalidSchedule:
        yield wrong(f"EventBridge refuses {expression!r}: ValidationException - Parameter ScheduleExpression is not "
                    "valid.")
        return
    yield right(f"EventBridge accepts {expression!r}")
    if firings == _WEEKDAYS_0830:
        yield right(f"from Saturday 2026-01-03 it fires {', '.join(f[:3] for f in firings[:5])} at 08:30 UTC, "
                    "then Monday again")
    else:
        yield wrong(f"from Saturday 2026-01-03 it fires {', '.join(firings[:4])}, ...; expected "
                    f"{', '.join(_WEEKDAYS_0830[:4])}, ...")


_ACCOUNT = "123456789012"
_BUCKET_ARN = "arn:aws:s3:::invoices-inbox"
_EXPECTED = {"Action": "lambda:InvokeFunction", "Principal": "s3.amazonaws.com", "SourceArn": _BUCKET_ARN,
             "SourceAccount": _ACCOUNT}
_WHY = {"Action": "the action S3 calls is lambda:InvokeFunction",
        "Principal": "the principal is the service that invokes, s3.amazonaws.com (not the bucket)",
        "SourceArn": f"the bucket's ARN is {_BUCKET_ARN} (bucket ARNs have no region and no account)",
        "SourceAccount": f"SourceAccount {_ACCOUNT}: a bucket ARN names no account, so without it a bucket of that "
                         "name in another account could invoke the function"}


@exercise("04.1", "Let one bucket invoke the function",
          hint="copy the lesson's add_permission call: Principal is the service, SourceArn the bucket, and "
               "SourceAccount your account",
          right_sample={"FunctionName": "on-invoice", "StatementId": "s3-invoices-inbox", **_EXPECTED},
          wrong_sample={"FunctionName": "on-invoice", "StatementId": "s3-invoices-inbox",
                        "Action": "lambda:InvokeFunction", "Principal": _BUCKET_ARN},
          solution=f'''
              permission = dict(
                  FunctionName="on-invoice",
                  StatementId="s3-invoices-inbox",
                  Action="lambda:InvokeFunction",
                  Principal="s3.amazonaws.com",
                  SourceArn="{_BUCKET_ARN}",
                  SourceAccount="{_ACCOUNT}",
              )   # then: lambda_client.add_permission(**permission)''')
def s3_permission(parameters):
    problem = invalid_parameters("lambda", "AddPermission", parameters)
    if problem:
        yield wrong(f"boto3 would refuse this call: {problem}")
        return
    if parameters["FunctionName"] in ("on-invoice", f"arn:aws:lambda:us-east-1:{_ACCOUNT}:function:on-invoice"):
        yield right("FunctionName names on-invoice")
    else:
        yield wrong(f"FunctionName is {show(parameters['FunctionName'])}; the function is on-invoice")
    for name, expected in _EXPECTED.items():
        if parameters.get(name) == expected:
            yield right(f"{name} is {show(expected)}")
        else:
            found = "is missing" if name not in parameters else f"is {show(parameters[name])}"
            yield wrong(f"{name} {found}: {_WHY[name]}")


EXERCISES = [s3_permission, weekday_schedule]
