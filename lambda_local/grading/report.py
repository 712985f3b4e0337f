"""Reports of a grading run: plain-text tables, a JSON-ready dict, and JUnit XML (stdlib ``xml.etree``).

>>> from lambda_local.grading.results import CheckResult, LabResult
>>> lab = LabResult("01-greeting", "A greeting", "labs/01-greeting", (CheckResult("answers 200", 2, 2),))
>>> print(format_lab(lab))
Lab 01-greeting: A greeting
result  points  check
------  ------  -----------
PASS       2/2  answers 200
------  ------
score      2/2  every check passes
"""

from __future__ import annotations

import textwrap
import xml.etree.ElementTree as ET
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the results call these formatters; a runtime import back would be a cycle
    from .results import GradeReport, LabResult

__all__ = ["format_lab", "format_report", "report_dict", "junit_xml"]

_INDENT = " " * 16  # under the "check" column
_LABEL = 10  # "Expected: " is where a message's text starts


def _message_lines(message: str, width: int) -> list[str]:
    lines = []
    for line in message.splitlines():
        label, text = line[:_LABEL], line[_LABEL:]
        wrapped = textwrap.wrap(text, max(width - len(_INDENT) - _LABEL, 30), break_on_hyphens=False,
                                break_long_words=False) or [""]
        lines.append(_INDENT + label + wrapped[0])
        lines += [_INDENT + " " * _LABEL + more for more in wrapped[1:]]
    return lines


def format_lab(lab: LabResult, width: int = 100) -> str:
    """One lab as a table: result, points and name per check, failure messages under their row."""
    title = f"Lab {lab.lab}: {lab.title}" if lab.title else f"Lab {lab.lab}"
    if lab.feedback:  # checked in the learner's own kernel: said before anything else
        from .feedback import FEEDBACK_NOTE

        title += "\n" + FEEDBACK_NOTE
    if not lab.checks:
        return f"{title}\n{lab.note or 'no checks'}"
    rows = [title, "result  points  check"]
    name_width = max(len("check"), *(len(c.name) for c in lab.checks))
    rows.append("------  ------  " + "-" * min(name_width, width - 16))
    for result in lab.checks:
        marker = "PASS" if result.passed else "FAIL"
        extra = "  (instructor)" if result.source == "instructor" else ""
        rows.append(f"{marker:<6}  {f'{result.points}/{result.max_points}':>6}  {result.name}{extra}")
        if result.failure is not None:
            rows += _message_lines(result.message, width)
    failing = sum(not c.passed for c in lab.checks)
    verdict = "every check passes" if not failing else \
        f"{failing} check{'s' if failing > 1 else ''} still failing"
    rows += ["------  ------", f"{'score':<6}  {f'{lab.points}/{lab.max_points}':>6}  {verdict}"]
    if lab.note:
        rows.append(lab.note)
    return "\n".join(rows)


def format_report(report: GradeReport, width: int = 100) -> str:
    """Every lab's table, grouped by submission, with a total per submission and overall."""
    blocks = []
    for submission in report.submissions:
        blocks.append(f"== {submission.name} ({submission.path}) ==")
        for lab in submission.labs:
            blocks.append(format_lab(lab, width))
        if len(submission.labs) > 1:
            blocks.append(f"{submission.name}: {submission.points}/{submission.max_points} points "
                          f"in {len(submission.labs)} labs")
    if len(report.submissions) > 1:
        blocks.append(f"Total: {report.points}/{report.max_points} points in {len(report.submissions)} submissions")
    return "\n\n".join(blocks)


def _check_dict(check) -> dict:
    failure = check.failure
    return {"name": check.name, "points": check.points, "max_points": check.max_points, "passed": check.passed,
            "source": check.source, "seconds": round(check.seconds, 3),
            "expected": failure.expected if failure else None, "got": failure.got if failure else None,
            "hint": failure.hint if failure else None, "message": check.message}


def _lab_dict(lab: LabResult) -> dict:
    return {"lab": lab.lab, "title": lab.title, "path": lab.path, "points": lab.points,
            "max_points": lab.max_points, "passed": lab.passed, "seconds": round(lab.seconds, 3),
            "note": lab.note, "checks": [_check_dict(c) for c in lab.checks]}


def report_dict(report: GradeReport) -> dict:
    """The report as plain data (for ``--json``): points and max_points at the top, then the detail."""
    return {
        "points": report.points, "max_points": report.max_points, "passed": report.passed,
        "seconds": round(report.seconds, 3),
        "submissions": [{"name": s.name, "path": s.path, "points": s.points, "max_points": s.max_points,
                         "passed": s.passed, "labs": [_lab_dict(lab) for lab in s.labs]}
                        for s in report.submissions],
    }


def junit_xml(report: GradeReport) -> str:
    """JUnit XML: ``<testsuites>`` > a ``<testsuite>`` per lab > a ``<testcase>`` per check, ``<failure>`` with
    the message when it failed; points as suite properties."""
    checks = [c for s in report.submissions for lab in s.labs for c in lab.checks]
    root = ET.Element("testsuites", name="lambda-local grade", tests=str(len(checks)),
                      failures=str(sum(not c.passed for c in checks)), errors="0", time=f"{report.seconds:.3f}")
    for submission in report.submissions:
        for lab in submission.labs:
            suite = ET.SubElement(root, "testsuite", name=f"{submission.name}/{lab.lab}", tests=str(len(lab.checks)),
                                  failures=str(sum(not c.passed for c in lab.checks)), errors="0", skipped="0",
                                  time=f"{lab.seconds:.3f}")
            properties = ET.SubElement(suite, "properties")
            for key, value in (("points", lab.points), ("max_points", lab.max_points), ("path", lab.path)):
                ET.SubElement(properties, "property", name=key, value=str(value))
            for check in lab.checks:
                case = ET.SubElement(suite, "testcase", classname=f"{submission.name}.{lab.lab}",
                                     name=f"{check.name} ({check.max_points} points)", time=f"{check.seconds:.3f}")
                if check.failure is not None:
                    failure = ET.SubElement(case, "failure", message=f"Expected: {check.failure.expected}",
                                            type="CheckFailed")
                    failure.text = check.message
            if lab.note:
                ET.SubElement(suite, "system-out").text = lab.note
    ET.indent(root)
    return ET.tostring(root, encoding="unicode", xml_declaration=True) + "\n"
