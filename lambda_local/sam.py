"""SAM templates deployed offline, as ``sam deploy`` deploys them: package, transform, create or update the stack.

``sam deploy`` does three things, and so does :func:`deploy`:

1. **package** (:func:`package`): zip each function's local ``CodeUri`` folder, upload it to an S3 bucket and
   write its ``s3://`` address into the template;
2. **transform** (:func:`translate`): AWS's own SAM translator (``aws-sam-translator``, the library behind
   CloudFormation's ``AWS::Serverless-2016-10-31`` transform) turns ``AWS::Serverless::*`` resources into plain
   CloudFormation: roles, functions, event source mappings, a REST API, permissions;
3. **deploy**: CreateStack, or UpdateStack when the stack exists, answered by moto's CloudFormation in the active
   ``lambda_local.mock_aws()``, so the functions it creates run in this runtime.

>>> import lambda_local.sam                                    # doctest: +SKIP
>>> outputs = lambda_local.sam.deploy("orders", "template.yaml", parameters={"Stage": "dev"})   # doctest: +SKIP
"""

from __future__ import annotations

import copy
import hashlib
import json
import logging
from pathlib import Path
from typing import Any, Callable

from .packaging import zip_package

__all__ = ["DeployError", "deploy", "package", "translate"]

ARTIFACTS_BUCKET = "lambda-local-sam-artifacts"  # sam deploy's managed bucket is aws-sam-cli-managed-default-...


class DeployError(Exception):
    """A stack that did not reach CREATE_COMPLETE / UPDATE_COMPLETE; the message lists CloudFormation's reasons."""


def load(template: str | Path | dict) -> dict:
    """A SAM template as a dict: a dict as it is, YAML text (``!Ref``, ``!GetAtt``, ``!Sub`` allowed), or a path."""
    from samtranslator.yaml_helper import yaml_parse

    if isinstance(template, dict):
        return copy.deepcopy(template)
    text = str(template)
    if isinstance(template, Path) or ("\n" not in text and Path(text).is_file()):
        text = Path(text).read_text(encoding="utf-8")
    return yaml_parse(text)


def package(template: str | Path | dict, folder: str | Path = ".", *, bucket: str = ARTIFACTS_BUCKET,
            s3=None, archive: Callable[[str], bytes] | None = None) -> dict:
    """``sam package``: each ``AWS::Serverless::Function`` whose ``CodeUri`` (or ``Globals`` ``CodeUri``) is a local
    folder is zipped, uploaded to ``bucket`` (created if missing) under its content hash, and its ``CodeUri``
    rewritten to ``s3://bucket/key``. Returns the packaged template; ``s3`` defaults to ``boto3.client("s3")``;
    ``archive(code_uri)`` makes a zip of its own (the grader's refuses links out of a lab)."""
    import boto3

    packaged, root = load(template), Path(folder)
    s3 = s3 or boto3.client("s3")
    default = packaged.get("Globals", {}).get("Function", {}).get("CodeUri")
    for resource in packaged.get("Resources", {}).values():
        if resource.get("Type") != "AWS::Serverless::Function":
            continue
        properties = resource.setdefault("Properties", {})
        code_uri = properties.get("CodeUri", default)
        if properties.get("InlineCode") is not None or not isinstance(code_uri, str) or code_uri.startswith("s3://"):
            continue
        zipped = archive(code_uri) if archive else zip_package(_code_files(root / code_uri))
        key = hashlib.md5(zipped).hexdigest()  # sam package names artifacts by their MD5, too
        _ensure_bucket(s3, bucket)
        s3.put_object(Bucket=bucket, Key=key, Body=zipped)
        properties["CodeUri"] = f"s3://{bucket}/{key}"
    return packaged


