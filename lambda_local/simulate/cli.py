"""``lambda-local simulate``, ``lambda-local cost`` and ``lambda-local tune``: the simulator, the price sheet and
memory tuning from the command line. Register them on the ``lambda-local`` group with::

    from .simulate.cli import COMMANDS
    for command in COMMANDS:
        main.add_command(command)

A workload file (JSON) describes functions and their traffic; paths are relative to the file::

    {
      "duration_s": 600,                 (optional: default, until every arrival pattern ends)
      "concurrency_limit": 1000,         (optional: the account's concurrency)
      "idle_timeout_s": 600,             (optional)
      "functions": [{
        "name": "api", "handler": "lambda_function.lambda_handler", "code": "api",
        "memory": 512, "timeout": 10, "runtime": "python3.12", "architecture": "x86_64",
        "reserved_concurrency": 50, "provisioned_concurrency": 5, "invocation_type": "RequestResponse",
        "event": {"path": "/"}, "package_mb": 4, "vpc": false,
        "duration_ms": 120   or {"uniform": [50, 150]}   or {"lognormal": {"median": 80, "p99": 400}},
        "arrivals": [{"type": "constant", "per_second": 20, "duration": 600},
                     {"type": "burst", "count": 2000, "at": 120, "over": 0},
                     {"type": "daily", "peak_per_second": 50, "trough_per_second": 2, "peak_hour": 14, "days": 1},
                     {"type": "timestamps", "times": [0, 0.5, 1.25]}]
      }]
    }
"""

from __future__ import annotations

import json
import math
import os
import random
from pathlib import Path
from typing import Any

import click

from .. import billing
from ..runtime import Function
from .engine import Workload, simulate
from .traffic import Burst, ConstantRate, DailyCurve, Timestamps
from .tuning import DEFAULT_MEMORY_SIZES, tune

__all__ = ["simulate_command", "cost_command", "tune_command", "COMMANDS", "load_workload"]

_ARRIVALS = {"constant": ConstantRate, "burst": Burst, "daily": DailyCurve, "timestamps": Timestamps}
_FUNCTION_KEYS = {"name", "handler", "code", "memory", "timeout", "runtime", "architecture", "environment",
                  "reserved_concurrency", "provisioned_concurrency", "invocation_type", "event", "duration_ms",
                  "package_mb", "vpc", "arrivals", "max_retry_attempts", "max_event_age_s", "ephemeral_storage"}
_TOP_KEYS = {"duration_s", "concurrency_limit", "idle_timeout_s", "functions", "seed"}
_Z99 = 2.3263478740408408  # the standard normal's 99th percentile


class _Uniform:
    def __init__(self, low: float, high: float, seed: int):
        if not 0 <= low <= high:
            raise ValueError("uniform duration needs [low, high] with 0 <= low <= high")
        self.low, self.high, self.rng = low, high, random.Random(seed)

    def __call__(self, request) -> float:
        return self.rng.uniform(self.low, self.high)


class _LogNormal:
    def __init__(self, median: float, p99: float, seed: int):
        if not 0 < median <= p99:
            raise ValueError("lognormal duration needs 0 < median <= p99")
        self.mu, self.sigma, self.rng = math.log(median), math.log(p99 / median) / _Z99, random.Random(seed)

    def __call__(self, request) -> float:
        return self.rng.lognormvariate(self.mu, self.sigma)


def _duration_model(spec: Any, seed: int):
    if spec is None or isinstance(spec, (int, float)) and not isinstance(spec, bool):
        return spec
    if isinstance(spec, dict) and len(spec) == 1:
        (kind, value), = spec.items()
        if kind == "uniform" and isinstance(value, list) and len(value) == 2:
            return _Uniform(float(value[0]), float(value[1]), seed)
        if kind == "lognormal" and isinstance(value, dict) and set(value) == {"median", "p99"}:
            return _LogNormal(float(value["median"]), float(value["p99"]), seed)
    raise ValueError('duration_ms must be a number of ms, {"uniform": [low, high]} or '
                     '{"lognormal": {"median": ms, "p99": ms}}')


def _arrivals(specs: Any, where: str):
    if isinstance(specs, dict):
        specs = [specs]
    if not isinstance(specs, list) or not specs:
        raise ValueError(f"{where}: arrivals must be a list of patterns like "
                         '{"type": "constant", "per_second": 10, "duration": 60}')
    patterns = []
    for spec in specs:
        if not isinstance(spec, dict) or spec.get("type") not in _ARRIVALS:
            raise ValueError(f"{where}: each arrival pattern needs a type, one of {', '.join(_ARRIVALS)}")
        options = {k: v for k, v in spec.items() if k != "type"}
        try:
            patterns.append(_ARRIVALS[spec["type"]](**options))
        except TypeError as exc:
            raise ValueError(f"{where}: {spec['type']} arrivals: {exc}") from None
    return patterns


