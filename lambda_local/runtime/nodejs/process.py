"""The runtime process of a Node.js function's execution environment: one ``node`` process running AWS's runtime
interface client, talking to its own Runtime API endpoint, as on AWS (where the process lives in a micro-VM).

The process is started at INIT and kept on the environment between invocations (module state survives, as on a
warm start); a timeout or a crash kills it, and the environment is reset: the next invocation runs INIT again.
"""

from __future__ import annotations

import contextvars
import os
import re
import secrets
import time
import weakref
from collections.abc import Callable
from datetime import datetime, timezone

from ... import logs
from ..runtime_api import Outcome, RuntimeApi
from . import install

__all__ = ["NodeProcess", "invocation_context", "iso_ms"]

JS = install.JS_DIR
# Flags Lambda's Node.js runtimes start node with (AWS docs, "Building Lambda functions with Node.js": experimental
# features Lambda disables; a NODE_OPTIONS re-enable flag removes the matching disable flag).
_DISABLED = {20: ["--no-experimental-require-module"],
             22: ["--no-experimental-require-module", "--no-experimental-detect-module"]}
_RIC_TIMESTAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z(?=\t)")
_JSON_TIMESTAMP = re.compile(r'^\{"timestamp":"[^"]*"')


# The processes running now, by the token their requests to the sandbox's endpoint carry (X-Lambda-Local-Runtime).
_RUNNING: weakref.WeakValueDictionary[str, NodeProcess] = weakref.WeakValueDictionary()


def invocation_context(token: str) -> contextvars.Context | None:
    """A copy of the context of the phase (INIT or an invocation) the process with ``token`` runs now: its SDK
    calls are handled in it, as a Python handler's boto3 calls run in its invocation's. None when it runs none."""
    process = _RUNNING.get(token)
    context = process.context if process is not None else None
    return context.copy() if context is not None else None


