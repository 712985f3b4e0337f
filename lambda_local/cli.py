"""``lambda-local``: the course's command line (serve, invoke, events, check, grade, progress, reset, cost)."""

from __future__ import annotations

import click

from . import __version__


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="lambda-local")
def main() -> None:
    """Learn AWS Lambda offline: run handlers, mock AWS, grade labs."""


if __name__ == "__main__":  # pragma: no cover
    main()
