"""Hostile submissions: each tries to change its own grade (or another learner's), and the grade stays what the
checks say. Each attack is a few lines put at the top of lab 01's handler, in a copy of the untouched lab (which
scores 0 of 8) or of its solution (8 of 8)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner

from lambda_local.grading import grade
from lambda_local.grading.cli import grade_command

ROOT = Path(__file__).resolve().parent.parent
LAB = "01-greeting"
_JUNK = shutil.ignore_patterns("__pycache__", ".ipynb_checkpoints")


def submission(parent: Path, name: str, attack: str = "", solved: bool = False, lab: str = LAB,
               file: str = "lambda_function.py") -> Path:
    """A learner's repository ``parent/name`` holding lab 01, with ``attack`` run when the handler is imported."""
    folder = parent / name / "labs" / lab
    shutil.copytree(ROOT / ("solutions" if solved else "labs") / lab, folder, ignore=_JUNK)
    handler = folder / file
    handler.write_text(textwrap.dedent(attack) + "\n" + handler.read_text())
    return parent / name


FORGE_IN_MEMORY = """
import gc, sys
try:  # every grading module this process has: make every check pass, every Failure vanish
    import lambda_local.grading.runner as runner, lambda_local.grading.results as results
    import lambda_local.grading.checks as checks
    runner._run_check = lambda check, *a, **k: results.CheckResult(check.name, check.points, check.points)
    checks.Failure.__init__ = lambda self, *a, **k: None
    for obj in gc.get_objects():
        if type(obj).__name__ == "CheckResult":
            object.__setattr__(obj, "failure", None)
except Exception:
    pass
"""
EXIT_ZERO = "import os\nos._exit(0)\n"
SYS_EXIT_ZERO = "import sys\nsys.exit(0)\n"
WALK_FRAMES = """
import gc, inspect, sys
found = []
for obj in gc.get_objects():  # the grader's checks, the solutions, a hidden check's source: anything to print
    try:
        if type(obj).__name__ in ("Check", "LabDefinition") or "solutions" in str(getattr(obj, "__file__", "")):
            found.append(repr(obj))
    except Exception:
        pass
frame = sys._getframe()
while frame is not None:
    found.append(frame.f_code.co_filename)
    frame = frame.f_back
print("LEAKED", found)
import os
os.write(1, b"LEAKED-FD1\\n"); os.write(2, b"LEAKED-FD2\\n")
FOUND = found
"""
HANG_THREAD = """
import threading, time
threading.Thread(target=lambda: time.sleep(3600)).start()  # non-daemon: keeps a process from exiting
while True:
    pass
"""
WRITE_CHANNEL = """
import os
os.write(3, b'{"ok": {"records": []}}\\n')  # the channel's copy of stdout is one of the low descriptors
for fd in range(3, 12):
    try:
        os.write(fd, b'{"ok": {}}\\n{"ok": {}}\\n')
    except OSError:
        pass
"""


def _points(report) -> list[int]:
    return [s.points for s in report.submissions]


@pytest.mark.parametrize("attack", [FORGE_IN_MEMORY, EXIT_ZERO, SYS_EXIT_ZERO, WRITE_CHANNEL],
                         ids=["patch-results-in-memory", "os-exit-0", "sys-exit-0", "write-to-the-channel"])
def test_an_attack_cannot_raise_an_untouched_labs_grade(tmp_path, attack):
    report = grade([submission(tmp_path, "mallory", attack)])
    lab = report.submissions[0].labs[0]
    assert (lab.points, lab.max_points) == (0, 8), lab.format()
    assert all(c.failure.got and c.failure.hint for c in lab.checks)


def test_ending_the_process_fails_with_a_plain_message(tmp_path):
    """A handler's os._exit is the runtime's Runtime.ExitError (lab 01 above); a module the checks import
    (lab 08's cost_model.py) ends the learner's process itself: exit status 0 and no answer is a fail."""
    report = grade([submission(tmp_path, "mallory", EXIT_ZERO, solved=True, lab="09-cost-model",
                               file="cost_model.py")])
    lab = report.submissions[0].labs[0]
    assert lab.points == 0 and lab.max_points == 12
    assert all("ended (exit status 0) before it answered" in c.failure.got for c in lab.checks), lab.format()
    assert "os._exit" in lab.checks[0].failure.hint


