"""A Node.js function's inline code (CloudFormation's ``Code.ZipFile``), packaged as CloudFormation packages it: the
source in ``index.js`` (a CommonJS module: ES modules are not supported inline) beside the ``cfn-response`` module,
which handlers load with ``require('cfn-response')`` (``/var/task`` is on NODE_PATH)."""

from __future__ import annotations

import io
import zipfile

from .install import JS_DIR

__all__ = ["inline_package"]


def inline_package(source: str) -> bytes:
    """The deployment package (zip bytes) CloudFormation makes of a Node.js function's inline ``source``."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("index.js", source)
        archive.writestr("cfn-response.js", (JS_DIR / "cfn-response.js").read_text())
    return buffer.getvalue()
