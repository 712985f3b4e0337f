"""What a check is, and what it gets to work with.

A check is a name, some points and a function. The function receives a :class:`LabRun` (the learner's lab folder
plus a fresh ``mock_aws()``), runs the learner's code through the runtime and the AWS API as AWS would, and either
returns ``None`` (pass) or returns/raises a :class:`Failure` that says what was expected, what happened, and a hint.

>>> from lambda_local.grading import Failure, check
>>> @check("answers 200", points=2)
... def answers_200(lab):
...     lab.deploy("greeting")
...     status = lab.invoke("greeting", {}).payload.get("statusCode")
...     if status != 200:
...         return Failure(expected="statusCode 200", got=f"statusCode {status}", hint="return a dict")
>>> answers_200.points
2
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import traceback
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterator, Sequence

from .failure import Failure

__all__ = ["Check", "Failure", "LabRun", "SdkUse", "check"]

LAMBDA_TRUST_POLICY = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}],
}
BASIC_EXECUTION = "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"
# Files of a lab folder that are never part of a deployment package.
_NOT_PACKAGED = {".ipynb_checkpoints", "__pycache__", ".DS_Store"}
# Lines Lambda itself writes around each invocation, as opposed to what the function printed or logged.
_PLATFORM_LINE = re.compile(r"^(START|END|REPORT|INIT_START|INIT_REPORT|INIT_RUNTIME_DONE|EXTENSION) ")


@dataclass(frozen=True)
class Check:
    """One graded check: ``run(lab)`` returns ``None`` to pass, or a :class:`Failure`.

    >>> Check("imports", 1, lambda lab: None).points
    1
    """

    name: str
    points: int
    run: Callable[["LabRun"], "Failure | None"]


def check(name: str, points: int = 1) -> Callable[[Callable], Check]:
    """Decorator: turn ``def f(lab): ...`` into a :class:`Check` (module-level checks are collected in order).

    >>> @check("does nothing wrong", points=3)
    ... def nothing(lab):
    ...     return None
    >>> nothing.name, nothing.points
    ('does nothing wrong', 3)
    """
    if not isinstance(points, int) or points < 1:
        raise ValueError(f"points must be a whole number of at least 1 (got {points!r})")

    def decorate(run: Callable) -> Check:
        return Check(name=name, points=points, run=run)

    return decorate


class LabRun:
    """What a check function gets: the learner's lab folder (``path``), the sandbox (``aws``) and helpers that deploy
    and run the learner's files as AWS would.

    The check runs in the grading process; the learner's code runs in a separate process (the learner's process),
    where the sandbox lives too. ``aws`` is the sandbox as seen from here (``invocations``, ``clock``, ``advance()``,
    ``http()``); ``client(service)`` is a boto3 client whose requests are answered by that sandbox; ``module()``
    imports a learner's file over there, and ``call()`` calls its functions over there.

    Helpers raise :class:`Failure` with a beginner-readable message when the learner's files are missing, invalid or
    crash, so a check can stay a straight line of steps.
    """

    def __init__(self, path: str | os.PathLike, process):
        from .worker import RemoteSandbox

        self.path = Path(path).resolve()
        self._process = process
        self.aws = RemoteSandbox(process)
        self._roles: dict[str, str] = {}
        self._clients: dict[str, Any] = {}
        self._services: dict[int, str] = {}
        self._session: Any = None  # a boto3.Session, made on the first client() (boto3 is imported lazily)

    # --- the learner's files ---------------------------------------------------------------------------------------
    def file(self, relative: str) -> Path:
        """The path of one of the lab's files; a Failure if it is missing."""
        path = self.path / relative
        if not path.exists():
            raise Failure(expected=f"the file {relative} in {self.path.name}/",
                          got="there is no such file",
                          hint=f"`lambda-local reset {self.path.name[:2]}` brings the starting files back "
                               "(it saves your current folder first).")
        return path

    def read_json(self, relative: str) -> Any:
        """The parsed content of a JSON file of the lab; a Failure that points at the error if it is not JSON."""
        path = self._inside(self.file(relative), relative)
        try:
            return json.loads(path.read_text(encoding="utf-8"))
        except ValueError as error:
            raise Failure(expected=f"{relative} to be valid JSON", got=f"a JSON syntax error: {error}",
                          hint="Look for a missing comma or quote, or a trailing comma, on or just before that "
                               "line. JSON has no comments.") from None

    def _inside(self, path: Path, shown: str) -> Path:
        """``path``, if it is a file of the lab folder itself: a link that leads out of it (to another learner's
        lab, to hidden checks) is refused."""
        if path.is_symlink() or not path.resolve().is_relative_to(self.path):
            raise Failure(expected=f"{shown} to be a file of {self.path.name}/",
                          got="a link to somewhere outside the lab folder",
                          hint="Replace the link with the file itself.")
        return path

    def package(self, folder: str = ".") -> bytes:
        """A deployment package (zip) of ``folder`` in the lab, as you would zip it: notebooks left out (links
        that lead out of the lab folder are refused)."""
        from ..packaging import zip_package

        root = self.file(folder) if folder != "." else self.path
        files: dict[str, str | bytes] = {}
        for path in sorted(root.rglob("*")):
            relative = path.relative_to(root)
            parts = set(relative.parts)
            if parts & _NOT_PACKAGED or path.suffix == ".ipynb":
                continue
            if path.is_symlink() or path.is_file():
                files[relative.as_posix()] = self._inside(path, relative.as_posix()).read_bytes()
        return zip_package(files)

    def module(self, relative: str):
        """Import one of the lab's Python files fresh, in the learner's process (a new module object each time, no
        ``__pycache__`` left in the lab folder, sibling imports allowed); a Failure with the error if it cannot be
        imported. Its functions are called with :meth:`call`."""
        from .worker import RemoteModule, _ask

        self._inside(self.file(relative), relative)
        handle = _ask(self._process, "module", relative=relative).get("handle")
        return RemoteModule(self._process, str(handle), relative)

    def call(self, func: Callable, *args, what: str, timeout: float = 10, hint: str = "", **kwargs) -> Any:
        """Call a function of a learner's module (from :meth:`module`) in the learner's process, under a timeout
        (``what`` says what it is, for the message); a Failure with the error and where it happened if it raises,
        or if it runs longer than ``timeout`` seconds. boto3 clients from :meth:`client` can be arguments: the
        function gets a client of the same service, answered by the same sandbox."""
        from .worker import RemoteFunction, _ask

        if not isinstance(func, RemoteFunction):
            raise TypeError("lab.call() calls a function of a module from lab.module(); call your own code directly")
        answer = _ask(self._process, "call", handle=func.handle, attribute=func.name,
                      args=[self._argument(a) for a in args],
                      kwargs={k: self._argument(v) for k, v in kwargs.items()}, what=what, timeout=timeout,
                      hint=hint)
        return answer.get("value")

    def _argument(self, value):
        service = self._services.get(id(value))
        return {"$client": service} if service is not None and self._clients.get(service) is value else value

    # --- AWS, through the API ---------------------------------------------------------------------------------------
    def client(self, service: str):
        """A boto3 client for the check's own calls (set-up and inspection; never limited by a role's policy),
        answered by the sandbox in the learner's process; its requests never reach the network."""
        import boto3
        from botocore.config import Config

        from ..aws.state import unhook_moto
        from ..outside import refuse_outside_sandbox
        from .worker import send_request

        if service not in self._clients:
            if self._session is None:
                self._session = boto3.Session(aws_access_key_id="testing", aws_secret_access_key="testing",
                                              aws_session_token="testing", region_name="us-east-1")
            client = self._session.client(service, config=Config(ignore_configured_endpoint_urls=True))
            # Answered by the sandbox in the learner's process, which is "the sandbox" for this client (and only by
            # it: when the checks run in the learner's own kernel, moto's handler would answer each request again).
            client.meta.events.unregister("before-send", refuse_outside_sandbox)
            unhook_moto(client)
            client.meta.events.register("before-send", lambda request, **_: send_request(self._process, request))
            self._clients[service] = client
            self._services[id(client)] = service
        return self._clients[service]

    def role(self, name: str = "lab-function-role", *, policy: dict | None = None,
             managed: tuple[str, ...] = (BASIC_EXECUTION,)) -> str:
        """Create an execution role Lambda can assume, with an inline ``policy`` and ``managed`` policy ARNs; its
        ARN. A Failure quoting IAM's error if IAM refuses the policy (as it would refuse it on AWS)."""
        from botocore.exceptions import ClientError

        if name in self._roles:
            return self._roles[name]
        iam = self.client("iam")
        arn = iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(LAMBDA_TRUST_POLICY))["Role"]["Arn"]
        for policy_arn in managed:
            iam.attach_role_policy(RoleName=name, PolicyArn=policy_arn)
        if policy is not None:
            try:
                iam.put_role_policy(RoleName=name, PolicyName="lab-policy", PolicyDocument=json.dumps(policy))
            except ClientError as error:
                raise Failure(expected="IAM to accept the policy", got=f"IAM refused it: {aws_error(error)}",
                              hint="Every statement needs an Effect, one or more actions written service:Action, "
                                   "and resources written as ARNs (or \"*\").") from None
        self._roles[name] = arn
        return arn

    def deploy(self, name: str, code: str | dict | bytes = ".", *, handler: str = "lambda_function.lambda_handler",
               role: str | None = None, layers: Sequence[str] = (), environment: dict[str, str] | None = None,
               **config) -> str:
        """``create_function`` through boto3: ``code`` is a folder of the lab (zipped without notebooks), a dict of
        file name -> source, or zip bytes. Python 3.12, the lab role unless ``role`` is given. Returns ``name``."""
        from botocore.exceptions import ClientError

        from ..packaging import zip_package

        if isinstance(code, bytes):
            package = code
        elif isinstance(code, dict):
            package = zip_package(code)
        else:
            package = self.package(code)
        options = dict(FunctionName=name, Runtime="python3.12", Role=role or self.role(), Handler=handler,
                       Code={"ZipFile": package}, Timeout=config.pop("Timeout", 10), **config)
        if layers:
            options["Layers"] = list(layers)
        if environment:
            options["Environment"] = {"Variables": dict(environment)}
        try:
            self.client("lambda").create_function(**options)
        except ClientError as error:
            raise Failure(expected=f"Lambda to create the function {name}", got=f"it refused: {aws_error(error)}",
                          hint="The message above is the one AWS would give you.") from None
        return name

    def watch_sdk(self, function_name: str):
        """Context manager: records every boto3 client the function creates and every AWS call it makes, as
        :class:`SdkUse` items tagged with the invocation they happened in (INIT counts as part of its invocation).
        The list is filled when the ``with`` block ends.

        >>> with lab.watch_sdk("price-quote") as uses:        # doctest: +SKIP
        ...     lab.invoke("price-quote", event)
        >>> [u.service for u in uses if u.kind == "client"]   # doctest: +SKIP
        ['ssm', 'dynamodb']
        """
        return _watch_sdk(self._process, function_name)

    def invoke(self, name: str, event: Any = None):
        """Invoke a function synchronously through boto3; the runtime's record of it (``payload``, ``error_type``,
        ``log``, ``cold_start``, ...). A function error does not raise: look at ``error_type``."""
        from botocore.exceptions import ClientError

        try:
            self.client("lambda").invoke(FunctionName=name, Payload=json.dumps({} if event is None else event))
        except ClientError as error:
            raise Failure(expected=f"Lambda to run the function {name}", got=f"it refused: {aws_error(error)}",
                          hint="The message above is the one AWS would give you.") from None
        return self.aws.invocations[-1]

    def allow(self, function_name: str, principal: str, source_arn: str | None = None,
              statement_id: str = "grader") -> None:
        """Let a service (``s3.amazonaws.com``, ``events.amazonaws.com``, ...) invoke a function: the check's own
        ``add_permission``, for checks that wire a trigger themselves.

        >>> lab.allow("s3-greeter", "s3.amazonaws.com", source_arn="arn:aws:s3:::greeter-uploads")  # doctest: +SKIP
        """
        extra = {"SourceArn": source_arn} if source_arn else {}
        self.client("lambda").add_permission(FunctionName=function_name, StatementId=statement_id,
                                             Action="lambda:InvokeFunction", Principal=principal, **extra)

    def log_lines(self, function_name: str) -> list[str]:
        """What a function wrote to its CloudWatch Logs group, oldest first, one item per line, without the
        platform's ``START``/``END``/``REPORT``/``INIT_START`` lines; ``[]`` while the group does not exist.

        >>> lab.log_lines("s3-greeter")                    # doctest: +SKIP
        ['Hello from s3-greeter!', 'New upload: s3://greeter-uploads/incoming/hello.txt']
        """
        logs = self.client("logs")
        group = f"/aws/lambda/{function_name}"
        try:
            pages = logs.get_paginator("filter_log_events").paginate(logGroupName=group)
            messages = [event["message"] for page in pages for event in page.get("events", [])]
        except logs.exceptions.ResourceNotFoundException:
            return []
        return function_output("\n".join(messages))


