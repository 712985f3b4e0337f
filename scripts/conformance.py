"""moto's own Lambda tests as a conformance suite for ``lambda_local.mock_aws``.

    python scripts/conformance.py [--jobs N] [--only PATH ...] [--keep]     (or: make conformance)

Fetches the test modules from the sdist of the installed moto version (into ``.cache/conformance/``), and runs the
Lambda tests and the Lambda integration tests of other services twice: against moto itself, and with
``moto.mock_aws`` replaced by ``lambda_local.mock_aws(enforce_iam=False)``. It prints the tests that pass under
moto but fail here (the goal: none) and the tests moto marks ``requires_docker`` that pass here, in-process.
Exit status 1 when a test passes under moto and fails here.

Needs the network once, to download the sdist from PyPI (``pip download``); later runs use the cache.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tarfile
import time
from importlib.metadata import version
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CACHE = ROOT / ".cache" / "conformance"

# moto's Lambda modules, and the modules of other services that exercise Lambda.
SUITE = [
    "tests/test_awslambda",
    "tests/test_awslambda_simple",
    "tests/test_s3/test_s3_lambda_integration.py",
    "tests/test_s3/test_s3_eventbridge_integration.py",
    "tests/test_sqs/test_sqs_integration.py",
    "tests/test_logs/test_integration.py",
    "tests/test_events/test_events_lambdatriggers_integration.py",
    "tests/test_cloudformation/test_cloudformation_custom_resources.py",
    "tests/test_stepfunctions/parser/test_stepfunctions_lambda_integration.py",
    "tests/test_stepfunctions/parser/test_stepfunctions_lambda_retry_integration.py",
    "tests/test_secretsmanager/test_rotate_simple_lambda.py",
]
# Modules where only some tests concern Lambda: (module, pattern of the test names to take).
PARTIAL = [("tests/test_secretsmanager/test_secretsmanager.py", r"rotat")]


# Tests that pass against moto but assert what AWS does differently: lambda_local follows AWS. Each entry says what
# AWS does; a listed test that starts passing here is reported, so the list cannot go stale quietly.
_LOGGING_CONFIG = ("AWS's CreateFunction/GetFunction answers always include LoggingConfig "
                   "({LogFormat: Text, LogGroup: /aws/lambda/NAME}); the test compares with moto's dict without it")
_NOT_A_ZIP = ("the test uploads bytes that are not a zip; AWS refuses them with InvalidParameterValueException "
              "'Could not unzip uploaded file. Please check your file, then try to upload again.'")
_RUNTIME_ENUM = ("the test creates a function with Runtime='3.11'; AWS answers ValidationException (Runtime must "
                 "satisfy the enum of runtime identifiers, e.g. python3.11)")
_FILTER_NOT_JSON = ("the test's FilterCriteria pattern is 'asdf', which is not JSON; AWS refuses it with "
                    "InvalidParameterValueException 'Invalid filter pattern definition.'")
_S3_EVENTBRIDGE_REASON = ("the test expects detail.reason to name the event's category ('ObjectCreated', "
                          "'ObjectTagging', ...); S3 writes the API that caused an Object Created or Object Deleted "
                          "event ('PutObject', 'POST Object', 'CopyObject', 'CompleteMultipartUpload', 'DeleteObject', "
                          "'Lifecycle Expiration') and no reason on the other event types (Amazon S3 user guide, "
                          "'Using EventBridge' and 'EventBridge event message structure')")
_S3_EVENTBRIDGE = "tests/test_s3/test_s3_eventbridge_integration.py::"
DEVIATIONS = {
    **{_S3_EVENTBRIDGE + name: _S3_EVENTBRIDGE_REASON for name in (
        "test_complete_multipart_upload_notification", "test_copy_object_notification",
        "test_delete_object_acl_update_notification", "test_delete_object_notification",
        "test_delete_object_tagging_notification", "test_put_object_notification_ObjectCreated_POST",
        "test_put_object_notification_ObjectCreated_PUT[cn-north-1-aws-cn]",
        "test_put_object_notification_ObjectCreated_PUT[us-west-2-aws]", "test_put_object_tagging_notification",
        "test_restore_key_notifications")},
    "tests/test_awslambda/test_lambda.py::test_create_function_from_zipfile": _LOGGING_CONFIG,
    "tests/test_awslambda/test_lambda.py::test_list_create_list_get_delete_list": _LOGGING_CONFIG,
    "tests/test_awslambda/test_lambda.py::test_put_function_concurrency_not_enforced":
        "AWS always keeps 100 of the account's 1,000 concurrency unreserved: reserving 901 is refused "
        "(moto enforces it only when MOTO_LAMBDA_CONCURRENCY_QUOTA is set)",
    "tests/test_awslambda/test_lambda_eventsourcemapping.py::test_event_source_mapping_tagging_lifecycle": _NOT_A_ZIP,
    "tests/test_sqs/test_sqs_integration.py::test_disabled_event_source_mapping_does_not_invoke_lambda": _NOT_A_ZIP,
    "tests/test_sqs/test_sqs_integration.py::test_invoke_fake_function_from_sqs_queue": _NOT_A_ZIP,
    "tests/test_awslambda_simple/test_lambda_simple.py::test_run_function": _RUNTIME_ENUM,
    "tests/test_awslambda_simple/test_lambda_simple.py::test_run_function_no_log": _RUNTIME_ENUM,
    "tests/test_awslambda_simple/test_lambda_simple.py::test_set_lambda_simple_query_results":
        _RUNTIME_ENUM + "; it also expects moto's canned answers instead of the function running",
    "tests/test_cloudformation/test_cloudformation_custom_resources.py::"
    "test_create_custom_lambda_resource__verify_manual_request":
        "the template's function uses python3.8, which AWS no longer accepts for new functions: the resource is "
        "CREATE_FAILED and the stack rolls back, as CloudFormation reports it",
    "tests/test_s3/test_s3_lambda_integration.py::test_put_bucket_notification_sns_sqs_raw_delivery":
        "S3 URL-encodes keys in event records but leaves '/' as it is ('incoming/myfile'); moto writes %2F",
    "tests/test_awslambda/test_lambda.py::test_create_function_from_aws_bucket":
        "AWS answers CreateFunction with State 'Pending' (StateReasonCode Creating); the function is Active afterwards "
        "(the function_active_v2 waiter); the test expects 'Active' in the CreateFunction answer itself",
    "tests/test_awslambda/test_lambda_eventsourcemapping.py::test_create_event_source_mapping": _FILTER_NOT_JSON,
    "tests/test_awslambda/test_lambda_eventsourcemapping.py::test_update_event_source_mapping": _FILTER_NOT_JSON,
}


def moto_tests(moto_version: str) -> Path:
    """The extracted sdist of ``moto_version`` (downloaded once)."""
    target = CACHE / f"moto-{moto_version}"
    if (target / "tests" / "test_awslambda").is_dir():
        return target
    CACHE.mkdir(parents=True, exist_ok=True)
    sdist = CACHE / f"moto-{moto_version}.tar.gz"
    if not sdist.exists():
        print(f"downloading the sdist of moto {moto_version} from PyPI ...", flush=True)
        subprocess.run([sys.executable, "-m", "pip", "download", "--quiet", "--no-binary", ":all:", "--no-deps",
                        f"moto=={moto_version}", "-d", str(CACHE)], check=True)
    prefix = f"moto-{moto_version}/"
    with tarfile.open(sdist) as archive:
        members = [m for m in archive.getmembers() if m.name.startswith(prefix + "tests/")]
        for member in members:
            member.name = member.name[len(prefix):]
        archive.extractall(target, members=members, filter="data")
    return target


def selection(tests_root: Path, only: list[str] | None) -> list[str]:
    if only:
        return only
    chosen = list(SUITE)
    for module, pattern in PARTIAL:
        source = (tests_root / module).read_text()
        chosen += [f"{module}::{name}" for name in re.findall(r"^def (test_\w+)", source, re.M)
                   if re.search(pattern, name)]
    return chosen


def run(mode: str, tests_root: Path, tests: list[str], jobs: int) -> tuple[dict, float]:
    """Run ``tests`` under ``mode`` ('moto' or 'lambda_local'); returns {nodeid: record} and the wall time."""
    results = CACHE / f"results-{mode}.json"
    results.unlink(missing_ok=True)
    env = {**os.environ, "CONFORMANCE_MODE": mode, "CONFORMANCE_RESULTS": str(results),
           "PYTHONPATH": os.pathsep.join([str(tests_root), str(ROOT / "scripts"), str(ROOT),
                                          os.environ.get("PYTHONPATH", "")]),
           # moto's tests read these; no real account is ever reached.
           "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_DEFAULT_REGION": "us-east-1"}
    if mode == "moto" and not docker_running():
        # Without Docker, moto's requires_docker tests can only fail (slowly: they wait for logs); skip them.
        env["TESTS_SKIP_REQUIRES_DOCKER"] = "true"
    command = [sys.executable, "-m", "pytest", *tests, "-p", "conformance_plugin", "-q", "-p", "no:cacheprovider",
               "-o", "addopts=", "-o", "markers=requires_docker", "--rootdir", str(tests_root), "-c", os.devnull,
               "-W", "ignore", "--tb=no", "-rN"]
    if jobs > 1:
        command += ["-n", str(jobs), "-p", "xdist"]
    started = time.perf_counter()
    print(f"running {len(tests)} paths under {mode} ...", flush=True)
    subprocess.run(command, cwd=tests_root, env=env)
    elapsed = time.perf_counter() - started
    return (json.loads(results.read_text()) if results.exists() else {}), elapsed


def docker_running() -> bool:
    try:
        import docker

        return bool(docker.from_env(timeout=5).ping())
    except Exception:  # noqa: BLE001 - no client library, no daemon, no permission: no Docker for moto
        return False


def compare(under_moto: dict, here: dict) -> dict:
    def passed(records, node):
        return records.get(node, {}).get("outcome") == "passed"

    # (moto's tests turn the marker into a plain skip when Docker is absent: read it from either run)
    docker = {n for records in (under_moto, here) for n, r in records.items() if "requires_docker" in r["markers"]}
    failed_here = sorted(n for n in under_moto if passed(under_moto, n) and not passed(here, n))
    regressions = [n for n in failed_here if n not in DEVIATIONS]
    return {
        "aws_deviations": [n for n in failed_here if n in DEVIATIONS],
        "stale_deviations": sorted(n for n in DEVIATIONS if n in under_moto and passed(here, n)),
        "tests": len(under_moto),
        "passed_under_moto": sum(passed(under_moto, n) for n in under_moto),
        "passed_here": sum(passed(here, n) for n in under_moto),
        "passed_under_moto_failed_here": regressions,
        "requires_docker": len(docker),
        "requires_docker_passed_here": sorted(n for n in docker if passed(here, n)),
        "failed_here_only_docker_under_moto": sorted(n for n in docker if not passed(here, n)),
    }


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--jobs", "-n", type=int, default=1, help="pytest-xdist workers (default 1)")
    parser.add_argument("--only", nargs="*", help="run these test paths/node ids instead of the whole selection")
    parser.add_argument("--reuse-moto", action="store_true",
                        help="compare with the last run under moto instead of running moto again")
    args = parser.parse_args(argv)
    moto_version = version("moto")
    tests_root = moto_tests(moto_version)
    tests = selection(tests_root, args.only)
    previous = CACHE / "results-moto.json"
    if args.reuse_moto and previous.exists():
        under_moto, moto_s = json.loads(previous.read_text()), 0.0
        if args.only:
            under_moto = {n: r for n, r in under_moto.items() if any(n.startswith(o) for o in args.only)}
    else:
        under_moto, moto_s = run("moto", tests_root, tests, args.jobs)
    here, here_s = run("lambda_local", tests_root, tests, args.jobs)
    summary = compare(under_moto, here)
    summary.update(moto_version=moto_version, seconds_under_moto=round(moto_s, 1),
                   seconds_here=round(here_s, 1))
    (CACHE / "summary.json").write_text(json.dumps(summary, indent=1))

    print(f"\nmoto {moto_version}: {summary['tests']} tests; passed under moto {summary['passed_under_moto']} "
          f"({moto_s:.0f} s), passed under lambda_local {summary['passed_here']} ({here_s:.0f} s)")
    print(f"\npassed under moto but failed here: {len(summary['passed_under_moto_failed_here'])} "
          f"(and {len(summary['aws_deviations'])} where the test asserts what AWS does differently)")
    for node in summary["passed_under_moto_failed_here"]:
        print(f"  {node}\n      {here.get(node, {}).get('error', here.get(node, {}).get('outcome', 'not run'))[:300]}")
    print("\nwhere AWS differs from moto (lambda_local follows AWS):")
    for node in summary["aws_deviations"]:
        print(f"  {node}\n      {DEVIATIONS[node]}")
    for node in summary["stale_deviations"]:
        print(f"  now passing, remove from DEVIATIONS: {node}")
    docker_ok = summary["requires_docker_passed_here"]
    print(f"\nrequires_docker tests passing in-process: {len(docker_ok)} of {summary['requires_docker']}")
    for node in docker_ok:
        print(f"  {node}")
    print("\nstill failing here (moto needs Docker for them):")
    for node in summary["failed_here_only_docker_under_moto"]:
        print(f"  {node}\n      {here.get(node, {}).get('error', here.get(node, {}).get('outcome'))[:300]}")
    return 1 if summary["passed_under_moto_failed_here"] or summary["stale_deviations"] else 0


if __name__ == "__main__":
    sys.exit(main())
