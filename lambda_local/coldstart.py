"""The cold-start model: what a new execution environment costs before the handler runs.

A cold start's Init Duration is split in two, so a learner sees which part is theirs:

* the **platform's part**, modelled here from published measurements: the runtime starting up (per runtime), the
  deployment package (per MB zipped) and a VPC attachment. On AWS, fetching and unpacking the package happen
  *before* INIT: they delay the first response but are not in the REPORT line's Init Duration, so the runtime
  (``runtime/invoke.py``) reports ``runtime_init_ms(runtime, vpc=...)`` without the package; the package part is
  for what-if questions about a cold start's latency (the simulator);
* the **function's part**, measured by the runtime: the module-level code of the handler, run in this process.

>>> from lambda_local.coldstart import cold_start
>>> print(cold_start("python3.12", function_init_ms=250, package_mb=10))
Init Duration 332 ms = runtime 82 ms + VPC 0 ms + your INIT 250 ms; before INIT: package 1030 ms (fetch, unpack)

The figures are medians from hello-world functions; real cold starts scatter around them (tens of milliseconds for
the runtime, seconds for heavy packages).
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["RUNTIME_STARTUP_MS", "PACKAGE_MS_PER_MB", "VPC_MS", "ColdStart", "cold_start", "runtime_init_ms",
           "package_size_mb"]

# Runtime start-up: the Init Duration of a hello-world function, so only the runtime itself (and Lambda's sandbox
# set-up that Init Duration covers) is in it. Source: maxday's lambda-perf (https://maxday.github.io/lambda-perf/),
# daily cold starts of hello-world functions, December 2025 averages, as recorded in
# /work/shared/reference/lambda-facts.md: Python 3.12 about 70-95 ms, Python 3.13 80-110 ms, Node.js 20/22 120-150 ms,
# Java 17-25 without SnapStart 180-320 ms, .NET 8 about 250-280 ms, Go on provided.al2023 40-55 ms (Rust there
# 13-16 ms). The Python figures are the ones the runtime has used since the start (runtime/invoke.py).
RUNTIME_STARTUP_MS: dict[str, float] = {
    "python3.9": 82.0, "python3.10": 82.0, "python3.11": 82.0, "python3.12": 82.0,
    "python3.13": 95.0, "python3.14": 95.0,
    "nodejs20.x": 135.0, "nodejs22.x": 135.0, "nodejs24.x": 135.0,  # Node.js 24: assumed as 22 (too new to measure)
    "java17": 250.0, "java21": 250.0, "java25": 250.0,
    "dotnet8": 265.0,
    "provided.al2023": 48.0, "provided.al2": 48.0,
}

# Deployment package: extra cold-start time per MB of zipped package. Source: Mikhail Shilkov, "Cold Starts in AWS
# Lambda" (https://mikhail.io/serverless/coldstarts/aws/; data in github.com/mikhailshilkov/mikhailio-hugo,
# data/coldstart_aws_bydependencies.json): median cold starts of the same Node.js function zipped at 1 KB, 14 MB and
# 35 MB were 0.26 s, 1.70 s and 3.87 s, a straight line of about 103 ms per MB. That figure covers downloading,
# unpacking *and loading* the dependencies; on AWS a Python package's imports are part of the same cost, so code that
# really imports those libraries here has part of it measured as well: treat package_mb as a what-if for the size of
# the real deployment package.
PACKAGE_MS_PER_MB = 103.0

# VPC: since September 2019 Lambda creates the VPC network interface when the function is created or updated
# (AWS Compute Blog, "Announcing improved VPC networking for AWS Lambda functions"), so a cold start no longer waits
# seconds for one. What remains, from the same Shilkov measurements after the change
# (data/coldstart_aws_byvpc.json): median 0.249 s in a VPC against 0.205 s outside it, about 45 ms.
VPC_MS = 45.0


def _runtime_ms(runtime: str) -> float:
    try:
        return RUNTIME_STARTUP_MS[runtime]
    except KeyError:
        raise ValueError(f"no cold-start figures for runtime {runtime!r}; known runtimes: "
                         f"{', '.join(sorted(RUNTIME_STARTUP_MS))}") from None


def _package_ms(package_mb: float) -> float:
    if package_mb < 0:
        raise ValueError("package size cannot be negative")
    return package_mb * PACKAGE_MS_PER_MB


def runtime_init_ms(runtime: str, package_mb: float = 0, vpc: bool = False) -> float:
    """The modelled platform part of a cold start, in ms: runtime + package + VPC (what a cold request waits for
    besides the function's INIT). The runtime reports ``runtime_init_ms(runtime, vpc=...)`` + the measured INIT as
    Init Duration: the package is fetched and unpacked before INIT.

    >>> runtime_init_ms("python3.12"), runtime_init_ms("python3.12", package_mb=1, vpc=True)
    (82.0, 230.0)
    """
    return _runtime_ms(runtime) + _package_ms(package_mb) + (VPC_MS if vpc else 0.0)


@dataclass(frozen=True)
class ColdStart:
    """One cold start, part by part (all in ms). ``function_ms`` is measured; the rest is modelled."""

    runtime_ms: float
    package_ms: float
    vpc_ms: float
    function_ms: float

    @property
    def platform_ms(self) -> float:
        """What Lambda spends before your module-level code runs (modelled), the package included: what a cold
        request waits for besides your INIT."""
        return self.runtime_ms + self.package_ms + self.vpc_ms

    @property
    def init_duration_ms(self) -> float:
        """The REPORT line's Init Duration: the runtime's start-up, the VPC, your INIT. The package is fetched and
        unpacked before INIT: the first request waits for it (``platform_ms``), but it is not in Init Duration."""
        return self.runtime_ms + self.vpc_ms + self.function_ms

    def __str__(self) -> str:
        return (f"Init Duration {self.init_duration_ms:.0f} ms = runtime {self.runtime_ms:.0f} ms + VPC "
                f"{self.vpc_ms:.0f} ms + your INIT {self.function_ms:.0f} ms; before INIT: package "
                f"{self.package_ms:.0f} ms (fetch, unpack)")


def cold_start(runtime: str, function_init_ms: float = 0.0, package_mb: float = 0, vpc: bool = False) -> ColdStart:
    """The cold start of a function on ``runtime`` whose own INIT took ``function_init_ms`` (measured).

    >>> cold_start("python3.13", function_init_ms=12.5, vpc=True).init_duration_ms
    152.5
    """
    if function_init_ms < 0:
        raise ValueError("function_init_ms cannot be negative")
    return ColdStart(_runtime_ms(runtime), _package_ms(package_mb), VPC_MS if vpc else 0.0, float(function_init_ms))


def package_size_mb(source) -> float:
    """Size in MB (zipped, as Lambda stores it) of a code folder, a dict of files, or zip bytes.

    >>> round(package_size_mb(b"x" * 1024 * 1024), 3)
    1.0
    """
    if isinstance(source, (bytes, bytearray)):
        return len(source) / (1024 * 1024)
    from .packaging import zip_package

    return len(zip_package(source)) / (1024 * 1024)
