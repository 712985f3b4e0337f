"""Lab 02: a first function through the AWS API. A handler configured by an environment variable and proved in its
logs; deploy.py creates it (configured, waited for) and updates its code; cleanup.py leaves nothing behind.
"""

from __future__ import annotations

import json

from ..checks import Failure, check, describe_invocation_error, show

LAB = "02-first-function"
TITLE = "A first function through the AWS API"

FUNCTION, ROLE, LOG_GROUP = "tip-calculator", "tip-calculator-role", "/aws/lambda/tip-calculator"
BASIC_EXECUTION = "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"
# The bills the checks send, and what the function must answer (percent -> answer).
BILL = {"bill": 40}
ANSWERS = {"15": {"tip": 6.0, "total": 46.0}, "20": {"tip": 8.0, "total": 48.0}}
# A stand-in for the code already deployed, in the check of update_code: it answers what no tip-calculator would.
_OLD_CODE = 'def lambda_handler(event, context):\n    return "the old code"\n'


def _answer(lab, environment: dict | None) -> tuple[object, object]:
    """Deploy the learner's handler (by the check itself) with ``environment``; its record for BILL."""
    lab.deploy(FUNCTION, role=lab.role(ROLE), environment=environment)
    return lab.invoke(FUNCTION, BILL)


def _shown(record) -> str:
    return describe_invocation_error(record) if record.error_type else f"it answered {show(record.payload)}"


@check("answers with the tip of TIP_PERCENT (15 when it is not set)", points=3)
def tip_from_configuration(lab):
    record = _answer(lab, {"TIP_PERCENT": "20"})
    if record.error_type or record.payload != ANSWERS["20"]:
        return Failure(expected=f'for {show(BILL)} with TIP_PERCENT "20": {show(ANSWERS["20"])}',
                       got=_shown(record),
                       hint='os.environ.get("TIP_PERCENT", "15") reads it. An environment variable is always a '
                            "string: float(...) turns it into a number." +
                            (" TypeError: the value is still a string." if record.error_type == "TypeError" else ""))
    lab.client("lambda").update_function_configuration(FunctionName=FUNCTION, Environment={"Variables": {}})
    record = lab.invoke(FUNCTION, BILL)
    if record.error_type or record.payload != ANSWERS["15"]:
        return Failure(expected=f"for {show(BILL)} without TIP_PERCENT: {show(ANSWERS['15'])}", got=_shown(record),
                       hint='Give os.environ.get a default: os.environ.get("TIP_PERCENT", "15"). '
                            'os.environ["TIP_PERCENT"] raises KeyError when the variable is not set.')


@check("logs each bill and its tip (proof in CloudWatch Logs)", points=2)
def proof_in_the_logs(lab):
    record = _answer(lab, None)
    if record.error_type:
        return Failure(expected="the function to answer, so that its log says what it did", got=_shown(record),
                       hint="Try the function in the lab notebook first.")
    lines = lab.log_lines(FUNCTION)
    tip = record.payload.get("tip") if isinstance(record.payload, dict) else None
    if not any("40" in line and str(tip) in line for line in lines):
        return Failure(expected=f"a line in the log group {LOG_GROUP} that names the bill (40) and its tip ({tip})",
                       got=f"the function's own log lines: {show(lines, 300)}" if lines else
                           "no line of the function's own, only Lambda's START, END and REPORT",
                       hint='print(f"Tip for a bill of {bill}: {tip}") in the handler: what a function prints goes '
                            "to its log group, between START and END.")


@check("deploy.create_function creates it with a 10 s timeout and TIP_PERCENT 18", points=2)
def created_configured(lab):
    deploy = lab.module("deploy.py")
    role_arn = lab.call(deploy.create_role, lab.client("iam"), what="deploy.create_role(iam)")
    lab.call(deploy.create_function, lab.client("lambda"), role_arn,
             what="deploy.create_function(lambda_client, role_arn)")
    try:
        config = lab.client("lambda").get_function(FunctionName=FUNCTION)["Configuration"]
    except lab.client("lambda").exceptions.ResourceNotFoundException:
        return Failure(expected=f"a function named {FUNCTION}", got="there is none",
                       hint="create_function(FunctionName=FUNCTION_NAME, ...) in deploy.py.")
    variables = (config.get("Environment") or {}).get("Variables") or {}
    got = {"Timeout": config.get("Timeout"), "TIP_PERCENT": variables.get("TIP_PERCENT"), "State": config.get("State")}
    wanted = {"Timeout": 10, "TIP_PERCENT": "18", "State": "Active"}
    if got != wanted:
        return Failure(expected=f"the function's configuration {show(wanted)}", got=show(got),
                       hint='create_function(..., Timeout=10, Environment={"Variables": {"TIP_PERCENT": '
                            'TIP_PERCENT}}), then lambda_client.get_waiter("function_active_v2").wait('
                            "FunctionName=FUNCTION_NAME).")


@check("deploy.update_code deploys the new lambda_function.py", points=1)
def code_updated(lab):
    lab.deploy(FUNCTION, {"lambda_function.py": _OLD_CODE}, role=lab.role(ROLE))
    deploy = lab.module("deploy.py")
    lab.call(deploy.update_code, lab.client("lambda"), what="deploy.update_code(lambda_client)")
    record = lab.invoke(FUNCTION, BILL)
    config = lab.client("lambda").get_function_configuration(FunctionName=FUNCTION)
    if record.payload == "the old code" or config.get("LastUpdateStatus") != "Successful":
        return Failure(expected=f"{FUNCTION} to run the code of lambda_function.py after update_code, its "
                                "LastUpdateStatus Successful",
                       got=f"{_shown(record)} (the code deployed before); LastUpdateStatus "
                           f"{config.get('LastUpdateStatus')}" if record.payload == "the old code" else
                           f"LastUpdateStatus {config.get('LastUpdateStatus')}",
                       hint="lambda_client.update_function_code(FunctionName=FUNCTION_NAME, ZipFile=package()), "
                            'then lambda_client.get_waiter("function_updated_v2").wait(FunctionName=FUNCTION_NAME).')


@check("cleanup.clean_up leaves no function, role or log group", points=2)
def cleaned_up(lab):
    lab.deploy(FUNCTION, {"lambda_function.py": _OLD_CODE}, role=lab.role(ROLE, managed=(BASIC_EXECUTION,)))
    lab.invoke(FUNCTION, BILL)  # its first invocation creates the log group
    lambda_client, iam, logs = lab.client("lambda"), lab.client("iam"), lab.client("logs")
    stopped = ""
    try:
        lab.call(lab.module("cleanup.py").clean_up, lambda_client, iam, logs,
                 what="cleanup.clean_up(lambda_client, iam, logs)")
    except Failure as failure:  # a refused call (DeleteConflict): report it with what is left
        stopped = f"clean_up stopped: {failure.got}; "
    left = {"functions": [f["FunctionName"] for f in lambda_client.list_functions()["Functions"]],
            "roles": [r["RoleName"] for r in iam.list_roles()["Roles"]],
            "log groups": [g["logGroupName"] for g in logs.describe_log_groups()["logGroups"]]}
    if any(left.values()) or stopped:
        return Failure(expected="list_functions, list_roles and describe_log_groups all empty after clean_up",
                       got=stopped + "left: " + json.dumps(left),
                       hint="Detach the role's policies (list_attached_role_policies, detach_role_policy) before "
                            "delete_role: IAM refuses to delete a role that has policies (DeleteConflict). Then "
                            f"logs.delete_log_group(logGroupName=\"{LOG_GROUP}\"): deleting a function leaves its "
                            "log group behind.")