def iso_ms(epoch_ms: int) -> str:
    return datetime.fromtimestamp(epoch_ms / 1000, timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


class NodeProcess:
    """The ``node`` process of one execution environment (``env.runtime_process``), and what it reports."""

    def __init__(self, env, clock: Callable[[], float] | None = None):
        config = self.config = env.config
        self.environ = env.environ
        self.api: RuntimeApi | None = None
        self.sink: logs.LogSink | None = None
        self.peak_kb = 0
        self.exit_code: int | None = None  # how the process ended, once it has
        self.token = secrets.token_hex(16)
        self.context: contextvars.Context | None = None  # the running phase's (see invocation_context)
        self._clock = clock or time.time
        self._path_map = [(config.task_root.rstrip(os.sep), "/var/task")] if config.task_root else []
        self._path_map += [(layer.rstrip(os.sep), "/opt") for layer in config.layer_dirs]
        self._path_map += [(str(install.ric_path(v).parent), "/var/runtime") for v in install.RIC]
        self._path_map.append((str(JS), "/var/runtime"))

    # --- the process ------------------------------------------------------------------------------------------------
    @property
    def running(self) -> bool:
        """Whether the node process is alive."""
        api = self.api
        return api is not None and api.process is not None and api.process.poll() is None

    def start(self, sink: logs.LogSink, endpoint_env: dict[str, str], timeout_s: float) -> Outcome:
        """INIT: start node with the runtime interface client; returns when it asks for the first invocation."""
        files = install.find(self.config.runtime)
        self.sink = sink
        self.api = api = RuntimeApi(self._output)
        api.over_memory = self._over_memory
        api.start(self._argv(files), self._process_env(files, api.address, endpoint_env), self.config.task_root)
        _RUNNING[self.token] = self
        self.context = contextvars.copy_context()
        try:
            outcome = api.wait_ready(timeout_s)
        finally:
            self.context = None
        self.peak_kb = max(self.peak_kb, self._vm_hwm_kb())
        return outcome

    def await_next(self, timeout_s: float) -> bool:
        """Whether the process is (or, finishing the previous invocation, comes to be) waiting for the next one.
        False when it has exited or never asks: then it is stopped and the next invocation runs INIT."""
        api = self.api
        if api is None:
            return False
        process = api.process
        assert process is not None  # self.api is set by start(), which starts the process
        if process.poll() is None and (api.waiting or api.wait_ready(timeout_s).kind == "ready"):
            return True
        self.exit_code = process.poll()
        self.stop()
        return False

    def _argv(self, files: install.NodeRuntimeFiles) -> list[str]:
        major = install.major_of(self.config.runtime)
        options = os.environ.get("NODE_OPTIONS", "") + " " + self.config.environment.get("NODE_OPTIONS", "")
        disabled = [flag for flag in _DISABLED.get(major, []) if flag.replace("--no-", "--") not in options]
        # Lambda's bootstrap sizes V8's heap from the function's memory (a tenth for the new space, half of that
        # per semi-space, the rest old space), so a heap that outgrows it fails, and collects, as on AWS.
        memory = self.config.memory_size
        new_space = memory // 10
        return [files.node, "--expose-gc", "--max-http-header-size=81920",
                f"--max-semi-space-size={new_space // 2}", f"--max-old-space-size={memory - new_space}",
                *disabled, "--require", str(JS / "rapid-client.cjs"), str(JS / "index.mjs")]

    def _process_env(self, files: install.NodeRuntimeFiles, address: str, endpoint_env: dict[str, str]
                     ) -> dict[str, str]:
        config = self.config
        major = install.major_of(config.runtime)
        environ = dict(self.environ)
        environ.pop("PYTHONPATH", None)
        node_path = []
        for layer in reversed(config.layer_dirs):  # a later layer wins, as when layers unpack into /opt
            node_path.append(os.path.join(layer, "nodejs", f"node{major}", "node_modules"))
        node_path += [os.path.join(layer, "nodejs", "node_modules") for layer in reversed(config.layer_dirs)]
        if files.sdk_node_modules:
            node_path.append(files.sdk_node_modules)
        node_path.append(config.task_root)
        environ.update({
            "AWS_LAMBDA_RUNTIME_API": address,
            "LAMBDA_TASK_ROOT": config.task_root,
            "LAMBDA_RUNTIME_DIR": str(JS),
            "NODE_PATH": os.pathsep.join(node_path),
            "PATH": os.path.dirname(files.node) + os.pathsep + os.environ.get("PATH", "/usr/bin:/bin"),
            "_LAMBDA_LOCAL_RIC": "file://" + files.ric,
            "_LAMBDA_LOCAL_RUNTIME_TOKEN": self.token,
        })
        environ.update(endpoint_env)
        environ.update({k: v for k, v in config.environment.items()})
        return environ

    def invoke(self, request_id: str, payload: bytes, headers: dict[str, str], timeout_s: float,
               sink: logs.LogSink) -> Outcome:
        """Hand one event to the waiting runtime; returns what it answered (or that it timed out or exited)."""
        self.sink = sink
        api = self.api
        assert api is not None, "invoke() before start()"
        self.context = contextvars.copy_context()
        try:
            outcome = api.invoke(request_id, payload, headers, timeout_s)
        finally:
            self.context = None
        if outcome.kind == "exited":
            return outcome
        self.peak_kb = max(self.peak_kb, self._vm_hwm_kb())
        return outcome

    def stop(self) -> None:
        """Kill the runtime process (a timeout, a crash, a reset, SHUTDOWN)."""
        _RUNNING.pop(self.token, None)
        if self.api is not None:
            self.api.kill()
            self.api = None

    # --- what it reports --------------------------------------------------------------------------------------------
    def _vm_hwm_kb(self) -> int:
        """The process's peak resident memory (VmHWM), as the Lambda platform measures Max Memory Used."""
        api = self.api
        if api is None:  # stopped: nothing more to measure
            return self.peak_kb
        try:
            with open(f"/proc/{api.pid}/status", "rb") as status:
                for line in status:
                    if line.startswith(b"VmHWM:"):
                        return int(line.split()[1])
        except (OSError, ValueError, TypeError):
            pass
        return self.peak_kb

    def aws_paths(self, text: str) -> str:
        """Paths as they read on AWS: the package under /var/task, layers under /opt, the runtime in /var/runtime."""
        if "/" not in text:
            return text
        for local, aws in self._path_map:
            text = text.replace(local, aws)
        return text

    def _over_memory(self) -> bool:
        return self._vm_hwm_kb() > self.config.memory_size * 1024

    @property
    def peak_bytes(self) -> int:
        """The process's peak resident memory so far: Max Memory Used, as the platform measures it."""
        return self.peak_kb * 1024

    def _output(self, line: str) -> None:
        """A line the process wrote: the runtime's log lines carry the wall clock; here they carry the sandbox's."""
        sink = self.sink
        if sink is None:
            return
        now = iso_ms(int(self._clock() * 1000))
        if _RIC_TIMESTAMP.match(line):
            line = now + line[24:]
        elif line.startswith('{"timestamp":"'):
            line = _JSON_TIMESTAMP.sub('{"timestamp":"' + now + '"', line, count=1)
        # The client writes a multi-line message as one line with carriage returns (one log event).
        sink.write_event(self.aws_paths(line).replace("\r", "\n"))

