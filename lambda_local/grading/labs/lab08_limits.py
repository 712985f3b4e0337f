"""Lab 08: a function inside Lambda's limits. A report above the 6 MB response limit goes to S3; a run that would
pass the timeout stops on its own and says what is left; the function gets a fitting timeout and reserved
concurrency (a share of the account, and a cap).
"""

from __future__ import annotations

from ..checks import Failure, check, describe_invocation_error, show

LAB = "08-limits"
TITLE = "Inside the limits: payload size, timeout, reserved concurrency"

FUNCTION, ROLE, BUCKET = "report-export", "report-export-role", "exported-reports"
ACCOUNT_CONCURRENCY, RESERVED, TIMEOUT = 1000, 10, 30
RESPONSE_LIMIT = 6 * 1024 * 1024  # bytes, a synchronous invocation's response
BIG_ROWS = 250_000  # 7.5 MB of CSV: more than a response may hold
WRITE_REPORTS = {"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Action": "s3:PutObject", "Resource": f"arn:aws:s3:::{BUCKET}/reports/*"}]}
_STAND_IN = 'def lambda_handler(event, context):\n    return "configured"\n'


def _export(lab, event: dict, timeout: int):
    """The learner's report-export, deployed by the check with the bucket and a role that may write reports."""
    lab.client("s3").create_bucket(Bucket=BUCKET)
    lab.deploy(FUNCTION, role=lab.role(ROLE, policy=WRITE_REPORTS), environment={"REPORTS_BUCKET": BUCKET},
               Timeout=timeout, MemorySize=512)
    return lab.invoke(FUNCTION, event)


@check("a report above 6 MB goes to S3, and the response says where", points=3)
def big_report_to_s3(lab):
    record = _export(lab, {"regions": [{"name": "north", "rows": BIG_ROWS}]}, timeout=30)
    if record.error_type:
        return Failure(expected=f"a region of {BIG_ROWS:,} rows (7.5 MB of CSV) to be exported",
                       got=describe_invocation_error(record),
                       hint="Function.ResponseSizeTooLarge: the report itself is in the response, and a synchronous "
                            "response holds at most 6 MB. Put it in S3 (s3.put_object) and return its bucket and "
                            "key." if record.error_type == "Function.ResponseSizeTooLarge" else
                            "Try the function in the lab notebook: the error and its line are shown there.")
    try:
        stored = lab.client("s3").head_object(Bucket=BUCKET, Key="reports/north.csv")["ContentLength"]
    except lab.client("s3").exceptions.ClientError:
        stored = None
    exported = record.payload.get("exported") if isinstance(record.payload, dict) else None
    entry = exported[0] if isinstance(exported, list) and exported and isinstance(exported[0], dict) else {}
    if not stored or stored <= RESPONSE_LIMIT or entry.get("key") != "reports/north.csv" \
            or entry.get("bucket") != BUCKET:
        return Failure(expected=f"the report in s3://{BUCKET}/reports/north.csv (more than 6 MB), and the answer "
                                f'naming it: {{"region": "north", "bucket": "{BUCKET}", "key": '
                                '"reports/north.csv", "bytes": ...}',
                       got=f"the object: {'missing' if stored is None else f'{stored:,} bytes'}; the answer's "
                           f"first export: {show(entry, 200)}",
                       hint='s3.put_object(Bucket=BUCKET, Key=f"reports/{region[\'name\']}.csv", Body=report), then '
                            "append the bucket and the key, not the report.")


@check("stops before its timeout and returns the regions left", points=3)
def stops_before_the_timeout(lab):
    regions = [{"name": f"region-{n:02d}", "rows": 10} for n in range(12)]  # 0.1 s each: 1.2 s in all
    record = _export(lab, {"regions": regions}, timeout=1)
    names = [r["name"] for r in regions]
    if record.error_type:
        return Failure(expected="12 regions of 0.1 s each in a 1-second timeout: the function to stop on its own "
                                "and answer",
                       got=describe_invocation_error(record) + " (everything it did in that call is lost)",
                       hint="Before each region: if context.get_remaining_time_in_millis() < MARGIN_MS: break. "
                            'Then return the names of the regions not done under "left".')
    payload = record.payload if isinstance(record.payload, dict) else {}
    done = [e.get("region") for e in payload.get("exported") or [] if isinstance(e, dict)]
    left = payload.get("left")
    if not done or not left or done + list(left) != names:
        return Failure(expected='some regions exported, the others, in order, under "left": together all 12',
                       got=f"exported {show(done)}, left {show(left)}",
                       hint='"left" holds the names of the regions not exported yet, so the caller can send them '
                            "again in a new call.")


@check("deploy.configure_limits gives it a 30-second timeout", points=1)
def timeout_configured(lab):
    lab.deploy(FUNCTION, {"lambda_function.py": _STAND_IN}, Timeout=3)  # as deploy.create_function leaves it
    lab.call(lab.module("deploy.py").configure_limits, lab.client("lambda"),
             what="deploy.configure_limits(lambda_client)")
    config = lab.client("lambda").get_function_configuration(FunctionName=FUNCTION)
    if config.get("Timeout") != TIMEOUT or config.get("LastUpdateStatus") != "Successful":
        return Failure(expected=f"Timeout {TIMEOUT} and LastUpdateStatus Successful",
                       got=f"Timeout {config.get('Timeout')} (3 is the default), LastUpdateStatus "
                           f"{config.get('LastUpdateStatus')}",
                       hint="lambda_client.update_function_configuration(FunctionName=FUNCTION_NAME, "
                            'Timeout=TIMEOUT), then lambda_client.get_waiter("function_updated_v2").wait(...).')


@check("deploy.configure_limits reserves 10 concurrent executions", points=2)
def concurrency_reserved(lab):
    lab.deploy(FUNCTION, {"lambda_function.py": _STAND_IN}, Timeout=3)  # as deploy.create_function leaves it
    lab.call(lab.module("deploy.py").configure_limits, lab.client("lambda"),
             what="deploy.configure_limits(lambda_client)")
    lambda_client = lab.client("lambda")
    reserved = lambda_client.get_function_concurrency(FunctionName=FUNCTION).get("ReservedConcurrentExecutions")
    unreserved = lambda_client.get_account_settings()["AccountLimit"]["UnreservedConcurrentExecutions"]
    if reserved != RESERVED:
        return Failure(expected=f"ReservedConcurrentExecutions {RESERVED}: at most {RESERVED} exports at once (the "
                                f"next one throttled with 429), and {ACCOUNT_CONCURRENCY - RESERVED} of the "
                                "account's executions left for every other function",
                       got=f"ReservedConcurrentExecutions {reserved if reserved is not None else 'not set'}; the "
                           f"account's unreserved concurrency is {unreserved}",
                       hint="lambda_client.put_function_concurrency(FunctionName=FUNCTION_NAME, "
                            "ReservedConcurrentExecutions=RESERVED). Without it, a burst of exports can take all "
                            f"{ACCOUNT_CONCURRENCY} and throttle the checkout.")
