"""The patches to moto (lambda_local/aws/patches.py): each still finds what it relies on, each added route is
still missing from moto, and moto without our sandbox is left as it was."""

import inspect
import json

import boto3
import moto
import pytest

from lambda_local.aws import patches, state
from conftest import TRUST_POLICY, zip_files


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
