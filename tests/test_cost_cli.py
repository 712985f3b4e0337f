"""``lambda-local cost``, ``simulate`` and ``tune`` through click's CliRunner, against the command objects.

Expected bills are worked out by hand from the published rates (lambda-facts.md, "Prices").
"""

import json
from decimal import Decimal as D
from pathlib import Path

import pytest
from click.testing import CliRunner

from lambda_local import billing
from lambda_local.simulate.cli import COMMANDS, cost_command, simulate_command, tune_command

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "workloads" / "shop.json"


def run(command, *args):
    return CliRunner().invoke(command, [str(a) for a in args])


def total(out):
    [line] = [l for l in out.splitlines() if l.startswith("Total")]
    return line.split()[-1]


def cost(*args):
    result = run(cost_command, "--requests", 30_000_000, "--memory", 512, "--duration-ms", 200, *args)
    assert result.exit_code == 0, result.output
    return result.output


def test_30_million_requests_at_512mb_200ms_is_56_dollars_before_the_free_tier():
    out = cost("--no-free-tier")
    lines = out.splitlines()
    # $6.00 of requests + 3,000,000 GB-s x $0.0000166667 = $50.0001 -> $56.00
    assert any(l.startswith("Requests") and l.endswith("$6.00") for l in lines)
    assert any(l.startswith("Compute (tier 1)") and l.endswith("$50.00") for l in lines)
    assert total(out) == "$56.00"
    assert "Free tier" not in out


def test_free_tier_is_on_by_default():
    # $56.0001 - 1 M requests ($0.20) - 400,000 GB-s ($6.66668) = $49.13342
    out = cost()
    assert "Free tier: requests" in out and "Free tier: compute" in out
    assert total(out) == "$49.13"


def test_arm64_prices():
    # $6.00 + 3,000,000 GB-s x $0.0000133334 = $46.0002
    assert total(cost("--arch", "arm64", "--no-free-tier")) == "$46.00"


def test_cold_starts_only_when_asked_for():
    # 1% of 30 M = 300,000 cold starts billed 200 + 300 = 500 ms: 29.7 M x 0.1 + 0.3 M x 0.25 = 3,045,000 GB-s
    # x $0.0000166667 = $50.7501..., plus $6.00 of requests: $56.75.
    out = cost("--no-free-tier", "--cold-start-ratio", "0.01", "--init-ms", "300")
    assert total(out) == "$56.75"
    assert "300,000 cold starts billed 500 ms" in out


def test_cold_start_ratio_needs_init_ms():
    result = run(cost_command, "--requests", 10, "--memory", 128, "--duration-ms", 5, "--cold-start-ratio", "0.1")
    assert result.exit_code == 2 and "--init-ms" in result.output
    assert "Traceback" not in result.output


def test_api_gateway_and_provisioned_lines():
    # HTTP API: 30 M x $1.00/M = $30.00 on top of $56.00.
    assert total(cost("--no-free-tier", "--api", "http")) == "$86.00"
    out = cost("--no-free-tier", "--provisioned", 10)
    expected = billing.monthly_bill(30_000_000, 512, 200, free_tier=False, provisioned_concurrency=10)
    # 10 x 0.5 GB x 730 h = 13,140,000 GB-s configured x $0.0000041667 = $54.75
    [configured] = [l for l in expected.lines if l.item.startswith("Provisioned concurrency (")]
    assert configured.amount.quantize(D("0.01")) == D("54.75")
    assert "Provisioned concurrency (10 configured)" in out
    assert total(out) == f"${expected.total.quantize(D('0.01')):,}"


def test_json_output():
    result = run(cost_command, "--requests", 30_000_000, "--memory", 512, "--duration-ms", 200, "--no-free-tier",
                 "--json")
    data = json.loads(result.output)
    assert data["total_usd"] == "56.00" and data["total_cents"] == 5600
    assert data["inputs"]["memory_mb"] == 512 and data["lines"][0]["item"] == "Requests"


@pytest.mark.parametrize("args, message", [
    (["--memory", "100"], "128<=x<=10240"),
    (["--duration-ms", "-1"], "x>=0"),
    (["--arch", "sparc"], "sparc"),
])
def test_bad_input_is_a_usage_error_not_a_traceback(args, message):
    base = {"--requests": "1000", "--memory": "128", "--duration-ms": "10"}
    for flag, value in zip(args[::2], args[1::2]):
        base[flag] = value
    result = run(cost_command, *[x for pair in base.items() for x in pair])
    assert result.exit_code == 2 and message in result.output
    assert "Traceback" not in result.output


# --- simulate ------------------------------------------------------------------------------------------------------

