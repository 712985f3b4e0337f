"""The grader's commands for ``lambda-local``: ``check``, ``grade``, ``progress`` and ``reset``.

Register them on the main group with ``for command in COMMANDS: main.add_command(command)``.

Exit codes: 0 when every check passes (or nothing failed), 1 when a check fails, 2 when there is nothing to grade
or an argument is wrong (with a plain-language message, never a traceback).
"""

from __future__ import annotations

import json
from pathlib import Path

import click

from .progress import progress
from .reset import reset_lab
from .runner import TIME_LIMIT, GradingError, check_lab, grade
from .worker import adopt_orphans

__all__ = ["COMMANDS", "check_command", "grade_command", "progress_command", "reset_command"]


class _Problem(click.ClickException):
    exit_code = 2


def _guard(action):
    try:
        return action()
    except GradingError as error:
        raise _Problem(str(error)) from None
    except OSError as error:
        raise _Problem(f"{error.filename or ''}: {error.strerror}".lstrip(": ")) from None


_LABS_DIR = click.option("--path", "labs_dir", type=click.Path(file_okay=False), default=None,
                         help="The folder that holds the lab folders [default: labs/ here or in a parent folder].")


@click.command("check")
@click.argument("lab")
@_LABS_DIR
def check_command(lab: str, labs_dir: str | None) -> None:
    """Run the checks of lab LAB (a number such as 01, or a lab folder) and print what passes and what is still
    wrong. Exits 1 while a check fails."""
    result = _guard(lambda: check_lab(lab, labs_dir=labs_dir))
    click.echo(result.format())
    raise SystemExit(0 if result.passed else 1)


def _announce(submission: Path, lab: Path) -> None:
    click.echo(f"grading {submission.name}/{lab.name} ...", err=True)


@click.command("grade")
@click.argument("paths", nargs=-1, type=click.Path())
@click.option("--json", "json_file", type=click.Path(dir_okay=False, allow_dash=True),
              help="Also write the result as JSON (points, max_points, then every lab and check); - for stdout.")
@click.option("--junit", "junit_file", type=click.Path(dir_okay=False),
              help="Also write a JUnit XML report (for CI and GitHub Classroom).")
@click.option("--checks", "checks_dir", type=click.Path(file_okay=False),
              help="A folder of extra checks (Python files that set LAB = \"NN\" and define @check functions).")
@click.option("--time-limit", type=click.FloatRange(min=1), default=TIME_LIMIT, show_default=True,
              help="Seconds of wall-clock time for one lab; the learner's processes are killed at the limit.")
def grade_command(paths: tuple[str, ...], json_file: str | None, junit_file: str | None,
                  checks_dir: str | None, time_limit: float) -> None:
    """Grade labs: lab folders (solutions/*/), folders of them (labs/), or learners' repositories (folders that
    hold labs/), in any mix [default: the current folder]. Prints a score per lab and check; exits 1 when a check
    fails."""
    adopt_orphans()  # this process only grades: every process a learner's code leaves behind is killed here
    report = _guard(lambda: grade(paths or ["."], checks_dir=checks_dir, time_limit=time_limit,
                                  on_lab=_announce))
    to_stderr = json_file == "-"  # keep stdout pure JSON
    click.echo(report.format(), err=to_stderr)
    click.echo(f"\n{report.points}/{report.max_points} points, graded in {report.seconds:.1f} s", err=to_stderr)
    if json_file:
        text = json.dumps(report.as_dict(), indent=2) + "\n"
        if to_stderr:
            click.echo(text, nl=False)
        else:
            _guard(lambda: Path(json_file).write_text(text, encoding="utf-8"))
    if junit_file:
        _guard(lambda: Path(junit_file).write_text(report.to_junit(), encoding="utf-8"))
    raise SystemExit(0 if report.passed else 1)


@click.command("progress")
@click.option("--path", "root", type=click.Path(file_okay=False, exists=True), default=".",
              help="The course folder (or any folder inside it).")
def progress_command(root: str) -> None:
    """Show which lessons you ran to their end and which labs pass (checks run again only for a lab whose files
    changed since the last time)."""
    click.echo(_guard(lambda: progress(root, on_lab=lambda lab: click.echo(f"checking {lab.name} ...",
                                                                              err=True))).format())


@click.command("reset")
@click.argument("lab")
@_LABS_DIR
def reset_command(lab: str, labs_dir: str | None) -> None:
    """Give lab LAB its starting files again. Your version is saved first to backups/NN-name-<time>/ (printed);
    nothing you wrote is deleted. Close the lab's notebook in JupyterLab first, or it may save over the reset."""
    click.echo(_guard(lambda: reset_lab(lab, labs_dir=labs_dir)).format())


COMMANDS = (check_command, grade_command, progress_command, reset_command)
