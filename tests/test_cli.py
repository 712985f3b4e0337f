"""The lambda-local command line: invoke and events, as a learner types them."""

import json

from click.testing import CliRunner

from lambda_local.cli import main

HANDLER = """
def lambda_handler(event, context):
    print("got", event)
    if event.get("fail"):
        raise ValueError("asked to fail")
    return {"hello": event.get("name")}
"""


def run(*args, stdin=None):
    return CliRunner().invoke(main, list(args), input=stdin, catch_exceptions=False)


def test_invoke_prints_payload_on_stdout_and_log_on_stderr(tmp_path):
    (tmp_path / "lambda_function.py").write_text(HANDLER)
    (tmp_path / "event.json").write_text('{"name": "Ada"}')
    result = run("invoke", "lambda_function.lambda_handler", "--code", str(tmp_path),
                 "--event", str(tmp_path / "event.json"), "--memory", "256", "--env", "A=1")
    assert result.exit_code == 0
    assert json.loads(result.stdout) == {"hello": "Ada"}
    assert result.stderr.startswith("INIT_START Runtime Version: ") and "\nSTART RequestId: " in result.stderr
    assert "got {'name': 'Ada'}" in result.stderr
    assert "Memory Size: 256 MB" in result.stderr


def test_invoke_exits_non_zero_on_a_function_error_and_reads_stdin(tmp_path):
    (tmp_path / "lambda_function.py").write_text(HANDLER)
    result = run("invoke", "lambda_function.lambda_handler", "--code", str(tmp_path), "--event", "-",
                 stdin='{"fail": true}')
    assert result.exit_code == 1
    assert json.loads(result.stdout)["errorType"] == "ValueError"


def test_invoke_bad_input_gets_plain_language_errors(tmp_path):
    (tmp_path / "lambda_function.py").write_text(HANDLER)
    missing = run("invoke", "lambda_function.lambda_handler", "--code", str(tmp_path), "--event", "nope.json")
    assert missing.exit_code == 2 and "cannot read the event file 'nope.json'" in missing.stderr
    not_json = run("invoke", "lambda_function.lambda_handler", "--code", str(tmp_path), "--event", "-",
                   stdin="{oops")
    assert not_json.exit_code == 2 and "InvalidRequestContentException" in not_json.stderr
    assert "Traceback" not in missing.stderr + not_json.stderr
    no_folder = run("invoke", "x.y", "--code", str(tmp_path / "absent"))
    assert no_folder.exit_code == 2 and "does not exist" in no_folder.stderr


def test_events_generates_sam_named_events():
    result = run("events", "s3", "put", "--bucket", "photos", "--key", "2026/a b.jpg")
    record = json.loads(result.stdout)["Records"][0]
    assert record["s3"]["bucket"]["name"] == "photos" and record["s3"]["object"]["key"] == "2026/a+b.jpg"
    listing = run("events")
    assert "apigateway" in listing.stdout and "http-api-proxy" in listing.stdout
    bad = run("events", "s3", "upload")
    assert bad.exit_code == 2 and "lambda-local events s3" in bad.stderr
