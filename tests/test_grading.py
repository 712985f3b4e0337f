"""The grader: every solution scores full marks, every untouched lab zero, one TODO's worth of work in between;
reports (text, JSON, JUnit), an instructor's extra checks, reset with a backup, progress, and the CLI's exit codes."""

from __future__ import annotations

import filecmp
import json
import shutil
import sys
import xml.etree.ElementTree as ET
from datetime import datetime
from pathlib import Path

import pytest
from click.testing import CliRunner

from lambda_local.grading import (Failure, GradingError, check_lab, grade, load_checks, mark_lesson_run, progress,
                                  reset_lab)
from lambda_local.grading.cli import check_command, grade_command, progress_command, reset_command
from lambda_local.grading.reset import STARTING_FILES
from lambda_local.grading.runner import RENAMED_LABS, lab_definitions, lab_folders

ROOT = Path(__file__).resolve().parent.parent
LABS = sorted(lab_definitions())
_JUNK = {"__pycache__", ".ipynb_checkpoints"}


def files(folder: Path) -> list[str]:
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*")
                  if p.is_file() and not _JUNK & set(p.relative_to(folder).parts))


def copy_lab(source: Path, parent: Path) -> Path:
    target = parent / source.name
    shutil.copytree(source, target, ignore=shutil.ignore_patterns(*_JUNK))
    return target


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert text.count(old) == 1, f"{path.name} no longer holds the text this test edits: {old!r}"
    path.write_text(text.replace(old, new))


# --- one TODO's worth of work per lab, made the way a learner would make it -------------------------------------
def _greeting_shape(lab: Path) -> None:
    edit(lab / "lambda_function.py", "    return message\n",
         '    return {"statusCode": 200, "headers": {"Content-Type": "application/json"}, '
         '"body": json.dumps({"message": message})}\n')


def _tip_from_the_environment(lab: Path) -> None:
    edit(lab / "lambda_function.py", "    percent = 15\n", '    percent = float(os.environ.get("TIP_PERCENT", "15"))\n')


def _report_to_s3(lab: Path) -> None:
    edit(lab / "lambda_function.py", '        exported.append({"region": region["name"], "report": report})\n',
         "        import boto3\n"
         "        key = f\"reports/{region['name']}.csv\"\n"
         '        boto3.client("s3").put_object(Bucket=BUCKET, Key=key, Body=report)\n'
         '        exported.append({"region": region["name"], "bucket": BUCKET, "key": key, "bytes": len(report)})\n')


def _policy_reads(lab: Path) -> None:
    policy = json.loads((lab / "policy.json").read_text())
    policy["Statement"][0].update(Action="s3:GetObject", Resource="arn:aws:s3:::acme-reports/incoming/*")
    (lab / "policy.json").write_text(json.dumps(policy, indent=2))


def _clients_at_module_level(lab: Path) -> None:
    source = lab / "lambda_function.py"
    edit(source, '    ssm = boto3.client("ssm")\n    dynamodb = boto3.client("dynamodb")\n', "")
    edit(source, "def lambda_handler", 'ssm = boto3.client("ssm")\ndynamodb = boto3.client("dynamodb")\n\n\n'
                                       "def lambda_handler")


def _function_imports_textkit(lab: Path) -> None:
    shutil.copy(ROOT / "solutions/07-layer/function/lambda_function.py", lab / "function/lambda_function.py")


def _compute_charge(lab: Path) -> None:
    edit(lab / "cost_model.py", "    compute_charge = 0.0\n",
         "    compute_charge = memory_mb / 1024 * duration_ms / 1000 * requests * PRICE_PER_GB_SECOND\n")


def _log_each_key(lab: Path) -> None:
    edit(lab / "lambda_function.py", '    return {"records"',
         '    for record in event["Records"]:\n        print("New upload:", record["s3"]["object"]["key"])\n\n'
         '    return {"records"')


def _decode_the_key(lab: Path) -> None:
    edit(lab / "lambda_function.py", "import os\n", "import os\nfrom urllib.parse import unquote_plus\n")
    edit(lab / "lambda_function.py", '        key = record["s3"]["object"]["key"]\n',
         '        key = unquote_plus(record["s3"]["object"]["key"])\n')


def _report_batch_item_failures(lab: Path) -> None:
    shutil.copy(ROOT / "solutions/10-resilient-async/sqs_worker/lambda_function.py",
                lab / "sqs_worker/lambda_function.py")


def _conditional_write(lab: Path) -> None:
    shutil.copy(ROOT / "solutions/10-resilient-async/lambda_function.py", lab / "lambda_function.py")


def _cutoff_from_the_event(lab: Path) -> None:
    edit(lab / "lambda_function.py", "    return 0\n",
         '    return int((datetime.fromisoformat(event["time"].replace("Z", "+00:00")) - MAX_AGE).timestamp())\n')


def _read_users(lab: Path) -> None:
    source = lab / "lambda_function.py"
    edit(source, '    # TODO 1: 200 and every user in the table (scan it), as a JSON list.\n'
                 '    return respond(501, {"error": "not implemented yet"})\n',
         '    return respond(200, table.scan()["Items"])\n')
    edit(source, '    # TODO 1: 200 and the user whose id is user_id (get_item); 404 and an error when there is none.\n'
                 '    return respond(501, {"error": "not implemented yet"})\n',
         '    item = table.get_item(Key={"id": user_id}).get("Item")\n'
         '    return respond(200, item) if item else respond(404, {"error": "no such user"})\n')


def _supported_runtime(lab: Path) -> None:
    edit(lab / "template.yaml", "    Runtime: python3.7", "    Runtime: python3.12")


def _errors_alarm(lab: Path) -> None:
    shutil.copy(ROOT / "solutions/13-observability/alarm.py", lab / "alarm.py")