def load_workload(path: str | os.PathLike) -> tuple[list[Workload], dict]:
    """Read a workload file: the workloads, and the options for :func:`simulate` (duration, limits)."""
    path = Path(path)
    try:
        data = json.loads(path.read_text())
    except OSError as exc:
        raise ValueError(f"cannot read {path}: {exc.strerror or exc}") from None
    except json.JSONDecodeError as exc:
        raise ValueError(f"{path} is not valid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})") from None
    if not isinstance(data, dict) or not isinstance(data.get("functions"), list) or not data["functions"]:
        raise ValueError(f'{path}: a workload is a JSON object with a non-empty "functions" list')
    unknown = set(data) - _TOP_KEYS
    if unknown:
        raise ValueError(f"{path}: unknown keys {sorted(unknown)} (allowed: {sorted(_TOP_KEYS)})")
    seed = data.get("seed", 0)
    workloads = []
    for i, spec in enumerate(data["functions"]):
        where = f"{path.name}: functions[{i}]"
        if not isinstance(spec, dict):
            raise ValueError(f"{where} must be an object")
        unknown = set(spec) - _FUNCTION_KEYS
        if unknown:
            raise ValueError(f"{where}: unknown keys {sorted(unknown)}")
        if "handler" not in spec or "arrivals" not in spec:
            raise ValueError(f'{where} needs "handler" (module.function) and "arrivals"')
        code = (path.parent / spec.get("code", ".")).resolve()
        if not code.is_dir():
            raise ValueError(f"{where}: code folder {code} does not exist")
        fn = Function(spec["handler"], code=code, name=spec.get("name"), memory=spec.get("memory", 128),
                      timeout=spec.get("timeout", 3), runtime=spec.get("runtime", "python3.12"),
                      architecture=spec.get("architecture", "x86_64"), environment=spec.get("environment"),
                      ephemeral_storage=spec.get("ephemeral_storage", 512))
        workloads.append(Workload(
            fn, _arrivals(spec["arrivals"], where), invocation_type=spec.get("invocation_type", "RequestResponse"),
            event=spec.get("event"), duration_ms=_duration_model(spec.get("duration_ms"), seed + i),
            reserved_concurrency=spec.get("reserved_concurrency"),
            provisioned_concurrency=spec.get("provisioned_concurrency", 0), package_mb=spec.get("package_mb", 0),
            vpc=bool(spec.get("vpc", False)), max_retry_attempts=spec.get("max_retry_attempts", 2),
            max_event_age_s=spec.get("max_event_age_s", 21_600)))
    options = {}
    if "duration_s" in data:
        options["duration"] = data["duration_s"]
    if "concurrency_limit" in data:
        options["concurrency_limit"] = data["concurrency_limit"]
    if "idle_timeout_s" in data:
        options["idle_timeout"] = data["idle_timeout_s"]
    return workloads, options


@click.command("simulate")
@click.argument("workload", type=click.Path(dir_okay=False))
@click.option("--json", "json_path", type=click.Path(dir_okay=False, writable=True),
              help="Also write the results (totals, percentiles, bill, per-second timeline) to this JSON file.")
@click.option("--interval", type=click.FloatRange(min=0, min_open=True), default=None,
              help="Seconds per row of the timeline (default 1, coarser beyond a day of traffic).")
def simulate_command(workload: str, json_path: str | None, interval: float | None) -> None:
    """Replay the traffic of a WORKLOAD file (JSON) against its functions on a virtual clock."""
    try:
        workloads, options = load_workload(workload)
        result = simulate(workloads, interval=interval, **options)
    except (ValueError, TypeError) as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(result.summary())
    click.echo("")
    click.echo(result.bill().format())
    if json_path:
        data = result.to_dict()
        data["timeline"] = result.timeline.rows()
        out = Path(json_path)
        if out.exists():
            out.with_name(out.name + ".bak").write_bytes(out.read_bytes())  # never lose a learner's file
        out.write_text(json.dumps(data, indent=2))
        click.echo(f"\nresults written to {out}")


@click.command("cost")
@click.option("--requests", type=click.IntRange(min=0), required=True, help="Requests a month.")
@click.option("--memory", type=click.IntRange(128, 10240), required=True, help="Memory in MB (128-10,240).")
@click.option("--duration-ms", type=click.FloatRange(min=0), required=True, help="Average Duration per request.")
@click.option("--arch", type=click.Choice(["x86_64", "arm64"]), default="x86_64", show_default=True)
@click.option("--no-free-tier", is_flag=True, help="Leave the monthly free tier out.")
@click.option("--cold-start-ratio", type=click.FloatRange(0, 1), default=None,
              help="Share of requests that are cold starts (needs --init-ms).")
