"""`make bench` still runs: one cheap row end to end, its table and its JSON (no timing is asserted here)."""

import json
import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parent.parent / "benchmarks" / "run.py"


def _bench(*args, cwd=None):
    return subprocess.run([sys.executable, str(BENCH), *args], capture_output=True, text=True, timeout=300, cwd=cwd)


def test_quick_warm_row_prints_the_table_and_writes_the_json(tmp_path):
    out = tmp_path / "bench.json"
    done = _bench("--quick", "--only", "warm", "--json", str(out), cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    header, rule, line = done.stdout.splitlines()[:3]
    assert header.split()[:3] == ["benchmark", "median", "p90"] and set(rule) <= {"-", " "}
    assert line.startswith("warm invoke, direct API") and " µs " in line and "x " in line
    document = json.loads(out.read_text())
    [row] = document["rows"]
    assert row["name"] == "warm" and row["status"] == "ok" and row["unit"] == "µs"
    for side in ("subject", "baseline"):
        stats = row[side]["stats"]
        assert stats["runs"] >= 3 and 0 < stats["low"] <= stats["median"] <= stats["p90"] <= stats["high"]
    assert row["ratio"] == row["subject"]["stats"]["median"] / row["baseline"]["stats"]["median"]
    assert row["target_met"] in (True, False) and "µs" in row["target"]
    assert document["options"]["only"] == ["warm"] and document["machine"]["python"]


def test_unknown_row_is_a_plain_error(tmp_path):
    done = _bench("--only", "wram", "--json", str(tmp_path / "x.json"))
    assert done.returncode != 0 and "Traceback" not in done.stderr
    assert "no row called 'wram'" in done.stderr and "warm" in done.stderr
    assert not (tmp_path / "x.json").exists()


def test_rows_that_cannot_run_say_why_in_the_table():
    sys.path.insert(0, str(BENCH.parent))
    try:
        import harness
    finally:
        sys.path.remove(str(BENCH.parent))
    row = harness.Row.unavailable("simulate", "traffic simulation", "not available yet", "no lambda_local.simulate")
    table = harness.render([row])
    assert "traffic simulation  not available yet" in table and "[1] no lambda_local.simulate" in table


def test_breakdown_prints_the_budget_of_a_warm_invoke_as_json(tmp_path):
    done = subprocess.run([sys.executable, str(BENCH.parent / "breakdown.py"), "--json", "--calls", "50"],
                          capture_output=True, text=True, timeout=300, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    figures = json.loads(done.stdout)
    steps = " ".join(figures["steps_us"])
    for part in ("JSON", "timer", "environment switch", "capture", "logs", "bill", "memory", "record", "lease"):
        assert part in steps
    assert figures["warm_invoke_us"] > 0 and all(us > 0 for us in figures["steps_us"].values())
    assert abs(figures["steps_total_us"] + figures["glue_us"] - figures["warm_invoke_us"]) < 1e-6


def test_the_lite_rows_server_compresses_what_github_pages_compresses(tmp_path):
    """The laptop profile's server gzips the text types (a script here) for a browser that accepts it, and sends
    wheels, the interpreter (application/wasm) and gzip files (the site's compressed interpreter) as they are."""
    import gzip
    import urllib.request

    sys.path.insert(0, str(BENCH.parent))
    import lite_browser

    script, wasm, wheel, gz = b"console.log('x');" * 500, b"\0asm" * 500, b"PK" * 500, gzip.compress(b"\0asm" * 500)
    for name, body in (("a.js", script), ("b.wasm", wasm), ("c.whl", wheel), ("d.wasm.gz", gz)):
        (tmp_path / name).write_bytes(body)

    def get(base, name, accept="gzip, deflate"):
        request = urllib.request.Request(f"{base}/{name}", headers={"Accept-Encoding": accept})
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.headers.get("Content-Encoding"), response.read()

    sent = []
    with lite_browser.serve(tmp_path, like_pages=True, sent=sent) as base:
        encoding, body = get(base, "a.js")
        assert encoding == "gzip" and gzip.decompress(body) == script and sent[-1] == len(body) < len(script)
        assert get(base, "a.js", accept="identity") == (None, script)
        assert get(base, "b.wasm") == (None, wasm) and get(base, "c.whl") == (None, wheel)
        assert get(base, "d.wasm.gz") == (None, gz)
