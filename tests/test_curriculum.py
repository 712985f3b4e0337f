"""The course's structure: every topic of its lesson list is a heading of its lesson (issue 4), and lessons and labs
pair one to one (issue 18).

A topic is found when a heading of the lesson's notebook (``notebooks/NN_*.ipynb``) matches its pattern
(case-insensitive, formatting stripped). Lessons still being written are in ``PENDING``: their topics are strict
xfails, so this file is a real check today and turns red (XPASS) the day such a lesson lands with its headings,
as the reminder to take it out of ``PENDING``.

The pairing is read from the files present, so a lesson or a lab added later is held to it at once: lesson NN
(from 01) has exactly one lab ``labs/NN-name/`` with a solved twin in ``solutions/`` and a grader module
``labNN_name.py``; the lesson ends with "Now do lab NN" linking the lab's notebook, the lab's first cell links back
to the lesson, and no relative link of a lesson, a lab or the docs points to a file that is not there.
"""

from __future__ import annotations

import functools
import re
import sys
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"

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
        ("a timeout", r"timeout"),
    ],
    "02": [
        ("the first function through boto3", r"\bboto3\b"),
        ("an execution role", r"execution role"),
        ("invoking and reading the log's tail", r"invoke"),
        ("updating code and configuration", r"update|environment variables"),
        ("reading the logs in CloudWatch Logs", r"cloudwatch logs"),
        ("cleaning up", r"delete|clean"),
        ("the same walkthrough with the AWS CLI", r"\baws cli\b"),
        ("a Node.js twin", r"node\.?js"),
    ],
    "03": [
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
    "04": [
        ("wiring S3 uploads", r"\bs3\b"),
        ("wiring SQS queues", r"\bsqs\b"),
        ("wiring SNS topics", r"\bsns\b"),
        ("wiring EventBridge schedules", r"eventbridge|schedul"),
        ("wiring HTTP", r"\bhttp\b|api gateway|function urls?"),
        ("the three invocation models (sync, async, polling)", r"invocation models?|three ways|sync.*async.*poll"),
        ("who retries", r"retr(y|ies)"),
    ],
    "05": [
        ("the execution role", r"execution role"),
        ("trust policy", r"trust policy"),
        ("AWSLambdaBasicExecutionRole", r"AWSLambdaBasicExecutionRole"),
        ("least privilege", r"least privilege"),
        ("watch AccessDenied happen", r"accessdenied"),
        ("then fix the policy", r"\bfix\b.*\bpolic(y|ies)\b"),
        ("resource-based policies for triggers (add_permission)", r"resource-based polic(y|ies)"),
        ("troubleshooting permission denied invoking from a trigger", r"troubleshoot.*(permission|denied)"),
    ],
    "06": [
        ("the INIT/INVOKE/SHUTDOWN lifecycle", r"lifecycle|\binit\b.*\binvoke\b|phases"),
        ("work outside the handler", r"outside the handler"),
        ("warm reuse", r"\bwarm\b"),
        ("idle expiry", r"\bidle\b|expir"),
        ("a traffic spike creating environments", r"spike|burst"),
        ("provisioned concurrency", r"provisioned concurrency"),
        ("SnapStart", r"snapstart"),
        ("runtimes compared", r"runtimes?\b.*compar|compar.*\bruntimes?"),
    ],
    "07": [
        ("building a zip (code plus dependencies)", r"\bzip\b"),
        ("size limits", r"size limits?"),
        ("layers", r"^layers?\b|publish a layer|attach"),
        ("what lands in /opt/python", r"/opt"),
        ("container images", r"container images?"),
        ("import errors and how to read them", r"import errors?"),
    ],
    "08": [
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
    "09": [
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
    "10": [
        ("async invocation", r"\basync(hronous)?\b"),
        ("retries", r"retr(y|ies)"),
        ("DLQs", r"\bdlqs?\b|dead-letter"),
        ("destinations", r"destinations?"),
        ("SQS partial batch failures", r"partial batch"),
        ("stream retries", r"\bstreams?\b"),
        ("idempotency", r"idempoten"),
        ("recursive loops", r"recursi"),
    ],
    "11": [
        ("a REST API (API Gateway + Lambda + DynamoDB)", r"rest api|api gateway"),
        ("an S3 processing pipeline", r"\bs3\b.*pipeline|pipeline"),
        ("a scheduled cleanup job", r"schedul|clean-?up"),
        ("an SQS worker", r"\bsqs\b.*worker|worker"),
        ("their metrics", r"metrics?"),
    ],
    "15": [
        ("the capstone's contract", r"contract"),
        ("what each lesson brought", r"each lesson"),
        ("the REST API event", r"\bevent\b"),
        ("the proxy response shape", r"proxy"),
        ("routing requests", r"\brout"),
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
        # "Lab: now do lab 04" must not count as one of the lesson's own sections.
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


def test_every_lesson_of_the_topic_map_is_written():
    """The map's lessons exist (a lesson added later without topics here is still held to its pairing below)."""
    written = {path.name[:2] for path in NOTEBOOKS.glob("[0-9][0-9]_*.ipynb")}
    assert set(TOPICS) - PENDING <= written, f"lessons of the map missing: {sorted(set(TOPICS) - PENDING - written)}"
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


# --- lessons and labs pair one to one (issue 18) ------------------------------------------------------------------
_LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")


def _lessons() -> dict[str, Path]:
    """Every lesson from 01, by number (the start page, 00, has no lab)."""
    return {p.name[:2]: p for p in sorted(NOTEBOOKS.glob("[0-9][0-9]_*.ipynb")) if p.name[:2] != "00"}


def _labs(root: str = "labs") -> dict[str, list[Path]]:
    found: dict[str, list[Path]] = {}
    for folder in sorted((ROOT / root).glob("[0-9][0-9]-*")):
        if folder.is_dir():
            found.setdefault(folder.name[:2], []).append(folder)
    return found


def _cells(path: Path) -> list:
    return nbformat.read(path, as_version=4).cells


def test_lessons_and_labs_pair_one_to_one():
    lessons, labs, solved = _lessons(), _labs(), _labs("solutions")
    assert lessons, "no lessons found"
    for number, lesson in lessons.items():
        assert len(labs.get(number, [])) == 1, f"{lesson.name} needs exactly one lab labs/{number}-name/: " \
                                               f"{[p.name for p in labs.get(number, [])]}"
    for number, folders in labs.items():
        assert number in lessons, f"labs/{folders[0].name} has no lesson notebooks/{number}_*.ipynb"
        assert len(folders) == 1, f"lesson {number} has several labs: {[p.name for p in folders]}"
        assert (folders[0] / "lab.ipynb").is_file(), f"labs/{folders[0].name} has no lab.ipynb"
        assert [p.name for p in solved.get(number, [])] == [folders[0].name], \
            f"solutions/ must hold {folders[0].name} (and no other lab {number})"
    assert set(solved) <= set(labs), f"solutions without a lab: {sorted(set(solved) - set(labs))}"


def test_each_lab_is_graded_by_its_module():
    from lambda_local.grading.runner import lab_definitions

    graded = lab_definitions()
    for folders in _labs().values():
        name = folders[0].name
        module = ROOT / "lambda_local/grading/labs" / f"lab{name[:2]}_{name[3:].replace('-', '_')}.py"
        assert module.is_file(), f"labs/{name} is graded by {module.relative_to(ROOT)}, which is missing"
        assert name in graded and graded[name].checks, f"{module.name} must set LAB = {name!r} and define checks"


@pytest.mark.parametrize("number", sorted(_lessons()))
def test_each_lesson_ends_with_now_do_its_lab(number):
    lesson, labs = _lessons()[number], _labs().get(number, [])
    assert labs, f"{lesson.name} has no lab"
    target = f"../labs/{labs[0].name}/lab.ipynb"
    markdown = [c.source for c in _cells(lesson) if c.cell_type == "markdown"]
    sections = [text for text in markdown if re.search(r"^#{1,3} ", text, re.MULTILINE)]
    last = sections[-1] if sections else ""
    last_section = re.split(r"^(?=#{1,3} )", last, flags=re.MULTILINE)[-1]
    assert re.match(r"#{1,3} Lab\b", last_section), \
        f"{lesson.name}'s last section is not its lab: {last_section[:80]!r}"
    assert f"Now do lab {number}" in last_section, f"{lesson.name} must end with \"Now do lab {number}\""
    assert target in _LINK.findall(last_section), f"{lesson.name}'s lab section must link {target}"


@pytest.mark.parametrize("root", ["labs", "solutions"])
@pytest.mark.parametrize("number", sorted(_lessons()))
def test_each_lab_links_back_to_its_lesson(number, root):
    lesson, labs = _lessons()[number], _labs(root).get(number, [])
    assert labs, f"lesson {number} has no {root}/{number}-name/"
    first = _cells(labs[0] / "lab.ipynb")[0]
    target = f"../../notebooks/{lesson.name}"
    assert first.cell_type == "markdown" and target in _LINK.findall(first.source), \
        f"{root}/{labs[0].name}/lab.ipynb's first cell must link back to {target}"


def _documents() -> list[Path]:
    notebooks = sorted(NOTEBOOKS.glob("*.ipynb")) + sorted(ROOT.glob("labs/*/lab.ipynb")) + \
        sorted(ROOT.glob("solutions/*/lab.ipynb"))
    return notebooks + [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]


def _targets(path: Path) -> list[str]:
    if path.suffix == ".ipynb":
        text = "\n".join(c.source for c in _cells(path) if c.cell_type == "markdown")
    else:
        text = path.read_text(encoding="utf-8")
    text = re.sub(r"^ {0,3}(```|~~~).*?^ {0,3}\1", "", text, flags=re.MULTILINE | re.DOTALL)  # code is not a link
    return [t for t in _LINK.findall(text) if not re.match(r"[a-z][a-z0-9+.-]*:|#", t)]


@pytest.mark.parametrize("path", _documents(), ids=lambda p: str(p.relative_to(ROOT)))
def test_no_link_points_to_a_missing_file(path):
    missing = [t for t in _targets(path) if not (path.parent / t.split("#")[0]).exists()]
    assert not missing, f"{path.relative_to(ROOT)} links to files that are not there: {missing}"


def test_a_link_to_a_missing_file_is_found(tmp_path):
    page = tmp_path / "page.md"
    page.write_text("[there](page.md) [gone](../nowhere.ipynb) [web](https://aws.amazon.com) [top](#top)\n"
                    "```\n[in code](not-a-link.md)\n```\n")
    assert _targets(page) == ["page.md", "../nowhere.ipynb"]


def test_no_two_lessons_share_a_cell_id():
    """In the browser edition a lesson's last cell is recorded as run by its id (the kernel is not told the
    notebook's name, docs/lite.md): an id two lessons share records neither."""
    seen: dict[str, str] = {}
    shared = []
    for path in sorted(NOTEBOOKS.glob("*.ipynb")):
        for cell in nbformat.read(path, as_version=4).cells:
            if seen.setdefault(cell.id, path.stem) != path.stem:
                shared.append(f"{cell.id}: {seen[cell.id]} and {path.stem}")
    assert not shared, shared
