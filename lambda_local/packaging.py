"""Deployment packages: the zip file ``create_function`` and ``publish_layer_version`` take."""

from __future__ import annotations

import io
import os
import textwrap
import zipfile
from pathlib import Path

__all__ = ["zip_package"]


def zip_package(source: str | os.PathLike | dict[str, str | bytes]) -> bytes:
    """Zip a folder (its contents at the root of the archive, as Lambda expects) or a dict of file name -> text.

    >>> import zipfile, io
    >>> data = zip_package({"lambda_function.py": "def lambda_handler(event, context):\\n    return 1\\n"})
    >>> zipfile.ZipFile(io.BytesIO(data)).namelist()
    ['lambda_function.py']
    """
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        if isinstance(source, dict):
            for name, content in source.items():
                archive.writestr(_entry(name), textwrap.dedent(content) if isinstance(content, str) else content)
        else:
            root = Path(source)
            if not root.is_dir():
                raise ValueError(f"{root} is not a folder")
            for path in sorted(root.rglob("*")):
                if path.is_file() and "__pycache__" not in path.parts:
                    archive.write(path, path.relative_to(root).as_posix())
    return buffer.getvalue()


def _entry(name: str) -> zipfile.ZipInfo:
    """A file made from text: a fixed timestamp, so the same files always zip to the same bytes (the same
    CodeSha256, the same ``sam package`` key; the clock would change both every second), and readable by all, as
    Lambda's runtime user (not the file's owner) must read it."""
    entry = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
    entry.compress_type = zipfile.ZIP_DEFLATED
    entry.external_attr = 0o644 << 16
    return entry
