"""The patches to moto (lambda_local/aws/patches.py): each still finds what it relies on, each added route is
still missing from moto, and moto without our sandbox is left as it was."""

import inspect
import json

import boto3
import moto
import pytest
from botocore.config import Config

from lambda_local.aws import patches, state
from conftest import BASIC_EXECUTION, TRUST_POLICY, zip_files


@pytest.mark.parametrize("patch", patches.PATCHES, ids=lambda p: p.name)
def test_each_patched_attribute_still_exists_with_the_signature_we_rely_on(patch):
    owner, attribute = patch.resolve()
    current = getattr(owner, attribute)
    original = patches._originals.get(patch.name, current)
    original = original.fget if isinstance(original, property) else original  # a property: its getter's
    params = tuple(inspect.signature(original).parameters)
    assert params[: len(patch.signature)] == patch.signature, f"moto changed {patch.target}"


@pytest.mark.parametrize("route", patches.ROUTES, ids=lambda r: r.name)
def test_each_added_route_is_still_missing_from_moto_and_answered_by_ours(aws, route):
    from moto.awslambda import urls
    from moto.awslambda.responses import LambdaResponse

    assert patches._originals[route.name] == {action: None for action in route.actions}, \
        f"moto now implements {route.name}: compare with ours and drop the route"
    assert urls.url_paths[route.path] == LambdaResponse.dispatch
    assert all(getattr(LambdaResponse, action) is route.handler for action in route.actions)


def test_install_is_idempotent_and_replaces_each_target(aws):
    patches.install(lambda: None)
    patches.install(lambda: None)
    for patch in patches.PATCHES:
        owner, attribute = patch.resolve()
        assert inspect.getattr_static(owner, attribute) is patch.replacement  # (a staticmethod as itself)
    patches.install(lambda: __import__("lambda_local.sandbox").sandbox._current())


def test_plain_moto_still_behaves_as_moto_outside_our_sandbox(aws):
    """moto's own mock_aws (no lambda_local sandbox active) keeps moto's behaviour: code does not run."""
    import lambda_local.sandbox as sandbox

    saved = list(sandbox._active)
    sandbox._active.clear()
    try:
        with moto.mock_aws(config={"lambda": {"use_docker": False}}):
            role = boto3.client("iam", region_name="us-east-1").create_role(
                RoleName="r", AssumeRolePolicyDocument=TRUST_POLICY)["Role"]["Arn"]
            client = boto3.client("lambda", region_name="us-east-1")
            client.create_function(FunctionName="f", Runtime="python3.12", Role=role, Handler="x.y",
                                   Code={"ZipFile": zip_files({"x.py": "def y(e, c):\n    return 1\n"})})
            body = client.invoke(FunctionName="f", Payload=json.dumps({"echo": 1}))["Payload"].read()
            assert body != b"1"  # moto's stand-in answered; the handler did not run
            assert aws.invocations == []
    finally:
        sandbox._active[:] = saved


def test_aws_managed_policies_exist_in_the_standard_partition(aws):
    iam = boto3.client("iam")
    for name in ("service-role/AWSLambdaBasicExecutionRole", "service-role/AWSLambdaSQSQueueExecutionRole",
                 "service-role/AWSLambdaDynamoDBExecutionRole", "AWSLambda_FullAccess"):
        policy = iam.get_policy(PolicyArn=f"arn:aws:iam::aws:policy/{name}")["Policy"]
        assert policy["Arn"].endswith(name)


def test_the_queue_internals_delete_messages_relies_on_still_exist(aws):
    sqs = boto3.client("sqs")
    url = sqs.create_queue(QueueName="internals")["QueueUrl"]
    for body in ("a", "b", "c"):
        sqs.send_message(QueueUrl=url, MessageBody=body)
    from moto.sqs.models import sqs_backends

    queue = sqs_backends["123456789012"]["us-east-1"].queues["internals"]
    received = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=2)["Messages"]
    state.delete_messages(queue, {m["MessageId"] for m in received})
    left = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    assert (left["ApproximateNumberOfMessages"], left["ApproximateNumberOfMessagesNotVisible"]) == ("1", "0")
    sqs.delete_message(QueueUrl=url, ReceiptHandle=received[0]["ReceiptHandle"])  # deleting again is harmless


