"""The course teaches every topic of its lesson list (issue 4): each topic is a Markdown heading of its lesson.

A topic is found when a heading of the lesson's notebook (``notebooks/NN_*.ipynb``) matches its pattern
(case-insensitive, formatting stripped). Lessons still being written are in ``PENDING``: their topics are strict
xfails, so this file is a real check today and turns red (XPASS) the day such a lesson lands with its headings,
as the reminder to take it out of ``PENDING``.
"""

from __future__ import annotations

import functools
import re
import sys
from pathlib import Path

import nbformat
import pytest

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"

# Lessons not written yet; remove a number once its notebook is in notebooks/.
PENDING: set[str] = set()

# lesson -> [(topic as the issue names it, pattern a heading must match)]
TOPICS: dict[str, list[tuple[str, str]]] = {
    "00": [
        ("what the course is", r"start here|what (this|the) course is|welcome"),
        ("how to run a cell", r"run a cell"),
        ("how labs and checks work", r"\blabs?\b.*\bchecks?\b|\bchecks?\b.*\blabs?\b"),
        ("a setup check", r"setup check"),
    ],
    "01": [
        ("what a function is", r"what a (lambda )?function is"),
        ("the handler signature", r"handler signature"),
        ("event", r"\bevent\b"),
        ("context (every attribute)", r"\bcontext\b"),
        ("return values", r"return values?"),
        ("print and logging into CloudWatch Logs", r"\blogging\b.*cloudwatch|cloudwatch logs"),
        ("environment variables for configuration", r"environment variables"),
        ("errors (handled and not)", r"\berrors?\b.*\bhandled\b|\bunhandled\b"),
        ("the first function through boto3", r"\bboto3\b"),
        ("the same walkthrough with the AWS CLI", r"\baws cli\b"),
    ],
    "02": [
        ("API Gateway v1", r"api gateway.*(rest api|v1|1\.0)"),
        ("API Gateway v2", r"api gateway.*(http api|v2|2\.0)"),
        ("Function URL", r"function urls?"),
        ("S3", r"\bs3\b"),
        ("SQS", r"\bsqs\b"),
        ("SNS", r"\bsns\b"),
        ("EventBridge", r"eventbridge"),
        ("DynamoDB Streams", r"dynamodb streams?"),
        ("Kinesis", r"\bkinesis\b"),
        ("test events", r"test events?"),
        ("the console's test templates", r"(console|test)('s)? (test )?templates?"),
        ("reading events safely", r"read(ing)? events safely"),
    ],
    "03": [
        ("wiring S3 uploads", r"\bs3\b"),
        ("wiring SQS queues", r"\bsqs\b"),
        ("wiring SNS topics", r"\bsns\b"),
        ("wiring EventBridge schedules", r"eventbridge|schedul"),
        ("wiring HTTP", r"\bhttp\b|api gateway|function urls?"),
        ("the three invocation models (sync, async, polling)", r"invocation models?|three ways|sync.*async.*poll"),
        ("who retries", r"retr(y|ies)"),
    ],
    "04": [
        ("the execution role", r"execution role"),
        ("trust policy", r"trust policy"),
        ("AWSLambdaBasicExecutionRole", r"AWSLambdaBasicExecutionRole"),
        ("least privilege", r"least privilege"),
        ("watch AccessDenied happen", r"accessdenied"),
        ("then fix the policy", r"\bfix\b.*\bpolic(y|ies)\b"),
        ("resource-based policies for triggers (add_permission)", r"resource-based polic(y|ies)"),
        ("troubleshooting permission denied invoking from a trigger", r"troubleshoot.*(permission|denied)"),
    ],
    "05": [
        ("the INIT/INVOKE/SHUTDOWN lifecycle", r"lifecycle|\binit\b.*\binvoke\b|phases"),
        ("work outside the handler", r"outside the handler"),
        ("warm reuse", r"\bwarm\b"),
        ("idle expiry", r"\bidle\b|expir"),
        ("a traffic spike creating environments", r"spike|burst"),
        ("provisioned concurrency", r"provisioned concurrency"),
        ("SnapStart", r"snapstart"),
        ("runtimes compared", r"runtimes?\b.*compar|compar.*\bruntimes?"),
    ],
    "06": [
        ("building a zip (code plus dependencies)", r"\bzip\b"),
        ("size limits", r"size limits?"),
        ("layers", r"^layers?\b|publish a layer|attach"),
        ("what lands in /opt/python", r"/opt"),
        ("container images", r"container images?"),
        ("import errors and how to read them", r"import errors?"),
    ],
    "07": [
        ("timeout", r"timeouts?"),
        ("memory and CPU", r"memory.*\bcpu\b|\bcpu\b.*memory"),
        ("payload sizes", r"payloads?"),
        ("environment size", r"environment (variables?|size)"),
        ("/tmp", r"/tmp|ephemeral storage"),
        ("account concurrency", r"account.*concurrency|concurrency.*account"),
        ("reserved concurrency", r"reserved concurrency"),
        ("throttling", r"throttl"),
        ("the scaling rate", r"scaling"),
        ("a simulated traffic burst", r"burst|spike"),
    ],
    "08": [
        ("requests and GB-seconds", r"gb-?s(econds?)?\b"),
        ("the free tier", r"free tier"),
        ("arm64", r"arm64|graviton"),
        ("volume tiers", r"volume"),
        ("provisioned concurrency", r"provisioned concurrency"),
        ("an interactive cost calculator", r"calculator"),
        ("checking published cost claims", r"claims?"),
        ("polling versus events", r"polling"),
        ("when Lambda is the wrong tool", r"wrong tool|break-?even|not to use"),
    ],
    "09": [
        ("async invocation", r"\basync(hronous)?\b"),
        ("retries", r"retr(y|ies)"),
        ("DLQs", r"\bdlqs?\b|dead-letter"),
        ("destinations", r"destinations?"),
        ("SQS partial batch failures", r"partial batch"),
        ("stream retries", r"\bstreams?\b"),
        ("idempotency", r"idempoten"),
        ("recursive loops", r"recursi"),
    ],
    "10": [
        ("a REST API (API Gateway + Lambda + DynamoDB)", r"rest api|api gateway"),
        ("an S3 processing pipeline", r"\bs3\b.*pipeline|pipeline"),
        ("a scheduled cleanup job", r"schedul|clean-?up"),
        ("an SQS worker", r"\bsqs\b.*worker|worker"),
        ("their metrics", r"metrics?"),
    ],
    "12": [
        ("a SAM template", r"\bsam template"),
        ("the transform to CloudFormation", r"transform"),
        ("policy templates", r"policy templates?"),
        ("deploying a stack", r"deploy"),
        ("invoking it", r"invok"),
        ("template errors with cfn-lint", r"cfn-lint"),
        ("updating the stack", r"updat"),
    ],
    "13": [
        ("Powertools Logger, Metrics and Tracer", r"powertools"),
        ("structured logs", r"structured logs"),
        ("querying logs", r"quer(y|ying) logs"),
        ("metrics read back", r"\bmetrics\b"),
        ("traces", r"\btraces?\b"),
        ("an alarm on Errors or Throttles", r"\balarm\b"),
        ("unit tests with pytest", r"unit tests?.*pytest|pytest"),
    ],
    "14": [
        ("reading tracebacks", r"traceback"),
        ("reading REPORT lines", r"report line"),
        ("post-mortem inspection", r"post mortem|post-mortem"),
        ("breakpoint() in a handler", r"breakpoint"),
        ("JupyterLab's debugger", r"jupyterlab.*debugger"),
    ],
}