def _coupon_optional(lab: Path) -> None:
    edit(lab / "lambda_function.py", 'COUPONS[order["coupon"]]', 'COUPONS.get(order.get("coupon"), 0)')


ONE_TODO = {
    "01-greeting": (_greeting_shape, "answers in API Gateway's response shape"),
    "02-first-function": (_tip_from_the_environment, "answers with the tip of TIP_PERCENT (15 when it is not set)"),
    "04-s3-trigger": (_log_each_key, "proof in the logs: each upload's key appears in the function's "
                                               "log group"),
    "03-s3-processor": (_decode_the_key, "decodes the object key from the event (spaces, accents)"),
    "05-least-privilege": (_policy_reads, "reads reports under incoming/ in acme-reports"),
    "06-cold-start-fix": (_clients_at_module_level, "creates its AWS clients once per execution environment"),
    "07-layer": (_function_imports_textkit, "the function uses textkit from the layer"),
    "08-limits": (_report_to_s3, "a report above 6 MB goes to S3, and the response says where"),
    "09-cost-model": (_compute_charge, "prices requests and compute as AWS does"),
    "10-resilient-async": (_conditional_write, "credits a payment delivered twice only once"),
    "11-scheduled-cleanup": (_cutoff_from_the_event, "computes the cutoff: 30 days before the schedule fired"),
    "15-rest-api-capstone": (_read_users, "GET /users lists the users, GET /users/{id} returns one (404 when "
                                          "unknown)"),
    "12-sam": (_supported_runtime, "cfn-lint finds no errors, and the template deploys as a stack"),
    "13-observability": (_errors_alarm, "alarm.py: an Errors alarm that fires and notifies the topic"),
    "14-debugging": (_coupon_optional, "totals an order without a coupon"),
}


# --- the labs themselves -----------------------------------------------------------------------------------------
def test_every_lab_with_checks_has_a_lab_folder_a_solved_twin_and_a_one_todo_test():
    assert LABS == [p.name for p in lab_folders(ROOT / "labs") if p.name in lab_definitions()]
    assert sorted(ONE_TODO) == LABS
    for lab in LABS:
        assert files(ROOT / "labs" / lab) == files(ROOT / "solutions" / lab), lab
        assert "lab.ipynb" in files(ROOT / "labs" / lab)
        assert lab_definitions()[lab].checks, lab


@pytest.fixture(scope="module")
def built_starting_files(tmp_path_factory) -> Path:
    """What a wheel carries: the package built with setup.py's build hook."""
    import subprocess
    import sys

    target = tmp_path_factory.mktemp("build")
    subprocess.run([sys.executable, "setup.py", "-q", "build_py", "--build-lib", str(target)], cwd=ROOT, check=True,
                   capture_output=True)
    return target / "lambda_local" / "grading" / "starting_files"


def _same_files(packaged: Path, course: Path) -> list[str]:
    assert files(packaged) == files(course)
    return [f for f in files(course) if not filecmp.cmp(packaged / f, course / f, shallow=False)]


@pytest.mark.parametrize("lab", LABS)
def test_a_built_package_carries_each_labs_starting_files_as_labs_has_them(lab, built_starting_files):
    """reset restores from the package's copy; it must be what a fresh clone has in labs/."""
    assert _same_files(built_starting_files / lab, ROOT / "labs" / lab) == []


def _committed(path: Path) -> bytes | None:
    """The file as the checkout's last commit holds it (labs/ in the working tree holds the learner's own work)."""
    import subprocess

    found = subprocess.run(["git", "show", f"HEAD:{path.relative_to(ROOT).as_posix()}"], cwd=ROOT,
                           capture_output=True)
    return found.stdout if found.returncode == 0 else None


@pytest.mark.skipif(not STARTING_FILES.is_dir(), reason="no installed copy: a checkout that was never installed")
@pytest.mark.parametrize("lab", LABS)
def test_the_installed_starting_files_are_the_committed_labs_files(lab):
    if _committed(ROOT / "labs" / lab / files(ROOT / "labs" / lab)[0]) is None:
        pytest.skip("not a git checkout: nothing committed to compare with")
    fix = (f"rm -rf {STARTING_FILES.relative_to(ROOT)} && pip install -e . "
           "(labs/ changed upstream since it was installed)")
    stale = [f for f in files(STARTING_FILES / lab)
             if (STARTING_FILES / lab / f).read_bytes() != _committed(ROOT / "labs" / lab / f)]
    assert stale == [], fix


def test_a_checkout_never_installed_takes_the_starting_files_from_its_labs(monkeypatch, tmp_path):
    from lambda_local.grading import reset

    monkeypatch.setattr(reset, "STARTING_FILES", tmp_path / "not-built")
    assert reset.starting_files("01-greeting") == ROOT / "labs" / "01-greeting"
    with pytest.raises(GradingError, match="no starting files for 99-nothing"):
        reset.starting_files("99-nothing")


def test_no_course_file_is_stored_twice_in_git():
    """The course lives in labs/ and solutions/ only; the package's copy is built, not committed."""
    import subprocess

    tracked = subprocess.run(["git", "ls-files", "lambda_local"], cwd=ROOT, capture_output=True, text=True)
    if tracked.returncode:
        pytest.skip("not a git checkout")
    course = {(ROOT / d / f).read_bytes() for d in ("labs", "solutions") for f in files(ROOT / d)}
    copies = [f for f in tracked.stdout.split() if (ROOT / f).is_file() and (ROOT / f).read_bytes() in course]
    assert copies == []


# Each kind of submission (every solution, every untouched lab, one TODO done in each lab) is graded once, as one
# learner's repository, the way `lambda-local grade` grades it in CI: one learner's process for all its labs, each lab
# with its own checks and time limit. A process per lab (check_lab) starts Python, moto and the runtime 45 times over,
# about twice the work (measured); the tests further down that edit a file use check_lab. Each lab's assertions are a
# subtest of their own, so a failure names its lab.
def _graded(repository: Path) -> dict:
    report = grade([repository])
    assert len(report.submissions) == 1, report.format()
    return {lab.lab: lab for lab in report.submissions[0].labs}