@dataclass(frozen=True)
class SdkUse:
    """One thing a function did with the AWS SDK: created a ``client`` or made a ``call`` (``operation`` set),
    during the invocation at ``invocation`` (its index in ``aws.invocations``)."""

    invocation: int
    kind: str
    service: str
    operation: str = ""


@contextlib.contextmanager
def _watch_sdk(process, function_name: str) -> Iterator[list[SdkUse]]:
    from .worker import _ask

    uses: list[SdkUse] = []
    _ask(process, "watch", function_name=function_name, on=True)
    try:
        yield uses
    finally:
        if process.alive:
            answer = _ask(process, "watch", function_name=function_name, on=False)
            for use in answer.get("uses") or []:
                if isinstance(use, (list, tuple)) and len(use) == 4 and isinstance(use[0], int):
                    uses.append(SdkUse(use[0], str(use[1]), str(use[2]), str(use[3])))


# --- describing what went wrong, for messages ---------------------------------------------------------------------
def aws_error(error) -> str:
    """``Code: message`` of a botocore ClientError."""
    details = getattr(error, "response", {}).get("Error", {})
    return f"{details.get('Code', type(error).__name__)}: {details.get('Message', str(error))}"


def describe_exception(error: BaseException, folder: Path | None = None) -> str:
    """``KeyError: 'name' (cost_model.py, line 12)``: the error and the deepest line of the learner's own files."""
    text = f"{type(error).__name__}: {error}".rstrip(": ")
    if isinstance(error, SyntaxError) and error.filename:
        return f"SyntaxError: {error.msg} ({Path(error.filename).name}, line {error.lineno})"
    frames: list[traceback.FrameSummary] = traceback.extract_tb(error.__traceback__)
    if folder is not None:
        own = [f for f in frames if f.filename.startswith(str(folder))]
        frames = own or frames
    if frames:
        frame = frames[-1]
        where = Path(frame.filename).relative_to(folder) if folder and frame.filename.startswith(str(folder)) \
            else Path(frame.filename).name
        text += f" ({where}, line {frame.lineno})"
    return text