@pytest.mark.parametrize("deleted, missing", [({1, 3}, set()), ({0}, set()), ({5}, set()), ({2}, {"gone"})])
def test_a_batch_delete_keeps_the_other_messages_in_their_order(aws, deleted, missing):
    sqs = boto3.client("sqs")
    url = sqs.create_queue(QueueName="ordered")["QueueUrl"]
    for body in "abcdef":
        sqs.send_message(QueueUrl=url, MessageBody=body)
    queue = state.queue_or_none("123456789012", "us-east-1", "ordered")
    ids = [m.id for m in queue._messages]
    state.delete_messages(queue, {ids[i] for i in deleted} | missing)
    assert [m.body for m in queue._messages] == [b for i, b in enumerate("abcdef") if i not in deleted]
    bodies = [m["Body"] for m in sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]]
    assert bodies == [b for i, b in enumerate("abcdef") if i not in deleted]


@pytest.mark.parametrize("seed", range(40))
def test_receipt_handles_are_motos_own_from_the_same_random_draws(seed):
    from moto.moto_api._internal import mock_random
    from moto.sqs.utils import generate_receipt_handle  # moto's own (the patch replaces the name in moto.sqs.models)

    mock_random.seed(seed)
    theirs = [generate_receipt_handle() for _ in range(3)], mock_random.getrandbits(64)
    mock_random.seed(seed)
    ours = [patches._sqs_receipt_handle() for _ in range(3)], mock_random.getrandbits(64)
    assert ours == theirs  # the same handles, and the generator left in the same state for every later id
    mock_random.seed(seed)
    assert (state.sqs_receipt_handles(3), mock_random.getrandbits(64)) == theirs  # drawn together: the same


def _receives(receive) -> list:
    """Queues in every state a receive meets (in flight, delayed, redriven to a DLQ, FIFO groups in flight, past the
    retention period, deleted between receives), received ``receive``'s way at several times; everything a receive
    changes, as it is afterwards: what each receive returned, every message's books, the DLQ, moto's generator."""
    import lambda_local
    from moto.moto_api._internal import mock_random

    with lambda_local.mock_aws(seed=5, start="2026-01-01T00:00:00Z") as aws:
        sqs = boto3.client("sqs")
        sqs.create_queue(QueueName="dlq")
        redrive = json.dumps({"deadLetterTargetArn": "arn:aws:sqs:us-east-1:123456789012:dlq", "maxReceiveCount": 2})
        urls = [sqs.create_queue(QueueName="plain", Attributes={"VisibilityTimeout": "4", "RedrivePolicy": redrive}),
                sqs.create_queue(QueueName="groups.fifo", Attributes={"FifoQueue": "true", "VisibilityTimeout": "5",
                                                                      "ContentBasedDeduplication": "true"}),
                sqs.create_queue(QueueName="brief", Attributes={"MessageRetentionPeriod": "60"})]
        urls = [u["QueueUrl"] for u in urls]
        for i in range(14):
            sqs.send_message(QueueUrl=urls[0], MessageBody=f"p{i}", DelaySeconds=7 if i % 5 == 2 else 0,
                             MessageAttributes={"k": {"DataType": "String", "StringValue": str(i)}} if i % 3 else {})
            sqs.send_message(QueueUrl=urls[1], MessageBody=f"f{i}", MessageGroupId=f"g{i % 3}")
        for i in range(4):
            sqs.send_message(QueueUrl=urls[2], MessageBody=f"b{i}")
        queues = [state.queue_or_none("123456789012", "us-east-1", name) for name in ("plain", "groups.fifo", "brief")]
        returned = []
        for step in range(12):
            for queue, count in zip(queues, (3, 5, 2)):
                messages = receive(queue, count, 0 if step == 3 else int(queue.visibility_timeout))
                returned.append(messages)
                state.delete_messages(queue, {m["MessageId"] for m in messages[::2]})  # some succeed, some not
            aws.advance(seconds=3 if step != 6 else 70)  # past the brief queue's retention once
        books = [[(m.id, m.body, m.receipt_handle, m.all_receipt_handles, m.approximate_receive_count,
                   m.approximate_first_receive_timestamp, m.visible_at, m.delayed_until, m in q.pending_messages)
                  for m in q._messages] for q in [*queues, state.queue_or_none("123456789012", "us-east-1", "dlq")]]
        return [returned, books, mock_random.getrandbits(64), aws.rng.getrandbits(64)]


