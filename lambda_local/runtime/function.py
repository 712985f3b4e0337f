"""A function's configuration, and ``Function``: the direct API the first lessons use, no AWS calls needed.

>>> from lambda_local import Function
>>> fn = Function(lambda event, context: {"hello": event["name"]})
>>> result = fn.invoke({"name": "Ada"})
>>> result.payload, result.cold_start
({'hello': 'Ada'}, True)
>>> fn.invoke({"name": "Bob"}).cold_start
False
"""

from __future__ import annotations

import json
import os
import re
import traceback
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Callable

from .. import iam
from .invocation import Invocation
from .invoke import invoke as _invoke
from .invoke import runtime_executor
from .pool import EnvironmentPool
from .service import current_service

__all__ = ["Function", "FunctionConfig"]

# json.dumps's own C encoder (its default settings), called directly: a third of json.dumps's time for a small event.
# Without circular-reference markers (a dict it would share between threads): a circular event ends in a
# RecursionError here, and json.dumps then says what it always says, as for every other failure.
_C_ENCODER: Any = getattr(json.encoder, "c_make_encoder", None)  # (None without the C accelerator, as on PyPy)
_C_STRINGS: Any = getattr(json.encoder, "c_encode_basestring_ascii", None)
_ENCODE = (_C_ENCODER(None, json.JSONEncoder().default, _C_STRINGS, None, ": ", ", ", False, False, True)
           if _C_ENCODER is not None and _C_STRINGS is not None else None)


def _to_json(event: Any) -> bytes:
    """``json.dumps(event).encode("utf-8")``, the same bytes or the same error."""
    try:
        return "".join(_ENCODE(event, 0)).encode("utf-8")  # type: ignore[misc]  # (None: the except below)
    except Exception:  # noqa: BLE001 - json.dumps itself: the same text, or the same error and message
        return json.dumps(event).encode("utf-8")

_STDLIB = os.path.dirname(os.__file__) + os.sep
_TRACEBACK_FILE = re.compile(r'File (\\?)"([^"\\]+)\1"')  # a traceback's file, plain or inside a JSON string
_PACKAGE_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__))) + os.sep
_LOG_LEVELS = {"TRACE": "DEBUG", "DEBUG": "DEBUG", "INFO": "INFO", "WARN": "WARNING", "ERROR": "ERROR",
               "FATAL": "CRITICAL"}