@click.option("--init-ms", type=click.FloatRange(min=0), default=None, help="Init Duration of a cold start.")
@click.option("--provisioned", type=click.IntRange(min=0), default=0, help="Provisioned concurrency, all month.")
@click.option("--api", type=click.Choice(["http", "rest"]), default=None, help="Requests also go through API Gateway.")
@click.option("--json", "as_json", is_flag=True, help="Print the bill as JSON.")
def cost_command(requests: int, memory: int, duration_ms: float, arch: str, no_free_tier: bool,
                 cold_start_ratio: float | None, init_ms: float | None, provisioned: int, api: str | None,
                 as_json: bool) -> None:
    """The monthly bill of a steady workload, line by line, from the course's price sheet."""
    if (cold_start_ratio is None) != (init_ms is None):
        raise click.UsageError("--cold-start-ratio and --init-ms go together: the share of cold starts and "
                               "the Init Duration each one bills")
    try:
        bill = billing.monthly_bill(requests, memory, duration_ms, architecture=arch, free_tier=not no_free_tier,
                                    cold_start_ratio=cold_start_ratio or 0.0, init_duration_ms=init_ms or 0.0,
                                    provisioned_concurrency=provisioned, api=api or "none")
    except ValueError as exc:
        raise click.UsageError(str(exc)) from None
    if as_json:
        inputs = {"requests": requests, "memory_mb": memory, "duration_ms": duration_ms, "architecture": arch,
                  "free_tier": not no_free_tier, "cold_start_ratio": cold_start_ratio or 0.0,
                  "init_ms": init_ms or 0.0, "provisioned_concurrency": provisioned, "api": api}
        click.echo(json.dumps({"inputs": inputs, **bill.as_dict()}, indent=2))
        return
    click.echo(f"{requests:,} requests a month, {memory:,} MB, {duration_ms:g} ms each, {arch}, "
               f"free tier {'off' if no_free_tier else 'on'}")
    click.echo("")
    click.echo(bill.format())


def _event(value: str | None) -> Any:
    if value is None:
        return None
    text = Path(value).read_text() if os.path.isfile(value) else value
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise click.BadParameter(f"not JSON (and not a file): {exc.msg}", param_hint="--event") from None


def _sizes(value: str) -> list[int]:
    try:
        return [int(v) for v in value.split(",") if v.strip()]
    except ValueError:
        raise click.BadParameter("a comma-separated list of MB, e.g. 128,256,512", param_hint="--memory") from None


@click.command("tune")
@click.argument("handler")
@click.option("--code", type=click.Path(exists=True, file_okay=False), required=True,
              help="The folder holding the handler's module.")
@click.option("--event", default=None, help="The event: JSON text or a JSON file.")
@click.option("--memory", "memory", default=",".join(map(str, DEFAULT_MEMORY_SIZES)), show_default=True,
              help="Memory sizes to try, comma-separated (MB).")
@click.option("--invocations", type=click.IntRange(min=1), default=10, show_default=True,
              help="Warm invocations per memory size.")
@click.option("--arch", type=click.Choice(["x86_64", "arm64"]), default="x86_64", show_default=True)
@click.option("--timeout", type=click.FloatRange(1, 900), default=30, show_default=True, help="Seconds.")
@click.option("--runtime", default="python3.12", show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print the results as JSON.")
def tune_command(handler: str, code: str, event: str | None, memory: str, invocations: int, arch: str,
                 timeout: float, runtime: str, as_json: bool) -> None:
    """Run HANDLER (module.function) at several memory sizes and name the cheapest and the fastest."""
    try:
        fn = Function(handler, code=code, timeout=timeout, runtime=runtime, architecture=arch)
        result = tune(fn, _event(event), memory_sizes=_sizes(memory), invocations=invocations)
    except (ValueError, TypeError) as exc:
        raise click.ClickException(str(exc)) from None
    if as_json:
        rows = [{"memory_mb": r.memory_mb, "duration_ms": r.duration_ms, "billed_ms": r.billed_ms,
                 "cost_usd": str(r.cost_usd), "error": r.error} for r in result.rows]
        ok = [r for r in result.rows if r.error is None]
        click.echo(json.dumps({"function": result.function, "architecture": result.architecture, "rows": rows,
                               "cheapest_mb": result.cheapest.memory_mb if ok else None,
                               "fastest_mb": result.fastest.memory_mb if ok else None,
                               "cpu_ms": result.cpu_ms, "wait_ms": result.wait_ms}, indent=2))
        return
    click.echo(result.summary())


COMMANDS = (simulate_command, cost_command, tune_command)