def test_a_mappings_receive_is_motos_receive_field_for_field():
    """state.receive_for_mapping does what moto's SQSBackend.receive_message (with our patches) does to a queue and
    returns the same messages, read into ReceiveMessage's shape; if moto changes its receive, this says so."""
    def motos(queue, count, visibility_timeout):
        backend = state.sqs_backend(queue.account_id, queue.region)
        return [state._received(m) for m in backend.receive_message(queue.name, count, 0, visibility_timeout, ["All"])]

    def mappings(queue, count, visibility_timeout):
        return [r.message for r in state.receive_for_mapping(queue, count, visibility_timeout)]

    theirs, ours = _receives(motos), _receives(mappings)
    assert ours == theirs
    returned = theirs[0]
    assert sum(map(len, returned)) > 40 and any(m["Attributes"].get("MessageGroupId") for r in returned for m in r)
    assert theirs[1][3], "some messages went to the DLQ"
    assert any(m[4] > 1 for q in theirs[1] for m in q), "some messages were received again"


# --- Invoke answered without moto's generic dispatch (patches._invoke_without_routing) -----------------------------
_INVOKE_HANDLER = """
import json

def handler(event, context):
    print("event", json.dumps(event, sort_keys=True))
    if event.get("fail"):
        raise ValueError("asked to fail")
    return {"got": event, "version": context.function_version}
"""


def _invoke_cases(client):
    """Every Invoke shape the direct route answers, and the errors: the same calls in the same order, so a seeded
    mock draws the same ids."""
    arn = client.get_function(FunctionName="echo")["Configuration"]["FunctionArn"]
    version = client.publish_version(FunctionName="echo")["Version"]
    client.create_alias(FunctionName="echo", Name="live", FunctionVersion=version)
    cases = [
        dict(FunctionName="echo", Payload=b'{"a": 1}'),
        dict(FunctionName="echo", Payload=b'{"a": "&Qualifier=2"}', LogType="Tail"),
        dict(FunctionName="echo", Payload=b'{"fail": true}', LogType="Tail"),
        dict(FunctionName="echo", Payload=b"", LogType="None"),
        dict(FunctionName="echo", Payload=b'{"v": 1}', Qualifier=version),
        dict(FunctionName="echo", Payload=b'{"v": 2}', Qualifier="live"),
        dict(FunctionName=arn, Payload=b'{"by": "arn"}'),
        dict(FunctionName=f"{arn}:live", Payload=b'{"by": "qualified arn"}'),
        dict(FunctionName="echo", Payload=b'{"e": 1}', InvocationType="Event"),
        dict(FunctionName="echo", Payload=b'{"d": 1}', InvocationType="DryRun"),
        dict(FunctionName="echo", Payload=b'{"c": 1}', ClientContext="bm90IGpzb24="),
        dict(FunctionName="echo", Payload=b"not json"),
        dict(FunctionName="echo", Payload=b'{"q": 1}', Qualifier="99"),
        dict(FunctionName="missing", Payload=b"{}"),
        dict(FunctionName="echo", Payload=b"{}", Qualifier="$LATEST"),  # throttled: see below
    ]
    answers = []
    for case in cases:
        if case is cases[-1]:
            client.put_function_concurrency(FunctionName="echo", ReservedConcurrentExecutions=0)
        try:
            response = client.invoke(**case)
            response["Payload"] = response["Payload"].read()
        except client.exceptions.ClientError as error:
            response = error.response
        answers.append(response)
    return answers


def _masked(response: dict) -> dict:
    """A response without what differs between two runs of the same calls: the date and the measured durations."""
    import base64
    import re

    response = json.loads(json.dumps(response, default=repr))
    response["ResponseMetadata"]["HTTPHeaders"].pop("date")
    if "LogResult" in response:
        log = base64.b64decode(response.pop("LogResult")).decode()
        response["Log"] = re.sub(r"(Duration|Used): [\d.]+", r"\1: N", log)
        response["ResponseMetadata"]["HTTPHeaders"].pop("x-amz-log-result")
    return response


def _invoke_everything(direct: bool, monkeypatch) -> tuple[list, list, int]:
    import lambda_local

    with monkeypatch.context() as patched:
        if not direct:
            patched.setattr(patches, "_invoke_without_routing", lambda request: None)
        with lambda_local.mock_aws(seed=3, start="2026-01-01T00:00:00Z") as sandbox:
            iam = boto3.client("iam")
            role = iam.create_role(RoleName="r", AssumeRolePolicyDocument=TRUST_POLICY)["Role"]["Arn"]
            iam.attach_role_policy(RoleName="r", PolicyArn=BASIC_EXECUTION)
            client = boto3.client("lambda", config=Config(retries={"total_max_attempts": 1}))  # no backoff sleeps
            client.create_function(FunctionName="echo", Runtime="python3.12", Role=role,
                                   Handler="lambda_function.handler",
                                   Code={"ZipFile": zip_files({"lambda_function.py": _INVOKE_HANDLER})})
            answers = _invoke_cases(client)
            logs = boto3.client("logs").filter_log_events(logGroupName="/aws/lambda/echo")["events"]
            from moto.moto_api._internal import mock_random

            return [_masked(a) for a in answers], [e["message"].split("\t")[0] for e in logs], \
                mock_random.getrandbits(64) + len(sandbox.invocations)