def test_every_solution_scores_full_marks(subtests):
    graded = _graded(ROOT / "solutions")  # `lambda-local grade solutions/`
    for lab in LABS:
        with subtests.test(lab=lab):
            result = graded[lab]
            print(f"{lab}: graded in {result.seconds:.2f} s")  # measured for the report, never asserted
            assert [c.name for c in result.checks if not c.passed] == [], result.format()
            assert result.points == result.max_points > 0


def test_every_untouched_lab_scores_zero_with_a_message_for_every_check(subtests, tmp_path):
    for lab in LABS:
        copy_lab(ROOT / "labs" / lab, tmp_path / "learner" / "labs")
    graded = _graded(tmp_path / "learner")
    for lab in LABS:
        with subtests.test(lab=lab):
            result = graded[lab]
            assert result.points == 0 and result.max_points > 0
            for check in result.checks:
                assert not check.passed
                assert check.failure.expected and check.failure.got and check.failure.hint, check.name


def test_one_todos_worth_of_work_scores_between_in_every_lab(subtests, tmp_path):
    unchanged: dict = {}  # a change that no longer applies is its lab's failure, not every lab's
    for lab in LABS:
        folder = copy_lab(ROOT / "labs" / lab, tmp_path / "learner" / "labs")
        try:
            ONE_TODO[lab][0](folder)
        except AssertionError as error:
            shutil.rmtree(folder)
            unchanged[lab] = error
    graded = _graded(tmp_path / "learner")
    for lab in LABS:
        with subtests.test(lab=lab):
            if lab in unchanged:
                raise unchanged[lab]
            result = graded[lab]
            assert 0 < result.points < result.max_points, result.format()
            assert [c.name for c in result.checks if c.passed] == [ONE_TODO[lab][1]], result.format()


def test_one_todos_worth_of_work_in_the_sqs_worker_part_scores_that_check_alone(tmp_path):
    """Lab 10 has two parts; ONE_TODO above does part 1's first TODO, this does part 2's (sqs_worker/)."""
    folder = copy_lab(ROOT / "labs/10-resilient-async", tmp_path)
    _report_batch_item_failures(folder)
    result = check_lab(folder)
    assert [c.name for c in result.checks if c.passed] == [
        "SQS worker: reports bad messages in batchItemFailures, so good ones are processed once"], result.format()


# --- a learner's mistakes become failed checks, never exceptions ----------------------------------------------------
def test_a_syntax_error_in_the_handler_fails_every_check_with_the_error_shown(tmp_path):
    folder = copy_lab(ROOT / "solutions/01-greeting", tmp_path)
    (folder / "lambda_function.py").write_text("def lambda_handler(event, context)\n    return 1\n")
    result = check_lab(folder)
    assert result.points == 0
    assert all("Runtime.UserCodeSyntaxError" in c.failure.got for c in result.checks), result.format()


def test_an_error_in_an_imported_module_names_the_file_and_line(tmp_path):
    folder = copy_lab(ROOT / "solutions/09-cost-model", tmp_path)
    source = folder / "cost_model.py"
    source.write_text(source.read_text() + "\nraise RuntimeError('half-finished')\n")
    line = source.read_text().count("\n")
    result = check_lab(folder)
    assert result.points == 0
    assert all(f"RuntimeError: half-finished (cost_model.py, line {line})" in c.failure.got for c in result.checks)


def test_a_missing_or_broken_file_says_so(tmp_path):
    folder = copy_lab(ROOT / "solutions/05-least-privilege", tmp_path)
    (folder / "policy.json").write_text('{"Version": "2012-10-17", "Statement": [}')
    assert all("JSON syntax error" in c.failure.got for c in check_lab(folder).checks)
    (folder / "policy.json").unlink()
    assert all(c.failure.got == "there is no such file" for c in check_lab(folder).checks)


def test_a_policy_iam_refuses_is_reported_with_iams_message(tmp_path):
    folder = copy_lab(ROOT / "solutions/05-least-privilege", tmp_path)
    policy = json.loads((folder / "policy.json").read_text())
    policy["Statement"][0]["Resource"] = "acme-reports/incoming/*"
    (folder / "policy.json").write_text(json.dumps(policy))
    failure = check_lab(folder).checks[0].failure
    assert failure.got.startswith("IAM refused it: MalformedPolicyDocument")


def test_a_too_broad_policy_works_but_fails_least_privilege_naming_what_it_allows(tmp_path):
    folder = copy_lab(ROOT / "solutions/05-least-privilege", tmp_path)
    policy = json.loads((folder / "policy.json").read_text())
    policy["Statement"][0].update(Action="s3:*", Resource="arn:aws:s3:::acme-reports/incoming*")
    (folder / "policy.json").write_text(json.dumps(policy))
    result = check_lab(folder)
    assert [c.name for c in result.checks if not c.passed] == ["denies everything else the function does not need"]
    got = result.checks[-1].failure.got
    assert "s3:PutObject on arn:aws:s3:::acme-reports/incoming/forged.csv" in got
    assert "s3:GetObject on arn:aws:s3:::acme-reports/incoming-archive/2019.csv" in got
    assert "private/payroll.csv" not in got


def test_config_loaded_lazily_on_the_first_call_also_counts_as_once_per_environment(tmp_path):
    folder = copy_lab(ROOT / "solutions/06-cold-start-fix", tmp_path)
    edit(folder / "lambda_function.py", "config = load_config(ssm)\n", "config = None\n")
    edit(folder / "lambda_function.py", "def lambda_handler(event, context):\n",
         "def lambda_handler(event, context):\n    global config\n    config = config or load_config(ssm)\n")
    assert check_lab(folder).passed