# Every lesson closes with a recap; every lesson after 00 with its lab.
CLOSING = [("a recap", r"^recap\b"), ("the matching lab", r"^lab\b")]

_HEADING = re.compile(r"^ {0,3}#{1,6}\s+(.+?)\s*#*\s*$")
_FENCE = re.compile(r"^ {0,3}(```|~~~)")


def _marks(lesson: str) -> list:
    return [pytest.mark.xfail(strict=True, reason="lesson not written yet")] if lesson in PENDING else []


def _lesson_path(lesson: str) -> Path:
    found = sorted(NOTEBOOKS.glob(f"{lesson}_*.ipynb"))
    assert found, f"lesson {lesson} is missing: no notebooks/{lesson}_*.ipynb"
    assert len(found) == 1, f"lesson {lesson} has several notebooks: {[p.name for p in found]}"
    return found[0]


@functools.lru_cache(maxsize=None)
def _markdown(lesson: str) -> tuple[str, ...]:
    notebook = nbformat.read(_lesson_path(lesson), as_version=4)
    return tuple(cell.source for cell in notebook.cells if cell.cell_type == "markdown")


@functools.lru_cache(maxsize=None)
def headings(lesson: str) -> tuple[str, ...]:
    """The lesson's Markdown headings as plain text (code fences skipped, backticks and emphasis removed)."""
    found = []
    for source in _markdown(lesson):
        in_fence = False
        for line in source.splitlines():
            if _FENCE.match(line):
                in_fence = not in_fence
                continue
            match = None if in_fence else _HEADING.match(line)
            if match:
                found.append(re.sub(r"[`*_]", "", match.group(1)).strip())
    return tuple(found)


