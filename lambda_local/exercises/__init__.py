"""The "your turn" exercises of the lessons, checked at once (not graded).

In a lesson::

    from lambda_local.exercises import check
    check("01.1", greet)          # ✓ what is right, ✗ what is wrong and one hint; true when it is all right
    check.solution("01.1")        # one right answer, with why

Each exercise is declared once, in ``lesson_NN.py`` of this package (``EXERCISES``, a list of :class:`Exercise`):
its id ``"NN.K"``, a title, the check, a hint, a sample right answer and a sample wrong one (tests/test_exercises.py
proves the check accepts the first and explains the second) and the solution. A new ``lesson_NN.py`` is found by
its name; nothing else needs to list it. NN is the lesson's number (``lesson_03.py`` holds lesson 03's
exercises), and ``LESSON`` in the module names the notebook (``"events"`` for ``03_events.ipynb``).

Blanks in a lesson: the cell tagged ``exercise`` holds the starting code the learner completes (lessons 01 to 11
do), and the committed output of the ``check(...)`` cell after it is that starter's feedback (✗ and a hint); a
working answer there (✓) works too. The feedback names no request ids, times or durations, so it is the same on
every run and strict nbval stays clean. The cell after it, collapsed, calls ``check.solution(...)``.
"""

from ._core import Exercise, Mark, check, exercise, exercises, right, wrong

__all__ = ["Exercise", "Mark", "check", "exercise", "exercises", "right", "wrong"]