def test_config_hard_coded_at_module_level_is_not_reloaded_by_a_new_environment(tmp_path):
    folder = copy_lab(ROOT / "solutions/06-cold-start-fix", tmp_path)
    edit(folder / "lambda_function.py", "config = load_config(ssm)\n",
         'config = {"table": "prices", "tax_rate": "0.20", "currency": "EUR"}\n')
    failure = check_lab(folder).checks[1].failure
    assert failure.expected == "the cold start to read the settings from /shop/config"


def test_a_function_that_bundles_the_library_does_not_use_the_layer(tmp_path):
    folder = copy_lab(ROOT / "solutions/07-layer", tmp_path)
    shutil.copytree(folder / "textkit", folder / "function/textkit")
    result = check_lab(folder)
    assert [c.name for c in result.checks if not c.passed] == ["the function uses textkit from the layer"]
    assert result.checks[-1].failure.got == "it gave the right answer with no layer attached"


def failed(result) -> dict:
    """The failures of a lab result, by check name."""
    return {c.name: c.failure for c in result.checks if not c.passed}


def test_a_notification_before_its_permission_shows_s3s_refusal(tmp_path):
    folder = copy_lab(ROOT / "solutions/04-s3-trigger", tmp_path)
    edit(folder / "deploy.py", "    lambda_client.add_permission(", "    (lambda **_: None)(")
    failures = failed(check_lab(folder))
    assert sorted(failures) == ["S3 invokes the function for uploads under incoming/, and only those",
                                "lets S3 invoke the function, from the greeter-uploads bucket only"]
    for failure in failures.values():
        assert "InvalidArgument" in failure.got and "Unable to validate" in failure.got
        assert "permission (TODO 3) before the notification" in failure.hint


def test_a_permission_for_any_bucket_and_a_cleanup_that_keeps_policies_are_named(tmp_path):
    folder = copy_lab(ROOT / "solutions/04-s3-trigger", tmp_path)
    edit(folder / "deploy.py", '        SourceArn=f"arn:aws:s3:::{BUCKET}",\n', "")
    detach = '            iam.detach_role_policy(RoleName=ROLE_NAME, PolicyArn=policy["PolicyArn"])\n'
    edit(folder / "cleanup.py", detach, "            pass\n")
    failures = failed(check_lab(folder))
    assert failures["lets S3 invoke the function, from the greeter-uploads bucket only"].expected == \
        "the permission limited to the bucket (SourceArn arn:aws:s3:::greeter-uploads)"
    cleanup = failures["cleanup.py deletes the function and its role, and nothing else"]
    assert "DeleteConflict" in cleanup.got and "detach" in cleanup.hint
    assert len(failures) == 2


def test_an_s3_processor_that_reads_the_encoded_key_gets_nosuchkey(tmp_path):
    folder = copy_lab(ROOT / "solutions/03-s3-processor", tmp_path)
    edit(folder / "lambda_function.py", 'key = unquote_plus(record["s3"]["object"]["key"])',
         'key = record["s3"]["object"]["key"]')
    failures = failed(check_lab(folder))
    assert sorted(failures) == ["decodes the object key from the event (spaces, accents)",
                                "processes an upload end to end through the S3 trigger"]
    assert "NoSuchKey" in failures["decodes the object key from the event (spaces, accents)"].got


@pytest.mark.parametrize("change, got", [
    # catching every error without reporting it: the bad messages are deleted, lost
    ('failures.append({"itemIdentifier": record["messageId"]})', 'the function returned {"batchItemFailures": []}'),
    # reporting the order's id instead of the message's: an invalid answer fails the whole batch
    ('failures.append({"itemIdentifier": record["body"][:8]})', '"itemIdentifier": "not an o"'),
    # the bare ids instead of {"itemIdentifier": id} objects
    ('failures.append(record["messageId"])', '{"batchItemFailures": ["'),
])
def test_an_sqs_worker_that_does_not_report_its_failed_messages_by_id_fails(tmp_path, change, got):
    folder = copy_lab(ROOT / "solutions/10-resilient-async", tmp_path)
    edit(folder / "sqs_worker/lambda_function.py", 'failures.append({"itemIdentifier": record["messageId"]})',
         "pass" if change == 'failures.append({"itemIdentifier": record["messageId"]})' else change)
    failures = failed(check_lab(folder))
    first = failures["SQS worker: reports bad messages in batchItemFailures, so good ones are processed once"]
    # Expected shows the objects the check compares: {"batchItemFailures": [{"itemIdentifier": "<id>"}, ...]}
    assert first.expected.startswith('the 2 bad messages reported by messageId: {"batchItemFailures": '
                                     '[{"itemIdentifier": "') and got in first.got
    assert ("not the id alone" in first.hint) == change.startswith('failures.append(record["messageId"])')
    assert "SQS worker: end to end: good orders reserved once, bad ones in orders-dlq" in failures
    assert "credits a payment delivered twice only once" not in failures  # part 1 is graded on its own files


def test_idempotency_keyed_on_the_account_loses_a_payment(tmp_path):
    folder = copy_lab(ROOT / "solutions/10-resilient-async", tmp_path)
    edit(folder / "lambda_function.py", 'processed.put_item(Item={"payment_id": payment_id,',
         'processed.put_item(Item={"payment_id": account,')
    failures = failed(check_lab(folder))
    assert failures["credits a payment delivered twice only once"].got == "acme 25, globex 10.5"


