"""What grading produces: a result per check, per lab, per submission, and the whole report.

Each result formats itself as a plain-text table (``format()``), and the report also as JSON (``as_dict()``) and
JUnit XML (``to_junit()``); see :mod:`lambda_local.grading.report`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .checks import Failure

__all__ = ["CheckResult", "LabResult", "Submission", "GradeReport"]


@dataclass(frozen=True)
class CheckResult:
    """One check's outcome: ``points`` earned of ``max_points``; ``failure`` says why not, when it failed.

    ``source`` is ``"course"`` for the package's checks and ``"instructor"`` for checks added with ``--checks``.
    """

    name: str
    points: int
    max_points: int
    failure: Failure | None = None
    seconds: float = 0.0
    source: str = "course"

    @property
    def passed(self) -> bool:
        return self.failure is None

    @property
    def message(self) -> str:
        """The failure message (Expected / Got / Hint), or "" when the check passed."""
        return "" if self.failure is None else str(self.failure)


@dataclass(frozen=True)
class LabResult:
    """The checks of one lab folder. ``note`` explains a lab that could not be graded (no checks for it yet).
    ``feedback``: the checks ran in the learner's own process (``check_lab(..., in_process=True)``, the browser
    edition), so this is feedback, not a grade; ``grade()`` never makes such a result.

    In a notebook, the last line ``check_lab(".")`` shows it as a table.
    """

    lab: str
    title: str
    path: str
    checks: tuple[CheckResult, ...] = ()
    seconds: float = 0.0
    note: str = ""
    feedback: bool = False

    @property
    def points(self) -> int:
        return sum(c.points for c in self.checks)

    @property
    def max_points(self) -> int:
        return sum(c.max_points for c in self.checks)

    @property
    def passed(self) -> bool:
        """Every check passed (a lab without checks has nothing failing)."""
        return all(c.passed for c in self.checks)

    def format(self, width: int = 100) -> str:
        """A plain-text table: one row per check, failure messages under their row, the score last."""
        from .report import format_lab

        return format_lab(self, width)

    def _repr_pretty_(self, printer, cycle) -> None:  # IPython shows the table, not the dataclass
        printer.text(self.format())


@dataclass(frozen=True)
class Submission:
    """The labs found in one place: a learner's repository (``name`` is its folder) or a folder of lab folders."""

    name: str
    path: str
    labs: tuple[LabResult, ...] = ()

    @property
    def points(self) -> int:
        return sum(lab.points for lab in self.labs)

    @property
    def max_points(self) -> int:
        return sum(lab.max_points for lab in self.labs)

    @property
    def passed(self) -> bool:
        return all(lab.passed for lab in self.labs)


@dataclass(frozen=True)
class GradeReport:
    """Everything ``grade()`` graded: ``points`` of ``max_points`` over all submissions."""

    submissions: tuple[Submission, ...] = field(default_factory=tuple)
    seconds: float = 0.0

    @property
    def points(self) -> int:
        return sum(s.points for s in self.submissions)

    @property
    def max_points(self) -> int:
        return sum(s.max_points for s in self.submissions)

    @property
    def passed(self) -> bool:
        return all(s.passed for s in self.submissions)

    def format(self, width: int = 100) -> str:
        """Plain-text tables, one per lab, grouped by submission, with totals."""
        from .report import format_report

        return format_report(self, width)

    def as_dict(self) -> dict:
        """JSON-ready: top-level ``points`` and ``max_points``, then each submission, lab and check."""
        from .report import report_dict

        return report_dict(self)

    def to_junit(self) -> str:
        """JUnit XML: a test suite per lab, a test case per check (what CI dashboards and GitHub Classroom read)."""
        from .report import junit_xml

        return junit_xml(self)

    def _repr_pretty_(self, printer, cycle) -> None:
        printer.text(self.format())
