"""Build hook: the grader's starting files are built from ``labs/``, the one copy of the course.

``lambda-local reset`` restores a lab to what the course shipped, so the package carries the labs as they were when
it was built: a wheel gets ``labs/NN-name/`` copied into ``lambda_local/grading/starting_files/``; an editable
install (``pip install -e .``, ``make lab``, Binder) copies them into the source tree once and never over an
existing copy, because by a later reinstall ``labs/`` may hold the learner's own work. The copy is not in git
(.gitignore); ``tests/test_grading.py`` checks it equals ``labs/``. Everything else is in pyproject.toml.
"""

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

ROOT = Path(__file__).resolve().parent
PACKAGED = Path("lambda_local", "grading", "starting_files")
_IGNORE = shutil.ignore_patterns("__pycache__", ".ipynb_checkpoints")


def copy_starting_files(target: Path, overwrite: bool) -> None:
    """Copy each ``labs/NN-name/`` folder into ``target``."""
    for lab in sorted(p for p in (ROOT / "labs").iterdir() if p.is_dir() and p.name[:2].isdigit()):
        destination = target / lab.name
        if destination.exists():
            if not overwrite:
                continue
            shutil.rmtree(destination)
        shutil.copytree(lab, destination, ignore=_IGNORE)


class BuildPy(build_py):
    def run(self):
        super().run()
        if getattr(self, "editable_mode", False):
            copy_starting_files(ROOT / PACKAGED, overwrite=False)
        else:
            copy_starting_files(Path(self.build_lib) / PACKAGED, overwrite=True)


setup(cmdclass={"build_py": BuildPy})
