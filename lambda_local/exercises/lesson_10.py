"""Lesson 10, asynchronous invocation and failures (`notebooks/10_async_failures.ipynb`): a retry policy with
an on-failure destination, read with Lambda's retry rules; partial batch responses for SQS."""

from __future__ import annotations

import json

from .. import events, policy, quotas
from ._aws import invalid_parameters
from ._core import exercise, right, wrong
from ._run import invoke, not_a_handler, outcome, show

LESSON = "async_failures"

_FAILED_QUEUE = "arn:aws:sqs:us-east-1:123456789012:invoices-failed"
_RANGES = {"MaximumRetryAttempts": (0, quotas.ASYNC_MAX_RETRIES),
           "MaximumEventAgeInSeconds": (int(quotas.MIN_EVENT_AGE_S), int(quotas.MAX_EVENT_AGE_S))}


def _out_of_range(parameters: dict) -> str | None:
    """AWS's validation message for a value outside its range (the service checks it, not botocore)."""
    for name, (low, high) in _RANGES.items():
        value = parameters.get(name)
        if value is not None and not low <= value <= high:
            bound = f"greater than or equal to {low}" if value < low else f"less than or equal to {high}"
            member = name[0].lower() + name[1:]
            return (f"1 validation error detected: Value '{value}' at '{member}' failed to satisfy constraint: "
                    f"Member must have value {bound}")
    return None


def _attempt_times(max_retries: int) -> list[str]:
    """When a function that always fails is tried, by Lambda's retry rules (policy.py)."""
    times, at, errors = ["+0 s"], 0.0, 1
    while policy.should_retry_async(errors, max_retries):
        at += policy.async_retry_delay(errors)
        times.append(f"+{at:.0f} s")
        errors += 1
    return times


def _times(count: int) -> str:
    return "once" if count == 1 else f"{count} times"


@exercise("10.1", "Retry once, keep events an hour, keep every failure",
          hint="put_function_event_invoke_config takes MaximumRetryAttempts (0-2), MaximumEventAgeInSeconds "
               '(60-21600) and DestinationConfig={"OnFailure": {"Destination": <the queue\'s ARN>}}',
          right_sample={"FunctionName": "send-invoice", "MaximumRetryAttempts": 1, "MaximumEventAgeInSeconds": 3600,
                        "DestinationConfig": {"OnFailure": {"Destination": _FAILED_QUEUE}}},
          wrong_sample={"FunctionName": "send-invoice", "MaximumRetryAttempts": 2, "MaximumEventAgeInSeconds": 60,
                        "DestinationConfig": {"OnFailure": {"Destination": "invoices-failed"}}},
          solution=f'''
              invoke_config = dict(
                  FunctionName="send-invoice",
                  MaximumRetryAttempts=1,
                  MaximumEventAgeInSeconds=3600,
                  DestinationConfig={{"OnFailure": {{"Destination": "{_FAILED_QUEUE}"}}}},
              )   # then: lambda_client.put_function_event_invoke_config(**invoke_config)''')
def retry_policy(parameters):
    problem = invalid_parameters("lambda", "PutFunctionEventInvokeConfig", parameters) or _out_of_range(parameters)
    if problem:
        yield wrong(f"Lambda would refuse this call: {problem}")
        return
    if parameters["FunctionName"] != "send-invoice":
        yield wrong(f"FunctionName is {show(parameters['FunctionName'])}; the function is send-invoice")
    retries = parameters.get("MaximumRetryAttempts", quotas.ASYNC_MAX_RETRIES)
    attempts = _attempt_times(retries)
    if retries == 1:
        yield right(f"a failing event is tried {_times(len(attempts))}, at {', '.join(attempts)}")
    else:
        yield wrong(f"with MaximumRetryAttempts {retries} a failing event is tried {_times(len(attempts))} "
                    f"({', '.join(attempts)}); the brief is the first attempt and one retry")
    age = parameters.get("MaximumEventAgeInSeconds", int(quotas.MAX_EVENT_AGE_S))
    if age == 3600:
        yield right("an event still waiting after 1 hour is given up")
    else:
        yield wrong(f"MaximumEventAgeInSeconds {age} gives up events after {age} seconds; the brief is 1 hour")
    destination = parameters.get("DestinationConfig", {}).get("OnFailure", {}).get("Destination")
    if destination == _FAILED_QUEUE:
        yield right("failed events go to the queue invoices-failed, with the error and the number of attempts")
    elif destination is None:
        yield wrong("no on-failure destination: an event that fails for good is dropped silently")
    else:
        yield wrong(f"the on-failure destination is {show(destination)}; a destination is named by its ARN, "
                    f"{_FAILED_QUEUE}")


def email_worker(event, context):
    failed = []
    for record in event["Records"]:
        address = json.loads(record["body"])["to"]
        if address.endswith(".invalid"):
            failed.append(record["messageId"])
            continue
        print(f"emailed {address}")
    return {"batchItemFailures": [{"itemIdentifier": message_id} for message_id in failed]}


def raises_for_the_batch(event, context):
    failed = []
    for record in event["Records"]:
        address = json.loads(record["body"])["to"]
        if address.endswith(".invalid"):
            failed.append(record["messageId"])
            continue
        print(f"emailed {address}")
    if failed:
        raise RuntimeError(f"{len(failed)} emails failed")


_ADDRESSES = ["ada@example.com", "bounce@nowhere.invalid", "grace@example.com", "spam@trap.invalid"]


@exercise("10.2", "Report only the failed messages of a batch",
          hint='return {"batchItemFailures": [{"itemIdentifier": message_id} for message_id in failed]} instead of '
               "raising; each id is the failed record's messageId",
          right_sample=email_worker, wrong_sample=raises_for_the_batch)
def partial_batch(handler):
    problem = not_a_handler(handler)
    if problem:
        yield wrong(problem)
        return
    records = [events.sqs_record(body=json.dumps({"to": address}), queue_name="emails",
                                 message_id=f"msg-{n}", sent_time=0) for n, address in enumerate(_ADDRESSES, start=1)]
    [result] = invoke(handler, [events.sqs_event(*records)])
    expected = [{"itemIdentifier": r["messageId"]} for r, a in zip(records, _ADDRESSES) if a.endswith(".invalid")]
    if result.error_type:
        yield wrong(f"a batch of {len(records)} → {outcome(result)}: the whole batch comes back, and the good "
                    "addresses are emailed again")
        return
    payload = result.payload if isinstance(result.payload, dict) else {}
    failures = payload.get("batchItemFailures")
    if failures == expected:
        yield right(f"a batch of {len(records)} → batchItemFailures {show(failures)}: only those two come back")
    else:
        yield wrong(f"a batch of {len(records)} → {outcome(result)}; expected batchItemFailures {show(expected)}")


EXERCISES = [retry_policy, partial_batch]
