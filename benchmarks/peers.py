"""The peers a learner could use instead, on the same handler: python-lambda-local's Python API, and the official
runtime interface client (awslambdaric) under the Runtime Interface Emulator that aws-sam-cli's wheel ships.

Both are optional: they are installed with pip into a throwaway venv in ``benchmarks/.peers/`` (git-ignored) the
first time, and a row is skipped, with the reason, when that fails (no network, no wheel for this Python, not Linux).
Each is measured against lambda_local's warm direct invoke of the same handler, measured in the same run.
"""

from __future__ import annotations

import http.client
import json
import os
import platform
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

from harness import EVENT, Figure, Row, Stats, log, write_handler

HERE = Path(__file__).resolve().parent
PEERS = HERE / ".peers"
VENV = PEERS / "venv"
PLOCAL = ["python-lambda-local==0.1.13", "setuptools<81"]  # it imports pkg_resources
RIC = ["awslambdaric==4.2.2"]
SAM_CLI = "aws-sam-cli==1.170.0"
PLOCAL_FACTOR = 100  # issue 20: lambda_local's warm invoke at least this many times faster (was 70, issue 7)
RIE_FACTOR = 20


class Unavailable(Exception):
    """A peer cannot be installed or run here; the message says why, in a sentence."""


def _python() -> Path:
    return VENV / ("Scripts/python.exe" if os.name == "nt" else "bin/python")


def _run(command: list, what: str, timeout: float = 600, **kwargs) -> None:
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=timeout, **kwargs)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise Unavailable(f"{what}: {exc}") from None
    if done.returncode != 0:
        last = [line for line in (done.stderr or done.stdout).splitlines() if line.strip()][-1:] or ["no output"]
        raise Unavailable(f"{what} failed: {last[0][:200]}")


def _installed(packages: list[str]) -> None:
    """pip-install ``packages`` into the peers' venv once (a stamp file remembers the pins)."""
    stamp = VENV / (".installed-" + "-".join(p.replace("<", "lt").replace("=", "") for p in packages))
    if stamp.exists():
        return
    if not _python().exists():
        log("  peers: creating benchmarks/.peers/venv")
        _run([sys.executable, "-m", "venv", str(VENV)], "creating the peers' venv")
    log(f"  peers: pip install {' '.join(packages)}")
    _run([str(_python()), "-m", "pip", "install", "--quiet", "--disable-pip-version-check", *packages],
         f"pip install {' '.join(packages)}")
    stamp.touch()


def _rie() -> Path:
    """The Runtime Interface Emulator binary from aws-sam-cli's wheel (downloaded once, the rest thrown away)."""
    if platform.system() != "Linux":
        raise Unavailable("the Runtime Interface Emulator is a Linux binary")
    arch = {"x86_64": "x86_64", "amd64": "x86_64", "aarch64": "arm64", "arm64": "arm64"}.get(platform.machine().lower())
    if arch is None:
        raise Unavailable(f"no Runtime Interface Emulator for {platform.machine()}")
    binary = PEERS / f"aws-lambda-rie-{arch}"
    if binary.exists():
        return binary
    _installed(RIC)  # the venv (and its pip) must exist first
    download = Path(tempfile.mkdtemp(prefix="bench-sam-"))
    try:
        log(f"  peers: pip download {SAM_CLI} (for the emulator it ships)")
        _run([str(_python()), "-m", "pip", "download", "--quiet", "--no-deps", "--disable-pip-version-check",
              SAM_CLI, "-d", str(download)], f"pip download {SAM_CLI}")
        wheel = next(download.glob("aws_sam_cli-*.whl"), None)
        if wheel is None:
            raise Unavailable(f"pip download {SAM_CLI} gave no wheel")
        member = f"samcli/local/rapid/aws-lambda-rie-{arch}"
        with zipfile.ZipFile(wheel) as archive:
            if member not in archive.namelist():
                raise Unavailable(f"{wheel.name} has no {member}")
            binary.write_bytes(archive.read(member))
        binary.chmod(0o755)
    finally:
        shutil.rmtree(download, ignore_errors=True)
    return binary


def _peer_env() -> dict:
    # Never this repository's lambda_local on the path: python-lambda-local's package has the same name.
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV")}
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    return env


def _ours(folder: Path, runs: int) -> Stats:
    """lambda_local's warm direct invoke of the same handler, per call (the rows' shared baseline)."""
    from lambda_local import Function
    from rows_runtime import warm_direct

    fn = Function("lambda_function.handler", code=folder, name="bench-peer-baseline")
    ours, _ = warm_direct(fn, size=500, runs=runs)
    fn.shutdown()
    return ours