_TASK_FRAME = re.compile(r'File "/var/task/(?P<file>[^"]+)",? [Ll]ine (?P<line>\d+)')


def describe_invocation_error(record) -> str:
    """What a failed invocation returned, as AWS shows it: ``KeyError: 'name' (lambda_function.py, line 7)``."""
    payload = record.payload if isinstance(record.payload, dict) else {}
    text = f"{record.error_type}: {payload.get('errorMessage', record.error_message or '')}".rstrip(": ")
    for line in reversed(payload.get("stackTrace") or []):
        # A traceback frame: 'File "/var/task/x.py", line 7, in f'; a syntax error's: 'File "/var/task/x.py" Line 7'.
        frame = _TASK_FRAME.match(line.strip())
        if frame:
            where = f"({frame['file']}, line {frame['line']})"
            if where not in text:  # a syntax error's message already says where
                text += f" {where}"
            break
    return text


def function_output(log: str) -> list[str]:
    """The lines a function printed or logged, from log text (a record's ``log`` or CloudWatch messages): Lambda's
    own ``START``/``END``/``REPORT``/``INIT_START`` lines and blank lines left out.

    >>> function_output("START RequestId: 1 Version: $LATEST\\nHello\\nEND RequestId: 1")
    ['Hello']
    """
    return [line for line in log.splitlines() if line.strip() and not _PLATFORM_LINE.match(line)]


def show(value: Any, limit: int = 160) -> str:
    """A value as compact JSON (or repr), shortened to ``limit`` characters, for messages."""
    try:
        text = json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)
    except (TypeError, ValueError):
        text = repr(value)
    return text if len(text) <= limit else text[:limit - 3] + "..."