def test_a_cleanup_job_on_the_computers_clock_or_one_scan_page_fails_with_the_reason(tmp_path):
    now = copy_lab(ROOT / "solutions/11-scheduled-cleanup", tmp_path / "now")
    edit(now / "lambda_function.py", 'fired = datetime.fromisoformat(event["time"].replace("Z", "+00:00"))',
         "fired = datetime.now().astimezone()")
    cutoff = failed(check_lab(now))["computes the cutoff: 30 days before the schedule fired"]
    assert cutoff.expected.startswith("cutoff() of an event that fired at 2026-01-31T03:00:00Z to be 1767236400")
    one_page = copy_lab(ROOT / "solutions/11-scheduled-cleanup", tmp_path / "page")
    edit(one_page / "lambda_function.py", '        if "LastEvaluatedKey" not in page:\n            return keys\n',
         "        return keys\n")
    failures = failed(check_lab(one_page))
    assert list(failures) == ["deletes the sessions older than 30 days, and only those"]
    assert "LastEvaluatedKey" in failures["deletes the sessions older than 30 days, and only those"].hint


def test_a_users_api_that_crashes_on_bad_input_is_a_502_not_a_400(tmp_path):
    folder = copy_lab(ROOT / "solutions/15-rest-api-capstone", tmp_path)
    edit(folder / "lambda_function.py", '        data = json.loads(body or "")\n', "        data = json.loads(body)\n")
    failures = failed(check_lab(folder))
    assert sorted(failures) == ["POST /users creates a user (201) and answers 400 for invalid input"]
    failure = failures["POST /users creates a user (201) and answers 400 for invalid input"]
    assert failure.expected == "400 for POST /users with no body" and "502" in failure.got


# --- instructors' extra checks ----------------------------------------------------------------------------------------
HIDDEN = '''
from lambda_local.grading import Failure, check

LAB = "01"


@check("greets a name with an accent", points=3)
def accents(lab):
    import json
    lab.deploy("greeting")
    record = lab.invoke("greeting", {"queryStringParameters": {"name": "Zoë"}})
    if json.loads(record.payload["body"]).get("message") != "Hello, Zoë!":
        return Failure(expected="Hello, Zoë!", got=str(record.payload), hint="")


@check("a check with a bug in it", points=1)
def buggy(lab):
    return 1 / 0
'''


def test_checks_dir_adds_an_instructors_checks_to_their_lab_only(tmp_path):
    (tmp_path / "lab01_extra.py").write_text(HIDDEN)
    assert [c.name for c in load_checks(tmp_path)["01"]] == ["greets a name with an accent", "a check with a bug in it"]
    report = grade([ROOT / "solutions/01-greeting", ROOT / "solutions/07-layer"], checks_dir=tmp_path)
    greeting, layer = report.submissions[0].labs
    assert [c.source for c in greeting.checks][-2:] == ["instructor", "instructor"]
    assert greeting.max_points == 8 + 3 + 1 and greeting.points == 8 + 3
    buggy = greeting.checks[-1]  # a buggy check fails, no raise; a hidden check's detail never reaches a report
    assert not buggy.passed and "hidden checks" in buggy.failure.hint
    assert "ZeroDivisionError" not in report.format() + json.dumps(report.as_dict()) + report.to_junit()
    assert all(c.source == "course" for c in layer.checks) and layer.passed


def test_a_checks_file_without_a_lab_number_is_refused_in_plain_words(tmp_path):
    (tmp_path / "extra.py").write_text("from lambda_local.grading import check\n")
    with pytest.raises(GradingError, match='set LAB = "NN"'):
        load_checks(tmp_path)
    result = CliRunner().invoke(grade_command, [str(ROOT / "solutions/01-greeting"), "--checks", str(tmp_path)])
    assert result.exit_code == 2 and 'set LAB = "NN"' in result.output and "Traceback" not in result.output


# --- reports --------------------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def mixed_report(tmp_path_factory):
    """One solved and one untouched lab, as two submissions."""
    learner = tmp_path_factory.mktemp("submissions") / "alice"
    copy_lab(ROOT / "labs/01-greeting", learner / "labs")
    return grade([ROOT / "solutions/01-greeting", learner])


def test_text_report_shows_every_check_its_points_and_what_is_wrong(mixed_report):
    text = mixed_report.format()
    assert "== solutions (" in text and "== alice" in text
    assert text.count("PASS       2/2") == 4 and text.count("FAIL       0/2") == 4
    assert "Expected: a response {statusCode, headers, body} for GET /hello?name=Ada" in text
    assert "Total: 8/16 points in 2 submissions" in text


def test_json_report_has_points_and_max_points_on_top_and_every_check(mixed_report, tmp_path):
    output = tmp_path / "grades.json"
    result = CliRunner().invoke(grade_command, [str(ROOT / "solutions/01-greeting"), "--json", str(output)])
    assert result.exit_code == 0, result.output
    data = json.loads(output.read_text())
    assert (data["points"], data["max_points"]) == (8, 8)
    data = mixed_report.as_dict()
    assert (data["points"], data["max_points"], data["passed"]) == (8, 16, False)
    lab = data["submissions"][1]["labs"][0]
    assert lab["lab"] == "01-greeting" and (lab["points"], lab["max_points"]) == (0, 8)
    check = lab["checks"][0]
    assert set(check) >= {"name", "points", "max_points", "passed", "expected", "got", "hint", "message"}
    assert check["passed"] is False and check["got"] == 'the function returned "Hello, world!"'
    assert sum(c["max_points"] for s in data["submissions"] for l in s["labs"] for c in l["checks"]) == 16


def test_junit_report_has_a_suite_per_lab_and_a_failure_per_failed_check(mixed_report):
    root = ET.fromstring(mixed_report.to_junit())
    assert root.tag == "testsuites" and (root.get("tests"), root.get("failures")) == ("8", "4")
    suites = root.findall("testsuite")
    assert [s.get("name") for s in suites] == ["solutions/01-greeting", "alice/01-greeting"]
    failures = suites[1].findall("testcase/failure")
    assert len(failures) == 4 and failures[0].get("message").startswith("Expected: ")
    assert "Hint:" in failures[0].text and not suites[0].findall("testcase/failure")
    points = {p.get("name"): p.get("value") for p in suites[0].find("properties")}
    assert (points["points"], points["max_points"]) == ("8", "8")


