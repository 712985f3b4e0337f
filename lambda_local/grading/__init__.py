"""The grader: checks that run a learner's lab through the runtime and the AWS API, as AWS would.

In a lab notebook, the last cell::

    from lambda_local.grading import check_lab
    check_lab(".")            # runs this lab's checks, shows a table; never raises for what is in your files

For a workshop or CI::

    from lambda_local.grading import grade
    report = grade(["submissions/alice", "submissions/bob"], checks_dir="hidden-checks/")
    report.points, report.max_points, report.as_dict(), report.to_junit()

Writing checks (the package's own, one module per lab in ``lambda_local/grading/labs/``, and an instructor's extra
ones, passed with ``checks_dir``)::

    from lambda_local.grading import Failure, check

    LAB = "01"

    @check("greets names with accents", points=1)
    def accents(lab):                       # lab: a LabRun, in a fresh mock_aws()
        lab.deploy("greeting")
        record = lab.invoke("greeting", {"queryStringParameters": {"name": "Zoë"}})
        if "Zoë" not in str(record.payload):
            return Failure(expected="...", got="...", hint="...")

The command line (``lambda-local check / grade / progress / reset``) is in :mod:`lambda_local.grading.cli`.
"""

from .checks import Check, Failure, LabRun, check
from .progress import Progress, mark_lesson_run, progress
from .reset import ResetResult, reset_lab
from .results import CheckResult, GradeReport, LabResult, Submission
from .runner import GradingError, check_lab, grade, load_checks

__all__ = [
    "Check", "CheckResult", "Failure", "GradeReport", "GradingError", "LabResult", "LabRun", "Progress",
    "ResetResult", "Submission", "check", "check_lab", "grade", "load_checks", "mark_lesson_run", "progress",
    "reset_lab",
]
