"""The examples in lambda_local's docstrings run and show what they say (``# doctest: +SKIP`` marks the ones that
need a live sandbox and are shown, not run)."""

import doctest
import importlib
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "lambda_local"


def _modules() -> list[str]:
    names = []
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        if all(part.isidentifier() for part in parts):  # leaves out the course files copied into the package
            names.append(".".join(parts[:-1] if parts[-1] == "__init__" else parts))
    return names


def _source(name: str) -> Path:
    path = PACKAGE.parent / Path(*name.split("."))
    return path / "__init__.py" if path.is_dir() else path.with_suffix(".py")


MODULES = [name for name in _modules() if ">>>" in _source(name).read_text()]


def test_the_package_has_examples_to_run():
    assert "lambda_local.policy" in MODULES and "lambda_local.simulate.engine" in MODULES


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE, verbose=False)
    assert result.failed == 0, f"{result.failed} of {result.attempted} examples in {name} failed (see above)"