def test_simulate_the_example_workload(tmp_path):
    out_file = tmp_path / "results.json"
    result = run(simulate_command, EXAMPLE, "--json", out_file)
    assert result.exit_code == 0, result.output
    assert "shop-api (512 MB" in result.output and "thumbnails (1024 MB" in result.output
    assert result.output.count("Total") == 1
    data = json.loads(out_file.read_text())
    thumbnails = data["functions"]["thumbnails"]
    assert thumbnails["invocations"] == 600 and thumbnails["dropped"] == 0 and thumbnails["throttles"] > 0
    assert data["functions"]["shop-api"]["provisioned_invocations"] > 0
    assert sum(row["requests"] for row in data["timeline"]) == sum(f["requests"] for f in data["functions"].values())


def test_simulate_keeps_a_backup_of_an_existing_results_file(tmp_path):
    out_file = tmp_path / "results.json"
    out_file.write_text("my notes")
    assert run(simulate_command, EXAMPLE, "--json", out_file).exit_code == 0
    assert (tmp_path / "results.json.bak").read_text() == "my notes"


def write_workload(tmp_path, data):
    code = tmp_path / "fn"
    code.mkdir(exist_ok=True)
    (code / "app.py").write_text("def handler(event, context):\n    return {'ok': True}\n")
    path = tmp_path / "workload.json"
    path.write_text(data if isinstance(data, str) else json.dumps(data))
    return path


def test_simulate_a_small_workload_file(tmp_path):
    path = write_workload(tmp_path, {"concurrency_limit": 300, "functions": [{
        "name": "api", "handler": "app.handler", "code": "fn", "duration_ms": 100,
        "arrivals": [{"type": "burst", "count": 500, "at": 0}]}]})
    result = run(simulate_command, path)
    assert result.exit_code == 0, result.output
    assert "throttles         200 (ConcurrentInvocationLimitExceeded 200)" in result.output


@pytest.mark.parametrize("content, message", [
    ("{not json", "is not valid JSON"),
    ({"functions": []}, "non-empty \"functions\" list"),
    ({"functions": [{"handler": "app.handler", "code": "fn", "arrivals": [{"type": "wave"}]}]}, "needs a type"),
    ({"functions": [{"handler": "app.handler", "code": "fn",
                     "arrivals": [{"type": "burst", "count": 5, "when": 3}]}]}, "burst arrivals"),
    ({"functions": [{"handler": "app.handler", "code": "nowhere", "arrivals": [{"type": "burst", "count": 5}]}]},
     "does not exist"),
    ({"functions": [{"handler": "app.handler", "code": "fn", "memory": 64,
                     "arrivals": [{"type": "burst", "count": 5}]}]}, "memory must be 128"),
    ({"functions": [{"handler": "app.handler", "code": "fn", "duration_ms": "slow",
                     "arrivals": [{"type": "burst", "count": 5}]}]}, "duration_ms must be"),
])
def test_simulate_explains_a_bad_workload(tmp_path, content, message):
    result = run(simulate_command, write_workload(tmp_path, content))
    assert result.exit_code == 1 and message in result.output
    assert "Traceback" not in result.output


def test_simulate_explains_a_missing_file(tmp_path):
    result = run(simulate_command, tmp_path / "missing.json")
    assert result.exit_code == 1 and "cannot read" in result.output


# --- tune ------------------------------------------------------------------------------------------------------------

def test_tune_names_the_cheapest_and_the_fastest(tmp_path):
    (tmp_path / "work.py").write_text("def handler(event, context):\n"
                                      "    return sum(i * i for i in range(event['n']))\n")
    result = run(tune_command, "work.handler", "--code", tmp_path, "--event", '{"n": 20000}',
                 "--memory", "128,1769,3008", "--invocations", 2, "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert [r["memory_mb"] for r in data["rows"]] == [128, 1769, 3008]
    assert data["fastest_mb"] == 1769
    text = run(tune_command, "work.handler", "--code", tmp_path, "--event", '{"n": 20000}',
               "--memory", "128,1769", "--invocations", 1).output
    assert "cheapest:" in text and "fastest:" in text


def test_tune_reports_a_broken_handler(tmp_path):
    (tmp_path / "broken.py").write_text("import not_installed_anywhere\n")
    result = run(tune_command, "broken.handler", "--code", tmp_path, "--memory", "128", "--invocations", 1)
    assert result.exit_code == 0
    assert "Runtime.ImportModuleError" in result.output and "failed at every memory size" in result.output


def test_commands_are_named_for_the_group():
    assert [c.name for c in COMMANDS] == ["simulate", "cost", "tune"]
