"""Lab 03: an upload processor. It reads the object an S3 event names (its key URL-decoded) and writes a word count
as JSON to another bucket, under a key derived from the upload's."""

from __future__ import annotations

import json
import random

from ..checks import Failure, check, describe_invocation_error, show

LAB = "03-s3-processor"
TITLE = "An S3 upload processor"

FUNCTION, UPLOADS, RESULTS = "word-counter", "text-uploads", "text-results"
TEXT = "Lambda runs your code\nwithout servers.\n\nPay only for what you use.\n"
ENCODED_KEYS = ("reports/q1 summary.txt", "menus/café crème.txt")
RESULT_KEYS = {"reports/q1 summary.txt": "reports/q1 summary.json", "notes": "notes.json",
               "v1.2/readme.md": "v1.2/readme.json", "photos/2026/cat.jpeg": "photos/2026/cat.json"}
POLICY = {"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::{UPLOADS}/*"},
    # Without s3:ListBucket S3 answers a missing key with AccessDenied, not NoSuchKey (as on AWS).
    {"Effect": "Allow", "Action": "s3:ListBucket", "Resource": f"arn:aws:s3:::{UPLOADS}"},
    {"Effect": "Allow", "Action": "s3:PutObject", "Resource": f"arn:aws:s3:::{RESULTS}/*"}]}


def _summary(key: str, text: str = TEXT) -> dict:
    return {"source": f"s3://{UPLOADS}/{key}", "words": len(text.split()), "lines": len(text.splitlines())}


def _setup(lab, trigger: bool = False) -> None:
    """Both buckets, the function (its role may read uploads and write results), and the S3 trigger if asked."""
    s3 = lab.client("s3")
    s3.create_bucket(Bucket=UPLOADS)
    s3.create_bucket(Bucket=RESULTS)
    lab.deploy(FUNCTION, role=lab.role(f"{FUNCTION}-role", policy=POLICY), environment={"RESULTS_BUCKET": RESULTS})
    if trigger:
        lab.allow(FUNCTION, "s3.amazonaws.com", source_arn=f"arn:aws:s3:::{UPLOADS}")
        arn = lab.client("lambda").get_function_configuration(FunctionName=FUNCTION)["FunctionArn"]
        s3.put_bucket_notification_configuration(Bucket=UPLOADS, NotificationConfiguration={
            "LambdaFunctionConfigurations": [{"LambdaFunctionArn": arn, "Events": ["s3:ObjectCreated:*"]}]})


def _upload(lab, key: str, text: str = TEXT) -> None:
    lab.client("s3").put_object(Bucket=UPLOADS, Key=key, Body=text.encode("utf-8"))


def _test_event(lab, key: str):
    """Invoke the function with the event S3 sends for `key` (already uploaded), as a console test event would."""
    from ...events import s3_put_event

    event = s3_put_event(bucket=UPLOADS, key=key, size=len(TEXT.encode()), time=lab.aws.clock.time(),
                         rng=random.Random(3))
    return lab.invoke(FUNCTION, event)


def _summaries(record, key: str, hint: str) -> list:
    if record.error_type:
        raise Failure(expected=f"word-counter to handle the upload of {key!r}",
                      got=f"it failed: {describe_invocation_error(record)}", hint=hint)
    if not isinstance(record.payload, list) or not record.payload or not isinstance(record.payload[0], dict):
        raise Failure(expected="the handler to return its list of summaries, one per record",
                      got=f"it returned {show(record.payload)}",
                      hint="Keep the end of the handler as it was: `return summaries`.")
    return record.payload


def _results(lab) -> dict[str, bytes]:
    s3 = lab.client("s3")
    keys = [item["Key"] for item in s3.list_objects_v2(Bucket=RESULTS).get("Contents", [])]
    return {key: s3.get_object(Bucket=RESULTS, Key=key) for key in keys}


@check("decodes the object key from the event (spaces, accents)", points=2)
def decodes_key(lab):
    _setup(lab)
    for key in ENCODED_KEYS:
        _upload(lab, key)
        summary = _summaries(_test_event(lab, key), key, hint=(
            "NoSuchKey means the function asked for a key that is not in the bucket: the key as it arrived in "
            "the event, still URL-encoded. urllib.parse.unquote_plus(...) decodes it."))[0]
        if summary.get("source") != f"s3://{UPLOADS}/{key}":
            return Failure(expected=f'"source": "s3://{UPLOADS}/{key}" for an upload named {key!r}',
                           got=f'"source": {show(summary.get("source"))}',
                           hint="S3 URL-encodes keys in events (a space becomes +, é becomes %C3%A9); "
                                "urllib.parse.unquote_plus(...) gives the key back as it is in the bucket.")