def test_notebooks_show_the_table(mixed_report):
    class Printer:
        def text(self, value):
            self.value = value

    printer = Printer()
    mixed_report.submissions[0].labs[0]._repr_pretty_(printer, False)
    assert printer.value == mixed_report.submissions[0].labs[0].format()


# --- grade and check on the command line --------------------------------------------------------------------------
def test_grade_exit_codes(tmp_path):
    runner = CliRunner()
    solved = runner.invoke(grade_command, [str(ROOT / "solutions/01-greeting"), str(ROOT / "solutions/09-cost-model")])
    assert solved.exit_code == 0 and "== solutions" in solved.output and "20/20 points" in solved.output
    untouched = runner.invoke(grade_command, [str(copy_lab(ROOT / "labs/09-cost-model", tmp_path))])
    assert untouched.exit_code == 1 and "0/12 points" in untouched.output
    missing = runner.invoke(grade_command, [str(tmp_path / "nowhere")])
    assert missing.exit_code == 2 and "there is no such folder" in missing.output
    (tmp_path / "empty").mkdir()
    empty = runner.invoke(grade_command, [str(tmp_path / "empty")])
    assert empty.exit_code == 2 and "no labs there" in empty.output


def test_grade_finds_labs_in_a_learners_repository_and_notes_labs_without_checks(tmp_path):
    repo = tmp_path / "bob"
    copy_lab(ROOT / "solutions/07-layer", repo / "labs")
    (repo / "labs/98-step-functions").mkdir()
    report = grade([repo])
    assert [lab.lab for lab in report.submissions[0].labs] == ["07-layer", "98-step-functions"]
    assert report.submissions[0].labs[1].note.startswith("no checks for 98-step-functions yet")
    assert report.passed and report.points == report.max_points == 8


def test_check_command_runs_one_lab_by_number(tmp_path):
    copy_lab(ROOT / "labs/07-layer", tmp_path / "labs")
    result = CliRunner().invoke(check_command, ["07", "--path", str(tmp_path / "labs")])
    assert result.exit_code == 1 and "Lab 07-layer" in result.output and "0/8" in result.output
    result = CliRunner().invoke(check_command, ["7", "--path", str(ROOT / "solutions")])
    assert result.exit_code == 0 and "every check passes" in result.output
    result = CliRunner().invoke(check_command, ["98", "--path", str(ROOT / "solutions")])
    assert result.exit_code == 2 and "no lab 98" in result.output


def test_grade_takes_a_lab_number_or_name_as_check_does(tmp_path, monkeypatch):
    copy_lab(ROOT / "solutions/07-layer", tmp_path / "labs")
    monkeypatch.chdir(tmp_path)
    for lab in ("07", "7", "07-layer"):
        result = CliRunner().invoke(grade_command, [lab])
        assert result.exit_code == 0 and "Lab 07-layer" in result.output and "8/8 points" in result.output, lab


def test_a_labs_old_name_gets_its_new_name_in_plain_words(tmp_path):
    """Labs were renumbered to pair with their lessons (issue 18): 07-sqs-worker must not silently check 07-layer."""
    result = CliRunner().invoke(check_command, ["07-sqs-worker", "--path", str(ROOT / "solutions")])
    assert result.exit_code == 2 and "07-sqs-worker is an old name" in result.output
    assert "part 2 of lab 10-resilient-async" in result.output and "lambda-local check 10" in result.output
    assert "Traceback" not in result.output
    old = tmp_path / "labs/08-cost-model"  # a learner's checkout from before the renumbering
    old.mkdir(parents=True)
    report = grade([old])
    assert report.submissions[0].labs[0].note.startswith("not graded: 08-cost-model is an old name")
    assert "now lab 09-cost-model" in report.submissions[0].labs[0].note
    assert set(RENAMED_LABS.values()) <= {lab for lab in LABS} | {"10-resilient-async/sqs_worker"}
    assert not set(RENAMED_LABS) & set(LABS)


# --- reset ----------------------------------------------------------------------------------------------------------
def test_reset_saves_the_learners_version_then_restores_the_starting_files(tmp_path):
    lab = copy_lab(ROOT / "solutions/01-greeting", tmp_path / "labs")
    (lab / "notes.txt").write_text("my notes")
    stamp = datetime(2026, 3, 1, 14, 5, 9)
    result = reset_lab("01", labs_dir=tmp_path / "labs", now=stamp)
    assert result.backup == tmp_path / "backups/01-greeting-20260301-140509"
    assert (result.backup / "notes.txt").read_text() == "my notes"
    assert filecmp.cmp(result.backup / "lambda_function.py", ROOT / "solutions/01-greeting/lambda_function.py",
                       shallow=False)
    assert files(lab) == files(ROOT / "labs/01-greeting") == list(result.restored)
    assert filecmp.cmp(lab / "lambda_function.py", ROOT / "labs/01-greeting/lambda_function.py", shallow=False)
    (lab / "lambda_function.py").write_text("# started again\n")
    again = reset_lab(lab, now=stamp)  # same second: a second backup, never over the first
    assert again.backup.name == "01-greeting-20260301-140509-2" and (result.backup / "notes.txt").exists()


def test_reset_of_an_untouched_lab_saves_nothing(tmp_path):
    lab = copy_lab(ROOT / "labs/01-greeting", tmp_path / "labs")
    (lab / "__pycache__").mkdir()  # running the lab's checks leaves caches; they are not the learner's work
    (lab / "__pycache__" / "lambda_function.cpython-312.pyc").write_bytes(b"cache")
    result = reset_lab("01", labs_dir=tmp_path / "labs")
    assert result.backup is None and not (tmp_path / "backups").exists()
    assert "01-greeting already has its starting files" in result.format()
    assert files(lab) == files(ROOT / "labs/01-greeting")


