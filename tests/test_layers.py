"""Layers: importable from python/ and python/lib/python3.x/site-packages/, in AWS's order, within AWS's limits."""

import io
import zipfile

import boto3
import pytest
from botocore.exceptions import ClientError

from conftest import invoke, zip_files


def publish(name, files):
    return boto3.client("lambda").publish_layer_version(
        LayerName=name, Content={"ZipFile": zip_files(files)}, CompatibleRuntimes=["python3.12"])["LayerVersionArn"]


def test_layer_modules_are_importable_in_both_layouts(aws, create):
    plain = publish("plain", {"python/greetings.py": "WORD = 'hello'\n"})
    site = publish("site", {"python/lib/python3.12/site-packages/shout/__init__.py":
                            "def up(s):\n    return s.upper()\n"})
    create("layered", """
        import greetings, shout
        def handler(event, context):
            return shout.up(greetings.WORD)
    """, Layers=[plain, site])
    assert invoke("layered")[1] == "HELLO"


def test_a_later_layer_wins_and_the_function_package_wins_over_layers(aws, create):
    first = publish("first", {"python/config.py": "NAME = 'first'\n", "python/shared.py": "NAME = 'layer'\n"})
    second = publish("second", {"python/config.py": "NAME = 'second'\n"})
    create("order", files={
        "lambda_function.py": "import config, shared\ndef handler(e, c):\n    return [config.NAME, shared.NAME]\n",
        "shared.py": "NAME = 'package'\n"}, Layers=[first, second])
    assert invoke("order")[1] == ["second", "package"]


def test_more_than_five_layers_is_refused(aws, create):
    arns = [publish(f"l{i}", {f"python/m{i}.py": ""}) for i in range(6)]
    with pytest.raises(ClientError) as raised:
        create("many", "def handler(e, c):\n    return 1\n", Layers=arns)
    assert raised.value.response["Error"]["Message"] == "Cannot reference more than 5 layers."


def test_function_plus_layers_over_250_mb_unzipped_is_refused(aws, create):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        with archive.open("python/blob.bin", "w", force_zip64=True) as blob:
            chunk = b"\0" * (1024 * 1024)
            for _ in range(251):
                blob.write(chunk)
    arn = boto3.client("lambda").publish_layer_version(LayerName="big", Content={"ZipFile": buffer.getvalue()})[
        "LayerVersionArn"]
    with pytest.raises(ClientError) as raised:
        create("huge", "def handler(e, c):\n    return 1\n", Layers=[arn])
    message = raised.value.response["Error"]["Message"]
    assert message.startswith("Function code combined with layers exceeds the maximum allowed size of 262144000 bytes.")


def test_direct_api_layers(tmp_path):
    from lambda_local import Function

    layer = tmp_path / "layer" / "python"
    layer.mkdir(parents=True)
    (layer / "util.py").write_text("def twice(x):\n    return 2 * x\n")
    code = tmp_path / "fn"
    code.mkdir()
    (code / "app.py").write_text("import util\ndef handler(e, c):\n    return util.twice(e['n'])\n")
    assert Function("app.handler", code=code, layers=[tmp_path / "layer"]).invoke({"n": 21}).payload == 42
