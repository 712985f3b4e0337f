"""The execution role, enforced for calls that arrive over HTTP: a Node.js function's AWS SDK (or any client)
signing with the role's credentials, sent to the local endpoint.

The botocore hook in ``iam`` sees Python calls before they are sent, with their operation and parameters. Here the
same facts are read back from the signed request: the access key from the SigV4 ``Credential``, the service and
region from its scope, the operation and parameters from the request as each AWS protocol writes it (JSON with
``X-Amz-Target``, the query protocol's ``Action=``, S3's REST paths, Lambda's Invoke path). A call IAM refuses gets
AWS's error in that protocol's shape; anything not recognised goes through unchecked.
"""

from __future__ import annotations

import io
import json
import re
from urllib.parse import parse_qs, unquote

from werkzeug.wrappers import Request, Response

from . import iam

__all__ = ["denied"]

_CREDENTIAL = re.compile(r"Credential=([^/,\s]+)/\d{8}/([^/]+)/([^/]+)/aws4_request")
_VIRTUAL_HOST = re.compile(r"^(.+?)\.s3[.-](?:[a-z0-9-]+\.)?amazonaws\.com(?::\d+)?$")
_INVOKE_PATH = re.compile(r"^/2015-03-31/functions/([^/]+)/invocations$")


def denied(environ) -> Response | None:
    """AWS's access-denied response for a role-signed call the role may not make; None to let it through."""
    request = Request(environ)
    match = _CREDENTIAL.search(request.headers.get("Authorization", "")) or _CREDENTIAL.search(
        "Credential=" + request.args.get("X-Amz-Credential", ""))
    if match is None:
        return None
    access_key, region, service = match.groups()
    if not iam.has_session(access_key):
        return None
    body = request.get_data()
    environ["wsgi.input"] = io.BytesIO(body)  # read here; moto reads it again
    environ["CONTENT_LENGTH"] = str(len(body))
    call = _operation(request, service)
    if call is None:
        return None
    protocol, operation, params = call
    refusal = iam.denial_for(access_key, service, protocol, operation, params, region, request.url, request.method)
    return None if refusal is None else _response(protocol, refusal)


def _operation(request: Request, service: str) -> tuple[str, str, dict] | None:
    """(protocol, operation, parameters) of a signed request, as botocore names them."""
    target = request.headers.get("X-Amz-Target")
    if target:
        try:
            params = json.loads(request.get_data() or b"{}")
        except ValueError:
            params = {}
        return "json", target.rsplit(".", 1)[-1], params if isinstance(params, dict) else {}
    if request.mimetype == "application/x-www-form-urlencoded":
        form = {k: v[0] for k, v in parse_qs(request.get_data(as_text=True)).items()}
        if "Action" in form:
            return "query", form.pop("Action"), form
    if service == "s3":
        return _s3_operation(request)
    if service == "lambda":
        invoke = _INVOKE_PATH.match(request.path)
        if invoke and request.method == "POST":
            params = {"FunctionName": unquote(invoke.group(1))}
            if request.args.get("Qualifier"):
                params["Qualifier"] = request.args["Qualifier"]
            return "rest-json", "Invoke", params
    return None


def _s3_operation(request: Request) -> tuple[str, str, dict] | None:
    """S3's REST API, virtual-hosted (bucket.s3.region.amazonaws.com/key) or path-style (/bucket/key)."""
    virtual = _VIRTUAL_HOST.match(request.host)
    if virtual:
        bucket, key = virtual.group(1), request.path.lstrip("/")
    else:
        bucket, _, key = request.path.lstrip("/").partition("/")
    key = unquote(key)
    method, args = request.method, request.args
    if not bucket:
        return ("rest-xml", "ListBuckets", {}) if method == "GET" else None
    params: dict = {"Bucket": bucket}
    if key:
        params["Key"] = key
        if "uploadId" in args:
            operation = {"PUT": "UploadPart", "POST": "CompleteMultipartUpload",
                         "DELETE": "AbortMultipartUpload"}.get(method)
        elif "uploads" in args:
            operation = "CreateMultipartUpload"
        elif method == "PUT" and "x-amz-copy-source" in request.headers:
            operation = "CopyObject"
        else:
            operation = {"GET": "GetObject", "HEAD": "HeadObject", "PUT": "PutObject",
                         "DELETE": "DeleteObject"}.get(method)
        return ("rest-xml", operation, params) if operation else None
    if method == "POST" and "delete" in args:
        keys = re.findall(rb"<Key>(.*?)</Key>", request.get_data())
        params["Delete"] = {"Objects": [{"Key": unquote(k.decode())} for k in keys]}
        return "rest-xml", "DeleteObjects", params
    if method == "GET" and not args.keys() - {"list-type", "prefix", "delimiter", "max-keys", "continuation-token",
                                               "start-after", "encoding-type", "marker", "x-id"}:
        return "rest-xml", "ListObjectsV2" if args.get("list-type") == "2" else "ListObjects", params
    operation = {"PUT": "CreateBucket", "DELETE": "DeleteBucket", "HEAD": "HeadBucket"}.get(method)
    return ("rest-xml", operation, params) if operation and not args else None


def _response(protocol: str, refusal: iam.Denial) -> Response:
    if protocol in ("json", "rest-json"):
        return Response(json.dumps({"__type": refusal.code, "message": refusal.message}), status=refusal.status,
                        headers={"x-amzn-ErrorType": refusal.code}, mimetype="application/json")
    message = _xml_escape(refusal.message)
    if protocol == "query":
        body = (f'<ErrorResponse><Error><Type>Sender</Type><Code>{refusal.code}</Code><Message>{message}</Message>'
                f'</Error><RequestId>lambda-local</RequestId></ErrorResponse>')
    else:
        body = (f'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>{refusal.code}</Code>'
                f'<Message>{message}</Message><RequestId>lambda-local</RequestId></Error>')
    return Response(body, status=refusal.status, mimetype="application/xml")


def _xml_escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