def test_reset_command_prints_where_the_backup_is(tmp_path):
    lab = copy_lab(ROOT / "labs/09-cost-model", tmp_path / "labs")
    result = CliRunner().invoke(reset_command, ["09", "--path", str(tmp_path / "labs")])
    assert result.exit_code == 0 and "09-cost-model already has its starting files" in result.output
    assert not (tmp_path / "backups").exists()
    (lab / "notes.txt").write_text("my notes")
    result = CliRunner().invoke(reset_command, ["09", "--path", str(tmp_path / "labs")])
    assert result.exit_code == 0 and "Saved your version of 09-cost-model to " in result.output
    assert len(list((tmp_path / "backups").iterdir())) == 1
    result = CliRunner().invoke(reset_command, ["99", "--path", str(tmp_path / "labs")])
    assert result.exit_code == 2 and "no lab 99" in result.output


# --- progress -------------------------------------------------------------------------------------------------------
def test_progress_lists_lessons_run_and_labs_passing(tmp_path, monkeypatch):
    for name in ("00_start_here", "01_handlers"):
        (tmp_path / "notebooks").mkdir(exist_ok=True)
        (tmp_path / "notebooks" / f"{name}.ipynb").write_text("{}")
    copy_lab(ROOT / "solutions/09-cost-model", tmp_path / "labs")
    copy_lab(ROOT / "labs/07-layer", tmp_path / "labs")
    monkeypatch.delenv("JPY_SESSION_NAME", raising=False)
    assert mark_lesson_run() is None and not (tmp_path / ".lambda-local").exists()  # nbval, plain Python
    monkeypatch.setenv("JPY_SESSION_NAME", str(tmp_path / "notebooks/01_handlers.ipynb"))  # what JupyterLab sets
    assert mark_lesson_run() == tmp_path / ".lambda-local/progress.json"
    state = progress(tmp_path / "notebooks")
    assert [(l.name, l.ran) for l in state.lessons] == [("00_start_here", False), ("01_handlers", True)]
    assert [(lab.lab, lab.passed) for lab in state.labs] == [("07-layer", False), ("09-cost-model", True)]
    output = CliRunner().invoke(progress_command, ["--path", str(tmp_path)]).output
    assert "[x] 01_handlers" in output and "[ ] 00_start_here" in output
    assert "[x] 09-cost-model" in output and "[ ] 07-layer" in output and "0/8 points" in output
    assert "Next: 00_start_here, then 07-layer" in output


def _kernel_running_cell(monkeypatch, cell_id):
    """IPython's get_ipython() as in a kernel running the cell ``cell_id`` (JupyterLab sends its id as cellId)."""
    import types

    import IPython

    kernel = types.SimpleNamespace(get_parent=lambda: {"metadata": {"cellId": cell_id}})
    monkeypatch.setattr(IPython, "get_ipython", lambda: types.SimpleNamespace(kernel=kernel))


def test_in_a_browser_a_lesson_is_recorded_by_the_id_of_the_cell_that_runs(tmp_path, monkeypatch):
    """A browser tab's kernel is not told its notebook's name (no JPY_SESSION_NAME): the lesson is the one notebook
    of the kernel's folder that has the running cell; none is recorded when that is not exactly one."""
    from lambda_local import browser

    notebooks = tmp_path / "notebooks"
    notebooks.mkdir()
    for name, ids in (("00_start_here", ["a1", "shared"]), ("01_handlers", ["b1", "shared"])):
        (notebooks / f"{name}.ipynb").write_text(json.dumps({"cells": [{"id": i, "cell_type": "code"} for i in ids]}))
    monkeypatch.delenv("JPY_SESSION_NAME", raising=False)
    monkeypatch.chdir(notebooks)  # the kernel's folder: the notebook's
    _kernel_running_cell(monkeypatch, "b1")
    assert mark_lesson_run() is None  # on the desktop, only JupyterLab's JPY_SESSION_NAME names a notebook
    monkeypatch.setattr(browser, "IN_BROWSER", True)
    assert mark_lesson_run() == tmp_path / ".lambda-local/progress.json"
    assert [l.name for l in progress(tmp_path).lessons if l.ran] == ["01_handlers"]
    (tmp_path / ".lambda-local/progress.json").unlink()
    for ambiguous in ("shared", "unknown"):
        _kernel_running_cell(monkeypatch, ambiguous)
        assert mark_lesson_run() is None and not (tmp_path / ".lambda-local/progress.json").exists()


def test_in_a_browser_progress_checks_labs_in_the_kernel_as_feedback(tmp_path, monkeypatch):
    """A tab cannot start the learner's process (LearnerProcess refuses there): progress runs the checks in the
    kernel, as check_lab does, and says they are feedback; never with a mock_aws() of the kernel's own running."""
    import lambda_local
    from lambda_local import browser

    monkeypatch.setattr(browser, "IN_BROWSER", True)
    copy_lab(ROOT / "solutions/09-cost-model", tmp_path / "labs")
    with lambda_local.mock_aws():
        with pytest.raises(GradingError, match=r"stop it first \(aws.stop\(\)"):
            progress(tmp_path)
    state = progress(tmp_path)
    assert state.feedback and [(lab.lab, lab.passed) for lab in state.labs] == [("09-cost-model", True)]
    assert "Labs (1 of 1 pass)\n  Feedback, not a grade:" in state.format()


def test_failure_message_reads_expected_got_hint():
    assert str(Failure("a", "b", "c")).splitlines() == ["Expected: a", "Got:      b", "Hint:     c"]