def test_walking_the_grader_finds_no_check_and_prints_nothing(tmp_path, capfd):
    hidden = tmp_path / "hidden"
    hidden.mkdir()
    (hidden / "lab01_secret.py").write_text(textwrap.dedent('''
        from lambda_local.grading import Failure, check
        LAB = "01"
        SECRET = "EXPECTED-VALUE-8815"

        @check("secret greeting", points=1)
        def secret(lab):
            return Failure(expected=SECRET, got="x", hint=SECRET)
    '''))
    attack = WALK_FRAMES + "\nRETURN = repr(FOUND)\n"
    repo = submission(tmp_path, "mallory", attack, solved=True)
    handler = repo / "labs" / LAB / "lambda_function.py"
    handler.write_text(handler.read_text().replace("json.dumps({\"message\": message})",
                                                   "json.dumps({\"message\": message, \"found\": RETURN})"))
    result = CliRunner().invoke(grade_command, [str(repo), "--checks", str(hidden), "--json", "-"])
    out, err = capfd.readouterr()
    everything = result.output + out + err
    assert "LEAKED" not in everything  # what the learner's process prints goes nowhere
    assert "EXPECTED-VALUE-8815" not in everything and "SECRET" not in everything
    data = json.loads(result.stdout[result.stdout.index("{"):])
    checks = data["submissions"][0]["labs"][0]["checks"]
    assert [c["name"] for c in checks][-1] == "secret greeting" and checks[-1]["passed"] is False
    assert checks[-1]["expected"] == "this hidden check to pass"
    # The learner's process found none of the grader's checks nor any solution module: the handler, which
    # returned what it found, still greets; the check that reads the body sees no Check object in it.
    assert all(c["passed"] for c in checks[:-1]), checks


def test_a_hanging_submission_ends_at_the_limit_with_a_failing_verdict(tmp_path):
    report = grade([submission(tmp_path, "mallory", HANG_THREAD, solved=True)], time_limit=8)
    lab = report.submissions[0].labs[0]
    assert lab.points == 0
    messages = [c.failure.got for c in lab.checks]
    assert any("still running" in m or "limit" in m for m in messages), lab.format()


def test_a_room_with_one_hostile_submission_grades_the_others_unchanged(tmp_path):
    room = tmp_path / "submissions"
    alice = submission(room, "alice", solved=True)
    bob = submission(room, "bob")
    mallory = submission(room, "mallory", FORGE_IN_MEMORY + """
import pathlib
for other in pathlib.Path(__file__).resolve().parents[3].glob("*/labs/01-greeting/lambda_function.py"):
    pass  # (a handler runs from its deployment package, not the lab folder; checked below by the grade)
try:
    import lambda_local.grading.runner as runner
    runner.grade = lambda *a, **k: None
except Exception:
    pass
""")
    alone = grade([alice, bob])
    together = grade([alice, bob, mallory])
    assert _points(alone) == [8, 0]
    assert _points(together)[:2] == _points(alone) and _points(together)[2] == 0


def test_an_escaped_grandchild_cannot_rewrite_the_results_file(tmp_path):
    """atexit hooks and a detached grandchild that writes the results file after grading: the grade command
    (a process of its own, as in CI) kills what the learner's code left behind before it writes the file."""
    grades = tmp_path / "grades.json"
    attack = f"""
import atexit, os, time
FORGED = '{{"points": 8, "max_points": 8, "passed": true, "submissions": []}}'
atexit.register(lambda: open({str(grades)!r}, "w").write(FORGED))
if os.fork() == 0:
    os.setsid()
    if os.fork() == 0:
        time.sleep(1.5)
        open({str(grades)!r}, "w").write(FORGED)
    os._exit(0)
"""
    repo = submission(tmp_path, "mallory", attack)
    done = subprocess.run([sys.executable, "-m", "lambda_local.cli", "grade", str(repo), "--json", str(grades)],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 1, done.stderr
    subprocess.run([sys.executable, "-c", "import time; time.sleep(2.5)"], check=True)  # past the grandchild's wait
    data = json.loads(grades.read_text())
    assert (data["points"], data["max_points"]) == (0, 8)


def test_a_link_out_of_the_lab_folder_is_not_packaged(tmp_path):
    secret = tmp_path / "hidden-checks.py"
    secret.write_text("SECRET = 'EXPECTED-VALUE-8815'\n")
    repo = submission(tmp_path, "mallory", solved=True)
    (repo / "labs" / LAB / "notes.py").symlink_to(secret)
    lab = grade([repo]).submissions[0].labs[0]
    assert lab.points == 0 and "a link to somewhere outside the lab folder" in lab.checks[0].failure.got
    assert "EXPECTED-VALUE-8815" not in lab.format()