@dataclass
class FunctionConfig:
    """What the Lambda service knows about one function version (AWS's fields, in snake_case)."""

    function_name: str
    handler: str | None
    runtime: str = "python3.12"
    memory_size: int = 128
    timeout: float = 3
    environment: dict[str, str] = field(default_factory=dict)
    architecture: str = "x86_64"
    ephemeral_storage: int = 512
    role: str | None = None
    version: str = "$LATEST"
    account_id: str = "123456789012"
    region: str = "us-east-1"
    task_root: str | None = None
    layer_dirs: list[str] = field(default_factory=list)
    handler_callable: Callable | None = None
    log_format: str = "Text"
    application_log_level: str | None = None
    system_log_level: str | None = None  # filters the platform's lines, with the JSON format only (as on AWS)
    log_group: str | None = None  # LoggingConfig.LogGroup; None: /aws/lambda/<function name>
    package_mb: float = 0.0  # zipped deployment package, for the cold-start model
    vpc: bool = False
    revision: str = ""
    executor: Any = None  # the runtime that runs the code (executor.RuntimeExecutor); None: Python, in-process

    @property
    def function_arn(self) -> str:
        return f"arn:aws:lambda:{self.region}:{self.account_id}:function:{self.function_name}"

    @property
    def log_group_name(self) -> str:
        return self.log_group or f"/aws/lambda/{self.function_name}"

    def search_paths(self) -> list[str]:
        """sys.path entries the function adds, in the Python runtime's order: the task root, then each layer's
        ``python/lib/python3.x/site-packages`` and ``python/`` (a later layer wins, as when layers unpack over one
        another into /opt)."""
        paths = [self.task_root] if self.task_root else []
        version = self.runtime.removeprefix("python")
        for layer in reversed(self.layer_dirs):
            paths += [os.path.join(layer, "python", "lib", f"python{version}", "site-packages"),
                      os.path.join(layer, "python")]
        return paths

    def owned_dirs(self) -> list[str]:
        return ([self.task_root] if self.task_root else []) + list(self.layer_dirs)

    def root_log_level(self) -> int:
        import logging

        level = self.application_log_level or ("INFO" if self.log_format == "JSON" else None)
        if level:  # with the JSON format ApplicationLogLevel is INFO unless set otherwise
            return logging.getLevelName(_LOG_LEVELS.get(level.upper(), "INFO"))
        return logging.WARNING  # the real runtime leaves the root logger at WARNING: logger.info() prints nothing

    def environ_for(self, env, credentials: dict[str, str]) -> dict[str, str]:
        """The environment variables an execution environment starts with: AWS's reserved ones plus the function's."""
        environ = {
            "_HANDLER": self.handler or "",
            "AWS_REGION": self.region,
            "AWS_DEFAULT_REGION": self.region,
            "AWS_EXECUTION_ENV": f"AWS_Lambda_{self.runtime}",
            "AWS_LAMBDA_FUNCTION_NAME": self.function_name,
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(self.memory_size),
            "AWS_LAMBDA_FUNCTION_VERSION": self.version,
            "AWS_LAMBDA_INITIALIZATION_TYPE": env.init_type,
            "AWS_LAMBDA_LOG_GROUP_NAME": self.log_group_name,
            "AWS_LAMBDA_LOG_STREAM_NAME": env.log_stream_name,
            "AWS_LAMBDA_RUNTIME_API": "127.0.0.1:9001",
            "AWS_XRAY_CONTEXT_MISSING": "LOG_ERROR",
            "AWS_XRAY_DAEMON_ADDRESS": "169.254.79.129:2000",
            "LAMBDA_TASK_ROOT": self.task_root or "/var/task",  # where the code is: files open relative to it
            "LAMBDA_RUNTIME_DIR": "/var/runtime",
            "LANG": "en_US.UTF-8",
            "PATH": "/var/lang/bin:/usr/local/bin:/usr/bin/:/bin:/opt/bin",
            "LD_LIBRARY_PATH": ("/var/lang/lib:/lib64:/usr/lib64:/var/runtime:/var/runtime/lib:/var/task:"
                                "/var/task/lib:/opt/lib"),
            "PYTHONPATH": "/var/runtime",
            "TZ": ":UTC",
            "TMPDIR": env.tmp_dir,
            "AWS_LAMBDA_LOG_FORMAT": self.log_format,
        }
        level = self.application_log_level or ("INFO" if self.log_format == "JSON" else None)
        if level:
            environ["AWS_LAMBDA_LOG_LEVEL"] = level.upper()
        environ.update(credentials)
        environ.update(self.environment)
        return environ

    def aws_path(self, path: str) -> str:
        """Where a file would be on AWS: the package under /var/task, layers under /opt, libraries and the
        standard library under /var/lang (so traces read the same on every machine)."""
        if self.task_root and path.startswith(self.task_root.rstrip(os.sep) + os.sep):
            return "/var/task/" + path[len(self.task_root.rstrip(os.sep)) + 1:]
        for layer in self.layer_dirs:
            if path.startswith(layer.rstrip(os.sep) + os.sep):
                return "/opt/" + path[len(layer.rstrip(os.sep)) + 1:]
        version = self.runtime.removeprefix("python")
        if "site-packages" + os.sep in path:
            return f"/var/lang/lib/python{version}/site-packages/" + path.split("site-packages" + os.sep, 1)[1]
        if path.startswith(_STDLIB):
            return f"/var/lang/lib/python{version}/" + path[len(_STDLIB):]
        return path

    def aws_paths_in(self, text: str) -> str:
        """``text`` with the files of its traceback lines (``File "..."``, JSON-escaped too) where they would be on
        AWS: a traceback the function formats itself (``logger.exception``, ``traceback.format_exc()``) names
        /var/task/app.py there, never this machine's folders."""
        if 'File "' not in text and 'File \\"' not in text:
            return text
        return _TRACEBACK_FILE.sub(lambda m: f'File {m[1]}"{self.aws_path(m[2])}{m[1]}"', text)

    def stack_trace(self, tb) -> list[str]:
        """The stackTrace of an error payload: the function's frames only, with AWS's paths."""
        frames = [f for f in traceback.extract_tb(tb) if not f.filename.startswith(_PACKAGE_DIR)]
        for frame in frames:
            frame.filename = self.aws_path(frame.filename)
        return traceback.format_list(frames)


