"""What the HTTP events (API Gateway REST and HTTP APIs, Function URLs, ALB) share.

Requests are taken apart here once: method, path, headers, query string, body. Each event
module then lays the pieces out the way its service does.
"""

from __future__ import annotations

import base64
import binascii
import json
import random
import re
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any
from urllib.parse import parse_qsl, urlencode

from ._common import clf_time, epoch_millis, random_hex, utf8

METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS")
DEFAULT_USER_AGENT = "curl/8.5.0"
DEFAULT_SOURCE_IP = "127.0.0.1"

HeaderInput = Mapping[str, Any]
QueryInput = Any  # str, or a mapping of names to a value or a list of values


def check_method(method: str) -> str:
    """The method upper-cased, if API Gateway and ALB would pass it on."""
    if not isinstance(method, str) or method.upper() not in METHODS:
        raise ValueError(f"method must be one of {', '.join(METHODS)}; got {method!r}")
    return method.upper()


def check_path(path: str) -> str:
    """The path with its leading slash (SAM's options take it without)."""
    if not isinstance(path, str):
        raise TypeError(f"path must be a str, not {type(path).__name__}")
    if "?" in path or "#" in path:
        raise ValueError(f"path {path!r} must not hold a query string or fragment; pass query= instead")
    return path if path.startswith("/") else "/" + path


def _values(name: str, value: Any, what: str) -> list[str]:
    if isinstance(value, str):
        return [value]
    # (an empty list: a request cannot carry a name without a value, and every builder reads the last one)
    if (isinstance(value, Sequence) and not isinstance(value, bytes) and value
            and all(isinstance(v, str) for v in value)):
        return list(value)
    raise TypeError(f"{what} {name!r} must be a string or a non-empty list of strings; got {value!r}")


def merge_headers(defaults: Mapping[str, str], given: HeaderInput | None) -> dict[str, list[str]]:
    """Headers as name -> values: the service's own ones, overridden by ``given`` whatever the case."""
    if given is None:
        given = {}
    if not isinstance(given, Mapping):
        raise TypeError(f"headers must be a mapping of names to values, not {type(given).__name__}")
    merged = {name: [value] for name, value in defaults.items()}
    for name, value in given.items():
        if not isinstance(name, str) or not name:
            raise TypeError(f"header names must be non-empty strings; got {name!r}")
        for existing in [key for key in merged if key.lower() == name.lower()]:
            del merged[existing]
        merged[name] = _values(name, value, "header")
    return merged


def parse_query(query: QueryInput, *, decode: bool = True) -> tuple[str, list[tuple[str, str]]]:
    """``(raw query string, [(name, value), ...])`` from query text or a mapping.

    ALB hands values over still percent-encoded, hence ``decode=False``.
    """
    if query is None:
        return "", []
    if isinstance(query, str):
        raw = query[1:] if query.startswith("?") else query
        if decode:
            return raw, parse_qsl(raw, keep_blank_values=True)
        # "name" without "=" is a name with an empty value, as partition gives it.
        return raw, [(name, value) for name, _, value in (part.partition("=") for part in raw.split("&") if part)]
    if not isinstance(query, Mapping):
        raise TypeError(f"query must be a query string or a mapping, not {type(query).__name__}")
    pairs = [(str(name), value) for name, values in query.items() for value in _values(name, values, "query parameter")]
    try:
        return urlencode(pairs), pairs
    except UnicodeEncodeError:
        raise ValueError("query contains characters that are not valid Unicode (lone surrogates)") from None


def group(pairs: Sequence[tuple[str, str]]) -> dict[str, list[str]]:
    """Repeated names gathered: ``[("a", "1"), ("a", "2")]`` -> ``{"a": ["1", "2"]}``."""
    grouped: dict[str, list[str]] = {}
    for name, value in pairs:
        grouped.setdefault(name, []).append(value)
    return grouped


def encode_body(body: Any, is_base64_encoded: bool) -> tuple[str | None, bool]:
    """``(body text, isBase64Encoded)``: bytes are base64-encoded, a dict or list becomes JSON."""
    if body is None:
        return None, False
    if isinstance(body, (bytes, bytearray)):
        return base64.b64encode(body).decode("ascii"), True
    if isinstance(body, (Mapping, list)):
        return json.dumps(body), bool(is_base64_encoded)
    if not isinstance(body, str):
        raise TypeError(f"body must be str, bytes, a dict or a list, not {type(body).__name__}")
    if is_base64_encoded:
        try:
            base64.b64decode(body, validate=True)
        except (binascii.Error, ValueError):
            raise ValueError("is_base64_encoded is set but body is not base64 text") from None
    return body, bool(is_base64_encoded)


