"""The cold-start model: a published platform part per runtime, package size and VPC, plus the measured INIT."""

import pytest

from lambda_local import Function, zip_package
from lambda_local.coldstart import (
    PACKAGE_MS_PER_MB, RUNTIME_STARTUP_MS, VPC_MS, cold_start, package_size_mb, runtime_init_ms,
)


@pytest.mark.parametrize("runtime", ["python3.12", "python3.13"])
def test_the_runtime_reports_the_model_plus_the_measured_init(runtime):
    result = Function(lambda e, c: None, runtime=runtime).invoke({})
    measured = result.extra["function_init_ms"]
    assert measured >= 0
    assert result.init_duration_ms == pytest.approx(measured + runtime_init_ms(runtime))


def test_runtime_startup_follows_the_published_ranges():
    # lambda-facts.md (maxday's lambda-perf, Dec 2025): Python 3.12 70-95, Python 3.13 80-110, Node.js 120-150,
    # Java 180-320, .NET 8 250-280, Go on provided.al2023 40-55 ms.
    ranges = {"python3.12": (70, 95), "python3.13": (80, 110), "nodejs22.x": (120, 150), "java21": (180, 320),
              "dotnet8": (250, 280), "provided.al2023": (40, 55)}
    for runtime, (low, high) in ranges.items():
        assert low <= runtime_init_ms(runtime) <= high
    assert runtime_init_ms("provided.al2023") < runtime_init_ms("python3.12") < runtime_init_ms("java21")


def test_package_size_adds_the_published_slope():
    # Shilkov's medians (Node.js, zipped): 0.26 s at 1 KB, 1.70 s at 14 MB, 3.87 s at 35 MB.
    base = 260
    for mb, measured in ((14, 1700), (35, 3870)):
        assert base + mb * PACKAGE_MS_PER_MB == pytest.approx(measured, rel=0.05)
    assert runtime_init_ms("python3.12", package_mb=20) - runtime_init_ms("python3.12") == 20 * PACKAGE_MS_PER_MB


def test_vpc_adds_tens_of_milliseconds_not_seconds():
    extra = runtime_init_ms("python3.12", vpc=True) - runtime_init_ms("python3.12")
    assert extra == VPC_MS and 0 < extra < 100


def test_cold_start_shows_each_part():
    start = cold_start("python3.13", function_init_ms=40, package_mb=2, vpc=True)
    assert start.platform_ms == RUNTIME_STARTUP_MS["python3.13"] + 2 * PACKAGE_MS_PER_MB + VPC_MS
    assert start.init_duration_ms == start.platform_ms - start.package_ms + 40  # the package comes before INIT
    text = str(start)
    assert "your INIT 40 ms" in text and f"runtime {RUNTIME_STARTUP_MS['python3.13']:.0f} ms" in text


def test_bad_inputs_are_refused_clearly():
    with pytest.raises(ValueError, match="known runtimes"):
        runtime_init_ms("cobol1.0")
    with pytest.raises(ValueError, match="negative"):
        runtime_init_ms("python3.12", package_mb=-1)
    with pytest.raises(ValueError, match="negative"):
        cold_start("python3.12", function_init_ms=-5)


def test_package_size_of_a_folder_is_its_zip(tmp_path):
    (tmp_path / "app.py").write_text("def handler(event, context):\n    return 1\n" * 500)
    assert package_size_mb(tmp_path) == len(zip_package(tmp_path)) / (1024 * 1024)
    assert package_size_mb(b"\0" * (3 * 1024 * 1024)) == 3


def test_the_runtimes_init_duration_is_its_startup_plus_the_measured_init():
    record = Function(lambda event, context: None, name="cold-check").invoke({})
    assert record.cold_start and record.init_duration_ms >= runtime_init_ms("python3.12")
