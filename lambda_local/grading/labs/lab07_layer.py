"""Lab 07: share a library through a layer: build the zip in the python/ layout, publish it, attach it, import it."""

from __future__ import annotations

import io
import zipfile

from ..checks import Failure, check, describe_invocation_error, show

LAB = "07-layer"
TITLE = "Share a library with a layer"

LAYER, FUNCTION = "textkit", "word-stats"
EVENT = {"title": "Layers Are Neat!", "text": "Share code once, use it everywhere."}
ANSWER = {"slug": "layers-are-neat", "words": 6}
_PROBE = {"lambda_function.py": "import textkit\n\n\ndef lambda_handler(event, context):\n"
                                "    return textkit.slugify(event['title'])\n"}


def _deploy_module(lab):
    return lab.module("deploy.py")


def _good_layer(lab) -> str:
    """A correctly built layer of the lab's textkit/ folder, published by the check itself; its version ARN."""
    folder = lab.file("textkit")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for path in sorted(folder.rglob("*.py")):
            archive.write(path, "python/" + path.relative_to(folder.parent).as_posix())
    return lab.client("lambda").publish_layer_version(
        LayerName=f"{LAYER}-reference", Content={"ZipFile": buffer.getvalue()},
        CompatibleRuntimes=["python3.12"])["LayerVersionArn"]


def _names(data: bytes) -> list[str]:
    try:
        return zipfile.ZipFile(io.BytesIO(data)).namelist()
    except zipfile.BadZipFile:
        return []


@check("builds the layer zip in the layout Python looks for", points=2)
def layer_layout(lab):
    data = lab.call(_deploy_module(lab).build_layer_zip, what="build_layer_zip()")
    if not isinstance(data, bytes) or not _names(data):
        return Failure(expected="build_layer_zip() to return the bytes of a zip file", got=show(type(data).__name__),
                       hint="Return buffer.getvalue() after the `with zipfile.ZipFile(...)` block closes.")
    arn = lab.client("lambda").publish_layer_version(LayerName=LAYER, Content={"ZipFile": data})["LayerVersionArn"]
    lab.deploy("layer-probe", _PROBE, layers=[arn])
    record = lab.invoke("layer-probe", EVENT)
    if record.error_type or record.payload != ANSWER["slug"]:
        got = describe_invocation_error(record) if record.error_type else f"textkit.slugify returned {show(record.payload)}"
        return Failure(expected="`import textkit` to work in a function that has only this layer",
                       got=f"{got}; your zip holds {', '.join(_names(data)[:6])}",
                       hint="Lambda unzips each layer into /opt, and the Python runtime looks for libraries in "
                            "/opt/python (and /opt/python/lib/python3.12/site-packages). Where must textkit/ be "
                            "inside the zip?")


@check("publishes the layer for python3.12", points=2)
def publishes(lab):
    arn = lab.call(_deploy_module(lab).publish_layer, lab.client("lambda"), what="publish_layer(lambda_client)")
    versions = lab.client("lambda").list_layer_versions(LayerName=LAYER)["LayerVersions"]
    published = {v["LayerVersionArn"]: v for v in versions}
    if not versions:
        return Failure(expected=f"a version of the layer {LAYER} after publish_layer()",
                       got=f"no layer named {LAYER} (publish_layer returned {arn!r})",
                       hint="lambda_client.publish_layer_version(LayerName=..., Content={\"ZipFile\": ...}, "
                            "CompatibleRuntimes=[...]) publishes one; its answer holds the LayerVersionArn.")
    if arn not in published:
        return Failure(expected="publish_layer() to return the new version's LayerVersionArn",
                       got=f"it returned {arn!r}; the layer's versions are {', '.join(published)}",
                       hint="Return response[\"LayerVersionArn\"] of publish_layer_version.")
    runtimes = published[arn].get("CompatibleRuntimes") or []
    if "python3.12" not in runtimes:
        return Failure(expected="the layer version to list python3.12 among its CompatibleRuntimes",
                       got=f"CompatibleRuntimes {show(runtimes)}",
                       hint="CompatibleRuntimes tells the console and tools which functions the layer is for.")


@check("attaches the layer to the function", points=2)
def attaches(lab):
    arn = _good_layer(lab)
    lab.call(_deploy_module(lab).deploy_function, lab.client("lambda"), lab.role(), arn,
             what="deploy_function(lambda_client, role_arn, layer_arn)")
    try:
        config = lab.client("lambda").get_function_configuration(FunctionName=FUNCTION)
    except lab.client("lambda").exceptions.ResourceNotFoundException:
        return Failure(expected=f"deploy_function() to create the function {FUNCTION}", got="there is no such function",
                       hint="Keep the create_function call; only add what TODO 3 asks.")
    attached = [layer["Arn"] for layer in config.get("Layers") or []]
    if arn not in attached:
        return Failure(expected=f"the function {FUNCTION} to have the layer version {arn}",
                       got=f"its layers are {show(attached)}",
                       hint="create_function takes Layers=[...]: a list of layer version ARNs (at most 5).")


@check("the function uses textkit from the layer", points=2)
def uses_layer(lab):
    arn = _good_layer(lab)
    lab.deploy(FUNCTION, "function", layers=[arn])
    record = lab.invoke(FUNCTION, EVENT)
    if record.error_type:
        return Failure(expected=f"{show(ANSWER)} for the event {show(EVENT)}",
                       got=f"the function failed: {describe_invocation_error(record)}",
                       hint="With the layer attached, `import textkit` at the top of lambda_function.py works.")
    if record.payload != ANSWER:
        return Failure(expected=f"{show(ANSWER)} for the event {show(EVENT)}", got=show(record.payload),
                       hint="Use textkit.slugify(title) and textkit.word_count(text).")
    lab.deploy(f"{FUNCTION}-without-layer", "function")
    alone = lab.invoke(f"{FUNCTION}-without-layer", EVENT)
    if not alone.error_type and alone.payload == ANSWER:
        return Failure(expected="the function to need the layer: without it, `import textkit` fails",
                       got="it gave the right answer with no layer attached",
                       hint="function/ must not carry its own copy of the library: the layer is the one place "
                            "it lives, shared by every function that attaches it.")