def match_route(template: str, path: str) -> dict[str, str] | None:
    """Path parameters of ``path`` under a route template, or None if it does not match.

    ``{name}`` takes one segment, ``{name+}`` the rest of the path (without the leading slash).

    >>> match_route("/users/{id}/{proxy+}", "/users/7/a/b")
    {'id': '7', 'proxy': 'a/b'}
    """
    if not isinstance(template, str):
        raise TypeError(f"a route template must be a str, not {type(template).__name__}")
    parts = re.split(r"\{([^{}]+)\}", template)  # literal, name, literal, name, ..., literal
    if any("{" in literal or "}" in literal for literal in parts[::2]):
        raise ValueError(f"route template {template!r} has an unbalanced brace")
    pattern = "".join(
        re.escape(part) if index % 2 == 0 else ("(.+)" if part.endswith("+") else "([^/]+)")
        for index, part in enumerate(parts)
    )
    found = re.fullmatch(pattern, path)
    names = [name.rstrip("+") for name in parts[1::2]]
    return dict(zip(names, found.groups())) if found else None


def trace_id(when: datetime, rng: random.Random | None) -> str:
    """An X-Ray trace header value, as load balancers and API Gateway add it."""
    return f"Root=1-{max(0, int(when.timestamp())):08x}-{random_hex(24, rng)}"


def payload_v2(
    *,
    method: str,
    path: str,
    route_key: str,
    stage: str,
    headers: HeaderInput | None,
    query: QueryInput,
    body: Any,
    is_base64_encoded: bool,
    path_parameters: Mapping[str, str] | None,
    stage_variables: Mapping[str, str] | None,
    api_id: str,
    domain_name: str,
    request_id: str,
    source_ip: str,
    user_agent: str,
    account_id: str,
    when: datetime,
    rng: random.Random | None,
    authorizer: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """Payload format 2.0, shared by HTTP APIs and Function URLs.

    Headers are lower-cased and repeated ones joined with commas; cookies leave the headers
    for their own list; optional parts are left out rather than null, as AWS does.
    """
    raw_query, pairs = parse_query(query)
    body_text, encoded = encode_body(body, is_base64_encoded)
    defaults = {
        "accept": "*/*",
        "host": domain_name,
        "user-agent": user_agent,
        "x-amzn-trace-id": trace_id(when, rng),
        "x-forwarded-for": source_ip,
        "x-forwarded-port": "443",
        "x-forwarded-proto": "https",
    }
    if body_text is not None:
        defaults["content-length"] = str(len(base64.b64decode(body_text) if encoded else utf8(body_text, "body")))
    lowered: dict[str, list[str]] = {}
    for name, values in merge_headers(defaults, headers).items():
        lowered.setdefault(name.lower(), []).extend(values)
    cookies = [c.strip() for value in lowered.pop("cookie", []) for c in value.split(";") if c.strip()]
    event: dict[str, Any] = {
        "version": "2.0",
        "routeKey": route_key,
        "rawPath": path,
        "rawQueryString": raw_query,
    }
    if cookies:
        event["cookies"] = cookies
    event["headers"] = {name: ",".join(values) for name, values in lowered.items()}
    if pairs:
        event["queryStringParameters"] = {name: ",".join(values) for name, values in group(pairs).items()}
    context: dict[str, Any] = {
        "accountId": account_id,
        "apiId": api_id,
        "domainName": domain_name,
        "domainPrefix": domain_name.split(".", 1)[0],
        "http": {"method": method, "path": path, "protocol": "HTTP/1.1", "sourceIp": source_ip,
                 "userAgent": user_agent},
        "requestId": request_id,
        "routeKey": route_key,
        "stage": stage,
        "time": clf_time(when),
        "timeEpoch": epoch_millis(when),
    }
    if authorizer is not None:
        context["authorizer"] = dict(authorizer)
    event["requestContext"] = context
    if body_text is not None:
        event["body"] = body_text
    if path_parameters:
        event["pathParameters"] = dict(path_parameters)
    if stage_variables:
        event["stageVariables"] = dict(stage_variables)
    event["isBase64Encoded"] = encoded
    return event
