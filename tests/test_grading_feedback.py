"""Checking a lab in the learner's own kernel (the browser edition's feedback, lambda_local/grading/feedback.py):
the same checks give the same verdicts and messages as in the learner's process, labelled as feedback; ``grade``
(what CI runs) never runs the checks that way; nothing is written anywhere.

The every-lab comparison (solutions full marks, starting files zero, in both modes) is minutes of work: it runs
with LAMBDA_LOCAL_FEEDBACK_ALL=1. ``make test`` compares a toy lab check by check and lab 04 end to end.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner

import lambda_local
from lambda_local import browser
from lambda_local.grading import Failure, GradingError, check, check_lab, grade, runner
from lambda_local.grading.cli import grade_command
from lambda_local.grading.feedback import FEEDBACK_NOTE
from lambda_local.grading.runner import LabDefinition, lab_definitions

ROOT = Path(__file__).resolve().parent.parent
_JUNK = shutil.ignore_patterns("__pycache__", ".ipynb_checkpoints")


def verdicts(result) -> list[tuple[str, bool, int, str]]:
    return [(c.name, c.passed, c.points, c.message) for c in result.checks]


def tree(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


# --- a toy lab: each kind of request a check makes, and what the learner's code may do to its kernel -------------
@check("calls the learner's function, which imports a module of its own lab", points=2)
def adds(lab):
    total = lab.call(lab.module("calc.py").add, 2, 3, what="add(2, 3)")
    if total != 5:
        return Failure(expected="add(2, 3) to return 5", got=repr(total), hint="Add the two numbers.")


@check("a wrong answer is a failure with the learner's value", points=1)
def halves(lab):
    half = lab.call(lab.module("calc.py").half, 3, what="half(3)")
    if half != 1.5:
        return Failure(expected="half(3) to return 1.5", got=repr(half), hint="Use / instead of //.")


@check("a crash names the learner's file and line", points=1)
def crashes(lab):
    lab.call(lab.module("calc.py").boom, what="boom()")


@check("each request reaches the mocked account once", points=1)
def sends_once(lab):
    sqs = lab.client("sqs")
    url = sqs.create_queue(QueueName="orders")["QueueUrl"]
    lab.call(lab.module("calc.py").send, sqs, url, what="send(sqs, url)")
    sqs.send_message(QueueUrl=url, MessageBody="from the check")
    count = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages"])["Attributes"]
    if count["ApproximateNumberOfMessages"] != "2":
        return Failure(expected="2 messages", got=count["ApproximateNumberOfMessages"], hint="")


TOY = LabDefinition("97-toy", "A toy lab", (adds, halves, crashes, sends_once))


@pytest.fixture
def toy_lab(tmp_path, monkeypatch):
    folder = tmp_path / "labs" / "97-toy"
    folder.mkdir(parents=True)
    (folder / "helper.py").write_text("def plus(a, b):\n    return a + b\n")
    (folder / "calc.py").write_text(textwrap.dedent("""\
        import helper


        def add(a, b):
            print("adding")  # goes nowhere, as in the learner's process
            with open("scratch.txt", "w") as file:  # a relative path: the scratch folder, never the lab folder
                file.write("x")
            return helper.plus(a, b)


        def half(n):
            return n // 2


        def boom():
            return 1 / 0


        def send(sqs, url):
            sqs.send_message(QueueUrl=url, MessageBody="from the learner")
        """))
    monkeypatch.setattr(runner, "lab_definitions", lambda: {TOY.name: TOY})
    return folder


def test_in_process_gives_the_learners_process_verdicts_and_messages_check_by_check(toy_lab, capsys, monkeypatch):
    # The kernel ran the lab notebook: it holds an older helper of the lab's own. The check imports the files as
    # they are now, as a fresh learner's process does.
    monkeypatch.syspath_prepend(str(toy_lab))
    (toy_lab / "helper.py").write_text("def plus(a, b):\n    return a - b\n")
    import helper  # noqa: F401 - the kernel's stale copy

    (toy_lab / "helper.py").write_text("def plus(a, b):\n    return a + b\n")
    before = tree(toy_lab.parent.parent)
    try:
        feedback = check_lab(toy_lab, in_process=True)
        assert sys.modules["helper"].plus(2, 3) == -1  # the kernel keeps its own copy afterwards
    finally:
        sys.modules.pop("helper", None)
    graded = grade([toy_lab])
    assert capsys.readouterr().out == ""  # what the learner's code printed went nowhere in both
    assert tree(toy_lab.parent.parent) == before  # nothing written: no results, no scratch file, no __pycache__

    assert verdicts(feedback) == verdicts(graded.submissions[0].labs[0])
    assert [passed for _, passed, _, _ in verdicts(feedback)] == [True, False, False, True]
    crash = feedback.checks[2].message
    assert "ZeroDivisionError: division by zero (calc.py, line 16)" in crash, crash
    assert "Got:      1" in feedback.checks[1].message

    # Labelled: the kernel's result as feedback; what grade() gives (the same verdicts) never.
    assert feedback.feedback and FEEDBACK_NOTE in feedback.format()
    assert FEEDBACK_NOTE.startswith("Feedback, not a grade") and "lambda-local grade" in FEEDBACK_NOTE
    lab = graded.submissions[0].labs[0]
    assert not lab.feedback
    assert FEEDBACK_NOTE not in graded.format() and "eedback" not in json.dumps(graded.as_dict())


def test_on_the_desktop_check_lab_runs_the_learners_process_unless_asked(toy_lab, monkeypatch):
    monkeypatch.setattr(runner, "run_lab", lambda folder, extra, **options: options.get("learner"))
    assert check_lab(toy_lab) is None  # run_lab starts a learner's process of its own
    assert check_lab(toy_lab, in_process=True).in_process


def test_a_browser_tab_checks_in_process_by_default_and_grade_refuses_there(toy_lab, monkeypatch):
    monkeypatch.setattr(browser, "IN_BROWSER", True)
    assert check_lab(toy_lab).feedback  # the lab notebooks' check_lab(".") works unchanged in the browser
    with pytest.raises(browser.NeedsDesktop, match="Grading a lab in a process of its own needs the desktop"):
        grade([toy_lab])  # never falls back to the learner's own process


def test_grade_has_no_way_to_run_the_checks_in_process(toy_lab):
    with pytest.raises(TypeError):
        grade([toy_lab], in_process=True)  # type: ignore[call-arg]
    answer = CliRunner().invoke(grade_command, [str(toy_lab), "--in-process"])
    assert answer.exit_code == 2 and "No such option" in answer.output and "--in-process" in answer.output


def test_a_kernel_with_a_started_mock_is_told_to_stop_it_first_and_keeps_its_account(toy_lab):
    import boto3

    with lambda_local.mock_aws(seed=1):
        boto3.client("s3").create_bucket(Bucket="the-notebooks")
        with pytest.raises(GradingError, match="this kernel has a mock_aws\\(\\) started: stop it first"):
            check_lab(toy_lab, in_process=True)
        assert [b["Name"] for b in boto3.client("s3").list_buckets()["Buckets"]] == ["the-notebooks"]


# --- a whole lab of the course ----------------------------------------------------------------------------------
def _compare(folder: Path) -> tuple:
    before = tree(folder)
    feedback = check_lab(folder, in_process=True)
    assert tree(folder) == before
    graded = check_lab(folder)
    assert verdicts(feedback) == verdicts(graded), f"in-process:\n{feedback.format()}\n\nlearner's process:\n" \
                                                    f"{graded.format()}"
    return feedback.points, feedback.max_points


def test_lab_04s_solution_in_process_as_in_the_learners_process(tmp_path):
    """Lab 04 drives deploy.py, an S3 trigger, the logs and cleanup.py: every kind of request a course lab makes.
    (About 10 s: a learner's process and two gradings of a whole lab; the other labs run with
    LAMBDA_LOCAL_FEEDBACK_ALL=1.)"""
    folder = tmp_path / "04-s3-trigger"
    shutil.copytree(ROOT / "solutions/04-s3-trigger", folder, ignore=_JUNK)
    assert _compare(folder) == (10, 10)


def test_lab_04s_starting_files_score_zero_in_process_with_a_message_for_every_check(tmp_path):
    folder = tmp_path / "04-s3-trigger"
    shutil.copytree(ROOT / "labs/04-s3-trigger", folder, ignore=_JUNK)
    result = check_lab(folder, in_process=True)
    assert result.points == 0 and result.max_points == 10
    assert all(c.failure.expected and c.failure.got and c.failure.hint for c in result.checks), result.format()


@pytest.mark.skipif(os.environ.get("LAMBDA_LOCAL_FEEDBACK_ALL") != "1",
                    reason="every lab in both modes takes minutes: LAMBDA_LOCAL_FEEDBACK_ALL=1")
@pytest.mark.parametrize("start", ["solutions", "labs"])
@pytest.mark.parametrize("lab", sorted(lab_definitions()))
def test_every_lab_in_process_as_in_the_learners_process(lab, start, tmp_path):
    folder = tmp_path / lab
    shutil.copytree(ROOT / start / lab, folder, ignore=_JUNK)
    points, max_points = _compare(folder)
    assert points == (max_points if start == "solutions" else 0)