def _row(name: str, title: str, what: str, theirs: Stats, ours: Stats, factor: int, notes: list[str]) -> Row:
    theirs, ours = theirs.scaled(1e3), ours.scaled(1e3)
    ratio = theirs.median / ours.median
    return Row(name, title, "ms", Figure(what, theirs), Figure("lambda_local Function.invoke, warm", ours),
               ratio=ratio, target=f"{ratio:,.0f}x >= {factor}x", target_met=ratio >= factor, notes=notes)


def python_lambda_local(quick: bool) -> Row:
    title = "python-lambda-local 0.1.13, Python API"
    runs = 10 if quick else 30
    try:
        _installed(PLOCAL)
        with tempfile.TemporaryDirectory(prefix="bench-plocal-") as tmp:
            folder = write_handler(Path(tmp) / "code")
            out = Path(tmp) / "times.json"
            _run([str(_python()), str(HERE / "peer_plocal.py"), str(folder), str(runs), str(out)],
                 "running python-lambda-local", timeout=300, env=_peer_env(), cwd=tmp)
            theirs = Stats.of(json.loads(out.read_text())["seconds"])
            ours = _ours(folder, 7 if quick else 15)
    except Unavailable as exc:
        return Row.unavailable("plocal", title, "skipped", str(exc))
    return _row("plocal", title, "lambda_local.main.call(handler, event, context)", theirs, ours, PLOCAL_FACTOR,
                [f"python-lambda-local forks a process per call; timed in its own venv's Python, {runs} calls one "
                 "by one in a subprocess (its log lines go to a pipe)"])


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _wait_for(port: int, process: subprocess.Popen, seconds: float = 10) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise Unavailable(f"the emulator exited with status {process.returncode}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.05)
    raise Unavailable(f"the emulator did not listen on port {port} within {seconds:.0f} s")


def _post(connection: http.client.HTTPConnection, body: bytes) -> bytes:
    connection.request("POST", "/2015-03-31/functions/function/invocations", body=body,
                       headers={"Content-Type": "application/json"})
    response = connection.getresponse()
    data = response.read()
    if response.status != 200:
        raise Unavailable(f"the emulator answered {response.status}: {data[:200]!r}")
    return data


def _stop(process: subprocess.Popen) -> None:
    """Stop the emulator and the runtime client it started (their own process group, started by us)."""
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(5)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(5)


def runtime_interface_emulator(quick: bool) -> Row:
    title = "awslambdaric 4.2.2 under the Runtime Interface Emulator"
    runs = 50 if quick else 300
    try:
        rie = _rie()
        _installed(RIC)
        with tempfile.TemporaryDirectory(prefix="bench-rie-") as tmp:
            folder = write_handler(Path(tmp) / "code")
            port, api_port = _free_port(), _free_port()
            log_file = open(Path(tmp) / "rie.log", "wb")
            process = subprocess.Popen(
                [str(rie), "--log-level", "error", "--runtime-interface-emulator-address", f"127.0.0.1:{port}",
                 "--runtime-api-address", f"127.0.0.1:{api_port}", str(_python()), "-m", "awslambdaric",
                 "lambda_function.handler"],
                cwd=folder, env=_peer_env(), stdout=log_file, stderr=subprocess.STDOUT, start_new_session=True)
            try:
                _wait_for(port, process)
                connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
                body = json.dumps(EVENT).encode()
                start = time.perf_counter_ns()
                first = _post(connection, body)
                cold_ms = (time.perf_counter_ns() - start) / 1e6
                if json.loads(first) != {"statusCode": 200, "body": "Ada"}:
                    raise Unavailable(f"the emulator returned {first[:200]!r}")
                for _ in range(20):
                    _post(connection, body)
                seconds = []
                for _ in range(runs):
                    start = time.perf_counter_ns()
                    _post(connection, body)
                    seconds.append((time.perf_counter_ns() - start) / 1e9)
                connection.close()
            finally:
                _stop(process)
                log_file.close()
            ours = _ours(folder, 7 if quick else 15)
    except Unavailable as exc:
        return Row.unavailable("rie", title, "skipped", str(exc))
    row = _row("rie", title, "HTTP POST .../invocations, warm", Stats.of(seconds), ours, RIE_FACTOR,
               [f"the emulator from {SAM_CLI}'s wheel runs awslambdaric in the peers' venv; {runs} warm requests "
                f"one by one over a keep-alive connection; its first (cold) request took {cold_ms:.1f} ms"])
    row.details["cold_ms"] = cold_ms
    return row