def translate(template: str | Path | dict, parameters: dict[str, Any] | None = None, *, iam=None) -> dict:
    """The CloudFormation template the ``AWS::Serverless-2016-10-31`` transform makes of a SAM template (with the
    given parameter values), for the region of ``iam`` (default ``boto3.client("iam")``). Managed policy names in
    ``Policies`` are looked up in that IAM, as CloudFormation's transform looks them up."""
    import functools

    import boto3
    from samtranslator.parser.parser import Parser
    from samtranslator.translator.managed_policy_translator import ManagedPolicyLoader
    from samtranslator.translator.translator import Translator
    from samtranslator.utils.py27hash_fix import to_py27_compatible_template, undo_mark_unicode_str_in_template

    # The translator's own usage metrics warn at exit that they were never published (to AWS, from this library).
    logging.getLogger("samtranslator.metrics.metrics").setLevel(logging.ERROR)
    iam = iam or boto3.client("iam")
    fragment, values = load(template), dict(parameters or {})
    # What samtranslator.translator.transform.transform does, with the region given rather than boto3's default.
    to_py27_compatible_template(fragment, values)
    translator = Translator(None, Parser(), boto_session=boto3.session.Session(region_name=iam.meta.region_name))
    loader = ManagedPolicyLoader(iam)
    translated = translator.translate(fragment, parameter_values=values,
                                      get_managed_policy_map=functools.cache(loader.load))
    return undo_mark_unicode_str_in_template(translated)


def deploy(stack_name: str, template: str | Path | dict, folder: str | Path | None = None, *,
           parameters: dict[str, Any] | None = None, bucket: str = ARTIFACTS_BUCKET, cloudformation=None, s3=None,
           iam=None, archive: Callable[[str], bytes] | None = None) -> dict[str, str]:
    """``sam deploy``: package (code from ``folder``, default: the template's folder, or the working directory),
    transform, then CreateStack or UpdateStack with ``CAPABILITY_IAM``. Returns the stack's outputs as a dict;
    raises :class:`DeployError` with CloudFormation's reasons when the stack fails."""
    import boto3

    cloudformation = cloudformation or boto3.client("cloudformation")
    if folder is None:
        is_path = isinstance(template, Path) or (isinstance(template, str) and "\n" not in template)
        folder = Path(str(template)).parent if is_path else Path(".")
    packaged = package(template, folder, bucket=bucket, s3=s3, archive=archive)
    body = json.dumps(translate(packaged, parameters, iam=iam))
    values = [{"ParameterKey": k, "ParameterValue": str(v)} for k, v in (parameters or {}).items()]
    options = dict(StackName=stack_name, TemplateBody=body, Parameters=values, Capabilities=["CAPABILITY_IAM"])
    exists = _stack_status(cloudformation, stack_name) not in (None, "DELETE_COMPLETE")
    if exists:
        cloudformation.update_stack(**options)
    else:
        cloudformation.create_stack(**options)
    stack = cloudformation.describe_stacks(StackName=stack_name)["Stacks"][0]
    if stack["StackStatus"] not in ("CREATE_COMPLETE", "UPDATE_COMPLETE"):
        events = cloudformation.describe_stack_events(StackName=stack_name)["StackEvents"]
        reasons = [f"{e['LogicalResourceId']}: {e['ResourceStatusReason']}" for e in events
                   if e["ResourceStatus"].endswith("FAILED") and e.get("ResourceStatusReason")]
        raise DeployError(f"stack {stack_name} is {stack['StackStatus']}: " + "; ".join(reasons))
    return {o["OutputKey"]: o["OutputValue"] for o in stack.get("Outputs", [])}


def _stack_status(cloudformation, stack_name: str) -> str | None:
    from botocore.exceptions import ClientError

    try:
        return cloudformation.describe_stacks(StackName=stack_name)["Stacks"][0]["StackStatus"]
    except ClientError:
        return None  # "Stack with id ... does not exist"


def _ensure_bucket(s3, bucket: str) -> None:
    from botocore.exceptions import ClientError

    try:
        s3.head_bucket(Bucket=bucket)
    except ClientError:
        s3.create_bucket(Bucket=bucket)


def _code_files(folder: Path) -> dict[str, str | bytes]:
    """The files of a CodeUri folder, as sam build would copy them (no notebooks, caches or templates)."""
    if not folder.is_dir():
        raise FileNotFoundError(f"CodeUri {folder} is not a folder")
    skip = {"__pycache__", ".ipynb_checkpoints", ".aws-sam"}
    files: dict[str, str | bytes] = {}
    for path in sorted(folder.rglob("*")):
        relative = path.relative_to(folder)
        if path.is_file() and not skip & set(relative.parts) and path.suffix not in (".ipynb", ".yaml", ".yml"):
            files[relative.as_posix()] = path.read_bytes()
    return files