def _cases():
    for lesson, topics in TOPICS.items():
        closing = CLOSING if lesson != "00" else CLOSING[:1]
        for topic, pattern in topics + closing:
            yield pytest.param(lesson, topic, pattern, id=f"{lesson}-{topic}", marks=_marks(lesson))


@pytest.mark.parametrize("lesson, topic, pattern", list(_cases()))
def test_each_topic_has_a_heading_in_its_lesson(lesson, topic, pattern):
    lesson_headings = headings(lesson)
    if (topic, pattern) not in CLOSING:
        # "Lab: labs/02-s3-trigger-challenge" must not count as the lesson's S3 section.
        lesson_headings = tuple(h for h in lesson_headings if not re.match(r"(lab|recap)\b", h, re.IGNORECASE))
    regex = re.compile(pattern, re.IGNORECASE)
    assert any(regex.search(heading) for heading in lesson_headings), (
        f"lesson {lesson} ({_lesson_path(lesson).name}) has no heading about {topic!r} (pattern {pattern!r}); "
        f"its headings are: {list(lesson_headings)}")


@pytest.mark.parametrize("lesson", [pytest.param(lesson, marks=_marks(lesson)) for lesson in TOPICS])
def test_each_lesson_opens_with_what_the_learner_will_be_able_to_do(lesson):
    opening = _markdown(lesson)[0] if _markdown(lesson) else ""
    assert re.search(r"you will be able to", opening, re.IGNORECASE), (
        f"lesson {lesson}'s first Markdown cell does not say what the learner will be able to do")


def test_every_lesson_of_the_course_is_in_the_topic_map():
    written = {path.name[:2] for path in NOTEBOOKS.glob("[0-9][0-9]_*.ipynb")}
    assert written <= set(TOPICS), f"lessons without topics in the map: {sorted(written - set(TOPICS))}"
    assert not written & PENDING, f"written lessons still marked pending: {sorted(written & PENDING)}"


@pytest.mark.parametrize("markdown, expected", [
    ("# Title\n\nText\n## Second `code` heading ##", ["Title", "Second code heading"]),
    ("```python\n# a comment, not a heading\n```\n### Real", ["Real"]),
    ("#NoSpace is not a heading\n    # indented code is not a heading", []),
])
def test_headings_are_read_as_markdown_reads_them(monkeypatch, markdown, expected):
    monkeypatch.setattr(sys.modules[__name__], "_markdown", lambda lesson: (markdown,))
    headings.cache_clear()
    try:
        assert list(headings("xx")) == expected
    finally:
        headings.cache_clear()