def _validate(memory: int, timeout: float, environment: dict, layers) -> None:
    if not 128 <= memory <= 10240:
        raise ValueError(f"memory must be 128 to 10,240 MB (got {memory})")
    if not 1 <= timeout <= 900:
        raise ValueError(f"timeout must be 1 to 900 seconds (got {timeout})")
    if len(layers) > 5:
        raise ValueError("Cannot reference more than 5 layers.")
    size = sum(len(k) + len(str(v)) for k, v in environment.items())
    if size > 4096:
        raise ValueError(f"environment variables exceed 4 KB ({size} bytes)")


class Function:
    """A Lambda function you can invoke straight from Python, with no AWS API in between.

    ``handler`` is a Python callable ``(event, context)``, or a ``"module.function"`` string with ``code`` the folder
    that holds the module (the deployment package, unzipped). ``layers`` are folders laid out as a layer zip is
    (``python/...``). Each ``invoke`` runs the handler as Lambda would: in an execution environment that is reused
    while warm (module-level code runs once per environment), under the timeout, with its log framed by
    START/END/REPORT and its cost computed from the price sheet.
    """

    def __init__(self, handler: Callable | str, code: str | os.PathLike | None = None, *, name: str | None = None,
                 memory: int = 128, timeout: float = 3, environment: dict[str, str] | None = None,
                 layers: Sequence[str | os.PathLike] = (), runtime: str = "python3.12", architecture: str = "x86_64",
                 ephemeral_storage: int = 512, log_format: str = "Text", log_level: str | None = None,
                 system_log_level: str | None = None, reserved_concurrency: int | None = None):
        environment = {str(k): str(v) for k, v in (environment or {}).items()}
        _validate(memory, timeout, environment, layers)
        if callable(handler):
            handler_name = f"{getattr(handler, '__module__', 'handler')}.{getattr(handler, '__name__', 'handler')}"
            callable_handler, task_root = handler, (os.path.abspath(code) if code else None)
            default_name = getattr(handler, "__name__", "function").replace("<lambda>", "lambda")
        else:
            if code is None:
                raise ValueError("a handler given as 'module.function' needs code='folder with the module'")
            handler_name, callable_handler, task_root = handler, None, os.path.abspath(code)
            default_name = os.path.basename(task_root.rstrip(os.sep)) or "function"
        self._service = current_service()
        self.config = FunctionConfig(
            function_name=name or default_name, handler=handler_name, runtime=runtime, memory_size=memory,
            timeout=timeout, environment=environment, architecture=architecture,
            ephemeral_storage=ephemeral_storage, task_root=task_root,
            layer_dirs=[os.path.abspath(layer) for layer in layers], handler_callable=callable_handler,
            log_format=log_format, application_log_level=log_level, system_log_level=system_log_level,
            account_id=self._service.account_id, region=self._service.region,
            executor=runtime_executor(runtime, self._service))
        self._pool = EnvironmentPool(self._service)
        self._pool.reserved_concurrency = reserved_concurrency
        # Lambda gives every environment its execution role's temporary credentials, so a boto3 client made in the
        # handler never fails with NoCredentialsError. A function made here has no role: its keys carry no policy
        # (inside mock_aws() moto takes any call; outside it, no call reaches AWS).
        self._credentials = iam.credentials_for(None, self.config.function_name, self.config.account_id,
                                                enforce=False)
        self.invocations: list[Invocation] = []

    @property
    def name(self) -> str:
        return self.config.function_name

    def invoke(self, event: Any = None, *, client_context: dict | None = None,
               invocation_type: str = "RequestResponse") -> Invocation:
        """Invoke the function with ``event`` (anything JSON can carry, or raw JSON bytes) and return the record.

        A function error does not raise: it is in ``result.error_type`` and ``result.payload``, as on AWS.
        A refused call (payload too large, throttled) raises :class:`ServiceError`.
        """
        if isinstance(event, (bytes, bytearray)):
            payload = bytes(event)
        else:
            payload = _to_json({} if event is None else event)
        result = _invoke(self._service, self._pool, self.config, payload, invocation_type=invocation_type,
                         client_context=client_context, credentials=self._credentials)
        self.invocations.append(result)
        return result

    __call__ = invoke

    @property
    def environments(self) -> list:
        """The execution environments alive now (idle ones past the idle timeout are shut down first)."""
        return self._pool.live()

    def shutdown(self) -> None:
        """Discard every idle environment: the next invocation is a cold start."""
        self._pool.clear()

    def __repr__(self) -> str:
        return (f"<Function {self.config.function_name} {self.config.runtime} {self.config.memory_size} MB "
                f"timeout {self.config.timeout:g} s>")