@check("reads the object and counts its words and lines", points=2)
def reads_object(lab):
    _setup(lab)
    _upload(lab, "notes.txt")
    summary = _summaries(_test_event(lab, "notes.txt"), "notes.txt", hint=(
        "AccessDenied would mean a call the check's role does not allow: this lab's role allows s3:GetObject and "
        "s3:ListBucket on text-uploads and s3:PutObject on text-results, nothing else."))[0]
    expected = _summary("notes.txt")
    counts = {k: summary.get(k) for k in ("words", "lines")}
    if counts != {k: expected[k] for k in ("words", "lines")}:
        return Failure(expected=f"words {expected['words']} and lines {expected['lines']} for notes.txt, "
                                f"which holds {show(TEXT)}", got=f"words {counts['words']} and lines {counts['lines']}",
                       hint="s3.get_object(Bucket=..., Key=...) answers a dict whose \"Body\" is a stream: "
                            ".read() gives bytes, .decode(\"utf-8\") gives the text.")


@check("names each result after its upload (.json instead of the extension)", points=2)
def names_results(lab):
    module = lab.module("lambda_function.py")
    wrong = {}
    for key, expected in RESULT_KEYS.items():
        got = lab.call(module.result_key, key, what=f"result_key({key!r})")
        if got != expected:
            wrong[key] = got
    if wrong:
        key = next(iter(wrong))
        return Failure(expected=f"result_key({key!r}) == {RESULT_KEYS[key]!r}",
                       got=f"{wrong[key]!r}" + (f" (and {len(wrong) - 1} more keys wrong)" if len(wrong) > 1 else ""),
                       hint="Only the last part of the key has the extension, and some names have none: "
                            "posixpath.splitext(key) splits \"v1.2/readme.md\" into (\"v1.2/readme\", \".md\").")


@check("writes the summary as JSON to the results bucket", points=2)
def writes_result(lab):
    _setup(lab, trigger=True)
    _upload(lab, "notes.txt")
    failed = [r for r in lab.aws.invocations if r.function_name == FUNCTION and r.error_type]
    if failed:
        return Failure(expected="word-counter to handle the upload of notes.txt",
                       got=f"it failed: {describe_invocation_error(failed[0])}",
                       hint="Try your function in the lab notebook to see the whole error.")
    results = _results(lab)
    if len(results) != 1:
        return Failure(expected=f"one object in {RESULTS} after uploading notes.txt",
                       got=f"{len(results)}: {show(sorted(results))}",
                       hint="s3.put_object(Bucket=os.environ[\"RESULTS_BUCKET\"], Key=..., Body=json.dumps(...), "
                            "ContentType=\"application/json\") writes one.")
    key, response = next(iter(results.items()))
    body = response["Body"].read()
    try:
        data = json.loads(body)
    except ValueError:
        data = None
    if not isinstance(data, dict) or "source" not in data:
        return Failure(expected=f"{key} in {RESULTS} to hold the summary as JSON ({{\"source\": ..., ...}})",
                       got=f"it holds {show(body.decode('utf-8', 'replace'))}",
                       hint="json.dumps(summary) turns the dict into JSON text.")
    if "json" not in response.get("ContentType", ""):
        return Failure(expected=f"{key} stored with the content type application/json",
                       got=f"content type {response.get('ContentType')!r}",
                       hint="Pass ContentType=\"application/json\" to put_object, so browsers and tools that "
                            "download it know what it is.")


@check("processes an upload end to end through the S3 trigger", points=2)
def end_to_end(lab):
    _setup(lab, trigger=True)
    key = ENCODED_KEYS[0]
    _upload(lab, key)
    failed = [r for r in lab.aws.invocations if r.function_name == FUNCTION and r.error_type]
    if failed:
        return Failure(expected=f"word-counter to handle the upload of {key!r}",
                       got=f"it failed: {describe_invocation_error(failed[0])}",
                       hint="Make the checks above pass first: each one tries one part of this.")
    results = _results(lab)
    expected_key = RESULT_KEYS[key]
    if expected_key not in results:
        return Failure(expected=f"{expected_key!r} in {RESULTS} after uploading {key!r}",
                       got=f"the bucket holds {show(sorted(results))}",
                       hint="Write the summary under result_key(key), with the decoded key.")
    data = json.loads(results[expected_key]["Body"].read() or b"null")
    if data != _summary(key):
        return Failure(expected=f"{expected_key} to hold {show(_summary(key))}", got=show(data),
                       hint="Make the checks above pass first: each one tries one part of this.")