def test_an_invoke_answered_without_motos_dispatch_is_what_motos_dispatch_answers(monkeypatch):
    """Status, headers (request ids from moto's seeded generator), payloads, errors and logs are the same whether
    moto's generic dispatch answers an Invoke or the direct route does; the generator is left in the same state."""
    taken = []
    direct_route = patches._invoke_without_routing
    monkeypatch.setattr(patches, "_invoke_without_routing",
                        lambda request: taken.append(direct_route(request)) or taken[-1])
    direct = _invoke_everything(True, monkeypatch)
    answers = direct[0]
    assert sum(answer is not None for answer in taken) == 15  # every Invoke went the direct route
    assert direct == _invoke_everything(False, monkeypatch)
    assert [a["ResponseMetadata"]["HTTPStatusCode"] for a in answers] == \
        [200, 200, 200, 200, 200, 200, 200, 200, 202, 204, 400, 400, 404, 404, 429]
    # the Qualifier is the URL's alone: a body is no query string (moto's dispatch parsed it as a form)
    assert answers[1]["Payload"] == repr(b'{"got": {"a": "&Qualifier=2"}, "version": "$LATEST"}')


def test_moto_dispatches_an_invoke_when_it_would_do_more_than_the_direct_route(aws, monkeypatch, tmp_path):
    """moto's request recorder on, or moto's IAM authentication due: moto's own dispatch answers (it records the
    request; it refuses a key it does not know)."""
    from moto import settings
    from moto.moto_api import recorder

    role = boto3.client("iam").create_role(RoleName="r", AssumeRolePolicyDocument=TRUST_POLICY)["Role"]["Arn"]
    client = boto3.client("lambda")
    client.create_function(FunctionName="echo", Runtime="python3.12", Role=role, Handler="lambda_function.handler",
                           Code={"ZipFile": zip_files({"lambda_function.py": _INVOKE_HANDLER})})
    monkeypatch.setattr(recorder, "_location", str(tmp_path / "recording"))  # (moto's default: ./moto_recording)
    recorder.reset_recording()
    recorder.start_recording()
    try:
        client.invoke(FunctionName="echo", Payload=b'{"recorded": 1}')
    finally:
        recorder.stop_recording()
    assert "/functions/echo/invocations" in recorder.download_recording()
    recorder.reset_recording()
    monkeypatch.setattr(settings, "INITIAL_NO_AUTH_ACTION_COUNT", 0)
    with pytest.raises(client.exceptions.ClientError, match="InvalidClientTokenId|UnrecognizedClient"):
        client.invoke(FunctionName="echo", Payload=b"{}")
    assert len(aws.invocations) == 1


def test_the_moto_internals_the_direct_invoke_route_relies_on_still_exist():
    """What ``patches._invoke_without_routing`` calls of moto's (the equivalence test above compares the answers)."""
    import moto.backend_index
    from moto.awslambda.responses import LambdaResponse
    from moto.core import config, responses
    from moto.core.authorization import ActionAuthenticatorMixin
    from moto.iam.models import mark_account_as_visited
    from moto.moto_api import recorder

    url = "https://lambda.eu-west-1.amazonaws.com/2015-03-31/functions/f/invocations"
    assert [s for s, pattern in moto.backend_index.backend_url_patterns if pattern.match(url)] == ["awslambda"]
    assert patches._INVOKE_URL.fullmatch(url + "?Qualifier=1").groups() == ("eu-west-1", "f", "Qualifier=1")
    assert isinstance(recorder._user_enabled, bool) and isinstance(ActionAuthenticatorMixin.request_count, int)
    for name, parameters in [("get_access_key", ("self",)), ("get_current_account", ("self",)),
                             ("_transform_response", ("headers", "response")),
                             ("_enrich_response", ("headers", "body")), ("serialized", ("self", "action_result"))]:
        assert tuple(inspect.signature(getattr(LambdaResponse, name)).parameters) == parameters
    assert tuple(inspect.signature(mark_account_as_visited).parameters) == ("account_id", "access_key", "service",
                                                                             "region")
    assert all(callable(f) for f in (config.passthrough_url, config.passthrough_service, config.service_whitelisted,
                                     responses.http_date, responses.utcnow, responses.ActionResult))
    assert LambdaResponse().service_name == "awslambda"