def test_the_ci_templates_classroom_scores_are_the_labs_points():
    import re

    template = (ROOT / "docs/ci/grade.yml").read_text()
    steps = re.findall(r"test-name: ([\w-]+), command: lambda-local check (\d\d), timeout: \d+, max-score: (\d+)",
                       template)
    assert [(name, number) for name, number, _ in steps] == [(lab, lab[:2]) for lab in LABS]
    points = {lab: sum(c.points for c in lab_definitions()[lab].checks) for lab in LABS}
    assert {name: int(score) for name, _, score in steps} == points
    assert "lambda-local grade --json grades.json --junit report.xml" in template
    assert not (ROOT / ".github/workflows/grade.yml").exists()  # a template: it must not run on this repository


def test_progress_keeps_results_until_a_labs_files_change(tmp_path, monkeypatch):
    module = sys.modules["lambda_local.grading.progress"]  # the package rebinds the name to the function

    lab = copy_lab(ROOT / "solutions/09-cost-model", tmp_path / "labs")
    first = progress(tmp_path)
    assert first.labs[0].passed
    monkeypatch.setattr(module, "run_lab", lambda *a, **k: pytest.fail("graded again although nothing changed"))
    assert progress(tmp_path).labs == first.labs
    (lab / "lab.ipynb").write_text((lab / "lab.ipynb").read_text() + "\n")  # running the notebook changes nothing
    assert progress(tmp_path).labs == first.labs
    (lab / "cost_model.py").write_text((lab / "cost_model.py").read_text() + "\n# edited\n")
    ran = []
    monkeypatch.setattr(module, "run_lab", lambda folder, **k: ran.append(folder.name) or first.labs[0])
    progress(tmp_path)
    assert ran == ["09-cost-model"]


def _own_logs_resource(folder, *resources):
    policy = json.loads((folder / "policy.json").read_text())
    logs = next(s for s in policy["Statement"] if s["Sid"] == "WriteOwnLogs")
    logs["Resource"] = list(resources)
    (folder / "policy.json").write_text(json.dumps(policy))


def test_lab05_accepts_the_log_group_form_lesson_05_teaches(tmp_path):
    # log-group:NAME:* alone covers the group (CreateLogGroup) and its streams, as IAM matches it on AWS.
    folder = copy_lab(ROOT / "solutions/05-least-privilege", tmp_path)
    _own_logs_resource(folder, "arn:aws:logs:us-east-1:123456789012:log-group:/aws/lambda/report-indexer:*")
    result = check_lab(folder)
    assert [c.name for c in result.checks if not c.passed] == []


def test_lab05_explains_a_create_log_group_on_every_group(tmp_path):
    folder = copy_lab(ROOT / "solutions/05-least-privilege", tmp_path)
    policy = json.loads((folder / "policy.json").read_text())
    logs = next(s for s in policy["Statement"] if s["Sid"] == "WriteOwnLogs")
    logs.update(Action=["logs:CreateLogStream", "logs:PutLogEvents"],
                Resource="arn:aws:logs:us-east-1:123456789012:log-group:/aws/lambda/report-indexer:*")
    policy["Statement"].append({"Effect": "Allow", "Action": "logs:CreateLogGroup",
                                "Resource": "arn:aws:logs:us-east-1:123456789012:*"})
    (folder / "policy.json").write_text(json.dumps(policy))
    result = check_lab(folder)
    assert [c.name for c in result.checks if not c.passed] == ["denies everything else the function does not need"]
    assert "logs:CreateLogGroup on arn:aws:logs:us-east-1:123456789012:log-group:/aws/lambda/payments" in \
        result.checks[-1].failure.got


def test_lab05_names_the_missing_log_stream_permission(tmp_path):
    folder = copy_lab(ROOT / "solutions/05-least-privilege", tmp_path)
    _own_logs_resource(folder, "arn:aws:logs:us-east-1:123456789012:log-group:/aws/lambda/report-indexer")
    failed = {c.name: c.failure for c in check_lab(folder).checks if not c.passed}
    assert "logs:CreateLogStream on" in failed["writes its logs to its own log group"].got


# --- feedback that points the right way -----------------------------------------------------------------------------
def test_lab01_hint_names_the_wrong_status_not_the_query_string(tmp_path):
    folder = copy_lab(ROOT / "solutions/01-greeting", tmp_path)
    edit(folder / "lambda_function.py", 'return respond(200, {"message": message})',
         'return respond(201, {"message": message})')
    greets = failed(check_lab(folder))["greets the name from the query string"]
    assert "statusCode 200" in greets.hint and "queryStringParameters" not in greets.hint


def test_lab01_hint_names_the_wording_when_the_name_is_read_right(tmp_path):
    folder = copy_lab(ROOT / "solutions/01-greeting", tmp_path)
    edit(folder / "lambda_function.py", 'message = f"{prefix}, {name}!"', 'message = f"{prefix} {name}"')
    failures = failed(check_lab(folder))
    assert 'must read exactly "Hello, Ada!"' in failures["greets the name from the query string"].hint


def test_lab01_hint_points_at_the_query_string_when_the_name_is_not_read(tmp_path):
    folder = copy_lab(ROOT / "solutions/01-greeting", tmp_path)
    edit(folder / "lambda_function.py", 'message = f"{prefix}, {name}!"', 'message = f"{prefix}, world!"')
    assert "queryStringParameters" in failed(check_lab(folder))["greets the name from the query string"].hint


def test_a_syntax_error_is_located_once_and_plainly(tmp_path):
    folder = copy_lab(ROOT / "solutions/01-greeting", tmp_path)
    edit(folder / "lambda_function.py", "def respond(status, data):", "def respond(status, data)")
    for failure in failed(check_lab(folder)).values():
        assert failure.got.endswith("expected ':' (lambda_function.py, line 11)"), failure.got
        assert failure.got.count("line 11") == 1
    missing = failed(check_lab(folder))["answers 400 with an error message when name is missing"]
    assert "does not load" in missing.hint and "queryStringParameters" not in missing.hint
