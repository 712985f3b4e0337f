"""Amazon API Gateway proxy integrations: REST APIs (payload 1.0) and HTTP APIs (payload 2.0), and the request an
HTTP API sends its Lambda authorizer."""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from typing import Any

from ._common import (
    DEFAULT_ACCOUNT_ID,
    DEFAULT_PARTITION,
    DEFAULT_REGION,
    TimeLike,
    arn,
    check_choice,
    check_location,
    clf_time,
    dns_suffix,
    epoch_millis,
    given,
    new_uuid,
    random_base64,
    random_chars,
    str_list,
    str_map,
    to_datetime,
)
from ._http import (
    DEFAULT_SOURCE_IP,
    DEFAULT_USER_AGENT,
    HeaderInput,
    QueryInput,
    check_method,
    check_path,
    encode_body,
    group,
    match_route,
    merge_headers,
    parse_query,
    payload_v2,
    trace_id,
)


def _path_parameters(template: str, path: str, given_parameters: Mapping[str, str] | None) -> dict[str, str]:
    # Explicit parameters win; otherwise they are read off the path the way the router would.
    if given_parameters is not None:
        return str_map(given_parameters, "path_parameters")
    found = match_route(template, path)
    if found is None:
        raise ValueError(f"path {path!r} does not match the route {template!r}")
    return found


def _execute_api_domain(api_id: str, region: str, partition: str) -> str:
    return f"{api_id}.execute-api.{region}.{dns_suffix(partition)}"


def rest_api_event(
    *,
    method: str = "POST",
    path: str = "/path/to/resource",
    resource: str | None = None,
    stage: str = "prod",
    body: str | bytes | Mapping[str, Any] | None = '{"test":"body"}',
    is_base64_encoded: bool = False,
    headers: HeaderInput | None = None,
    query: QueryInput = None,
    path_parameters: Mapping[str, str] | None = None,
    stage_variables: Mapping[str, str] | None = None,
    api_id: str | None = None,
    resource_id: str | None = None,
    request_id: str | None = None,
    source_ip: str = DEFAULT_SOURCE_IP,
    user_agent: str = DEFAULT_USER_AGENT,
    domain_name: str | None = None,
    time: TimeLike = None,
    region: str = DEFAULT_REGION,
    account_id: str = DEFAULT_ACCOUNT_ID,
    partition: str = DEFAULT_PARTITION,
    rng: random.Random | None = None,
    authorizer: Mapping[str, Any] | None = None,
    identity: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """A REST API Lambda proxy (``AWS_PROXY``) request, payload format 1.0.

    ``resource`` is the matched resource; by default ``/{proxy+}`` (``/`` for the root path),
    and ``pathParameters`` are read off ``path`` with it. ``query`` is query text (``"a=1&a=2"``)
    or a mapping; ``headers`` values may be lists. Absent parts are ``null``, as on AWS.
    ``authorizer`` is ``requestContext.authorizer`` (absent without one); ``identity`` fills the caller's fields of
    ``requestContext.identity`` (IAM authorization: ``accessKey``, ``caller``, ``userArn``...).

    >>> event = rest_api_event(method="GET", path="/users/7", resource="/users/{id}", query="expand=1")
    >>> event["pathParameters"], event["queryStringParameters"], event["requestContext"]["path"]
    ({'id': '7'}, {'expand': '1'}, '/prod/users/7')
    """
    check_location(region, account_id, partition)
    method, path = check_method(method), check_path(path)
    resource = given(resource, "/" if path == "/" else "/{proxy+}")
    when = to_datetime(time)
    api_id = given(api_id, random_chars(10, rng))
    domain_name = given(domain_name, _execute_api_domain(api_id, region, partition))
    parameters = _path_parameters(resource, path, path_parameters)
    _, pairs = parse_query(query)
    body_text, encoded = encode_body(body, is_base64_encoded)
    headers_out = merge_headers({
        "Accept": "*/*",
        "Host": domain_name,
        "User-Agent": user_agent,
        "X-Amzn-Trace-Id": trace_id(when, rng),
        "X-Forwarded-For": source_ip,
        "X-Forwarded-Port": "443",
        "X-Forwarded-Proto": "https",
    }, headers)
    queries = group(pairs)
    stage_vars = str_map(stage_variables, "stage_variables")
    event: dict[str, Any] = {
        "resource": resource,
        "path": path,
        "httpMethod": method,
        # The single-value maps keep the last value of a repeated name, as REST APIs do.
        "headers": {name: values[-1] for name, values in headers_out.items()},
        "multiValueHeaders": headers_out,
        "queryStringParameters": {name: values[-1] for name, values in queries.items()} or None,
        "multiValueQueryStringParameters": queries or None,
        "pathParameters": parameters or None,
        "stageVariables": stage_vars or None,
        "requestContext": {
            "accountId": account_id,
            "apiId": api_id,
            "domainName": domain_name,
            "domainPrefix": api_id,
            "extendedRequestId": random_base64(11, rng),
            "httpMethod": method,
            "identity": {**_identity(source_ip, user_agent), **(identity or {})},
            "path": f"/{stage}{path}",
            "protocol": "HTTP/1.1",
            "requestId": given(request_id, new_uuid(rng)),
            "requestTime": clf_time(when),
            "requestTimeEpoch": epoch_millis(when),
            "resourceId": given(resource_id, random_chars(6, rng)),
            "resourcePath": resource,
            "stage": stage,
        },
        "body": body_text,
        "isBase64Encoded": encoded,
    }
    if authorizer is not None:
        event["requestContext"]["authorizer"] = dict(authorizer)
    return event


def _identity(source_ip: str, user_agent: str) -> dict[str, Any]:
    # Without IAM or Cognito auth every caller field is null; only the network facts are known.
    unknown = ("accessKey", "accountId", "caller", "cognitoAuthenticationProvider", "cognitoAuthenticationType",
               "cognitoIdentityId", "cognitoIdentityPoolId", "principalOrgId", "user", "userArn")
    return {**dict.fromkeys(unknown), "sourceIp": source_ip, "userAgent": user_agent}


def http_api_event(
    *,
    method: str = "POST",
    path: str = "/path/to/resource",
    route_key: str = "$default",
    stage: str = "$default",
    body: str | bytes | Mapping[str, Any] | None = '{"test":"body"}',
    is_base64_encoded: bool = False,
    headers: HeaderInput | None = None,
    query: QueryInput = None,
    path_parameters: Mapping[str, str] | None = None,
    stage_variables: Mapping[str, str] | None = None,
    api_id: str | None = None,
    request_id: str | None = None,
    source_ip: str = DEFAULT_SOURCE_IP,
    user_agent: str = DEFAULT_USER_AGENT,
    domain_name: str | None = None,
    time: TimeLike = None,
    region: str = DEFAULT_REGION,
    account_id: str = DEFAULT_ACCOUNT_ID,
    partition: str = DEFAULT_PARTITION,
    authorizer: Mapping[str, Any] | None = None,
    rng: random.Random | None = None,
) -> dict[str, Any]:
    """An HTTP API Lambda proxy request, payload format 2.0.

    ``authorizer`` is ``requestContext.authorizer``: what the route's authorizer passed on (``{"lambda": context}``
    for a Lambda authorizer).

    ``route_key`` is ``$default`` or ``"METHOD /route/{param}"``; with a route, ``pathParameters``
    are read off ``path``. A named stage prefixes the raw path, as on AWS.

    >>> event = http_api_event(method="GET", path="/items/9", route_key="GET /items/{id}",
    ...                        headers={"Cookie": "a=1; b=2"}, query="q=x&q=y")
    >>> event["pathParameters"], event["cookies"], event["queryStringParameters"]
    ({'id': '9'}, ['a=1', 'b=2'], {'q': 'x,y'})
    """
    check_location(region, account_id, partition)
    method, path = check_method(method), check_path(path)
    if not isinstance(route_key, str):
        raise TypeError(f"route_key must be a str, not {type(route_key).__name__}")
    route = route_key.split(" ", 1)[1] if " " in route_key else None  # "$default" has no route to match
    if route:
        parameters = _path_parameters(route, path, path_parameters)
    else:
        parameters = str_map(path_parameters, "path_parameters")
    api_id = given(api_id, random_chars(10, rng))
    return payload_v2(
        method=method,
        path=path if stage == "$default" else f"/{stage}{path}",
        route_key=route_key,
        stage=stage,
        headers=headers,
        query=query,
        body=body,
        is_base64_encoded=is_base64_encoded,
        path_parameters=parameters,
        stage_variables=str_map(stage_variables, "stage_variables"),
        api_id=api_id,
        domain_name=given(domain_name, _execute_api_domain(api_id, region, partition)),
        # HTTP API request ids are short base64 strings such as "JKJaXmPLvHcESHA=".
        request_id=given(request_id, random_base64(11, rng)),
        source_ip=source_ip,
        user_agent=user_agent,
        account_id=account_id,
        when=to_datetime(time),
        rng=rng,
        authorizer=authorizer,
    )


def http_api_authorizer_event(
    *,
    method: str = "GET",
    path: str = "/path/to/resource",
    route_key: str = "$default",
    stage: str = "$default",
    identity_source: Sequence[str] | None = ("secretToken",),
    payload_format_version: str = "2.0",
    headers: HeaderInput | None = None,
    query: QueryInput = None,
    path_parameters: Mapping[str, str] | None = None,
    stage_variables: Mapping[str, str] | None = None,
    api_id: str | None = None,
    request_id: str | None = None,
    source_ip: str = DEFAULT_SOURCE_IP,
    user_agent: str = DEFAULT_USER_AGENT,
    domain_name: str | None = None,
    time: TimeLike = None,
    region: str = DEFAULT_REGION,
    account_id: str = DEFAULT_ACCOUNT_ID,
    partition: str = DEFAULT_PARTITION,
    rng: random.Random | None = None,
) -> dict[str, Any]:
    """The request an HTTP API sends its Lambda authorizer (``AuthorizerType`` REQUEST), payload format 2.0 or 1.0.

    ``identity_source`` holds the values of the authorizer's identity sources, in their order. Format 2.0 is the
    integration's request without its body, with ``type``, ``routeArn`` and ``identitySource`` (a list); format 1.0
    is the REST API's REQUEST authorizer shape, with ``methodArn`` and ``identitySource`` joined by commas.

    >>> event = http_api_authorizer_event(method="GET", path="/pets/7", route_key="GET /pets/{id}",
    ...                                   api_id="abcdef123", identity_source=["user1", "123"])
    >>> event["type"], event["identitySource"], event["pathParameters"]
    ('REQUEST', ['user1', '123'], {'id': '7'})
    >>> event["routeArn"]
    'arn:aws:execute-api:us-east-1:123456789012:abcdef123/$default/GET/pets/7'
    >>> http_api_authorizer_event(payload_format_version="1.0", identity_source=["a", "b"])["authorizationToken"]
    'a,b'
    """
    check_choice(payload_format_version, ("1.0", "2.0"), "payload_format_version")
    identities = str_list(identity_source, "identity_source")
    method, path = check_method(method), check_path(path)
    api_id = given(api_id, random_chars(10, rng))
    route_arn = arn("execute-api", f"{api_id}/{stage}/{method}{path}", region=region, account_id=account_id,
                    partition=partition)
    common = {"method": method, "path": path, "stage": stage, "headers": headers, "query": query,
              "path_parameters": path_parameters, "stage_variables": stage_variables, "api_id": api_id,
              "request_id": request_id, "source_ip": source_ip, "user_agent": user_agent,
              "domain_name": domain_name, "time": time, "region": region, "account_id": account_id,
              "partition": partition, "rng": rng}
    if payload_format_version == "1.0":
        route = route_key.split(" ", 1)[1] if " " in route_key else path
        request = rest_api_event(resource=route, body=None, **common)
        return {
            "version": "1.0", "type": "REQUEST", "methodArn": route_arn,
            "identitySource": ",".join(identities), "authorizationToken": ",".join(identities),
            "resource": request["resource"], "path": request["path"], "httpMethod": method,
            "headers": request["headers"], "queryStringParameters": request["queryStringParameters"],
            "pathParameters": request["pathParameters"] or {}, "stageVariables": request["stageVariables"] or {},
            "requestContext": request["requestContext"],
        }
    request = http_api_event(route_key=route_key, body=None, **common)
    event: dict[str, Any] = {"version": "2.0", "type": "REQUEST", "routeArn": route_arn, "identitySource": identities}
    event.update((name, value) for name, value in request.items() if name not in ("version", "body", "isBase64Encoded"))
    return event


def websocket_event(
    *,
    event_type: str = "MESSAGE",
    route_key: str = "$default",
    body: str | None = '{"action":"sendmessage","message":"hello"}',
    connection_id: str | None = None,
    stage: str = "production",
    headers: HeaderInput | None = None,
    query: QueryInput = None,
    connected_at: TimeLike = None,
    disconnect_status_code: int = 1005,
    disconnect_reason: str = "Client-side close frame status not set",
    api_id: str | None = None,
    request_id: str | None = None,
    source_ip: str = DEFAULT_SOURCE_IP,
    user_agent: str = DEFAULT_USER_AGENT,
    time: TimeLike = None,
    region: str = DEFAULT_REGION,
    account_id: str = DEFAULT_ACCOUNT_ID,
    partition: str = DEFAULT_PARTITION,
    authorizer: Mapping[str, Any] | None = None,
    rng: random.Random | None = None,
) -> dict[str, Any]:
    """A WebSocket API Lambda proxy request: ``event_type`` CONNECT (``$connect``, with the handshake's headers and
    query string), MESSAGE (a route, with the frame's ``body``) or DISCONNECT (``$disconnect``).

    ``authorizer`` is ``requestContext.authorizer``: what the ``$connect`` Lambda authorizer passed on
    (``principalId``, ``integrationLatency`` and its ``context`` entries), for every route of the connection.

    >>> event = websocket_event(route_key="sendmessage", body='{"action":"sendmessage"}', connection_id="c1=")
    >>> event["requestContext"]["eventType"], event["requestContext"]["connectionId"], event["body"]
    ('MESSAGE', 'c1=', '{"action":"sendmessage"}')
    >>> sorted(websocket_event(event_type="CONNECT", route_key="$connect"))
    ['headers', 'isBase64Encoded', 'multiValueHeaders', 'requestContext']
    """
    check_location(region, account_id, partition)
    check_choice(event_type, ("CONNECT", "MESSAGE", "DISCONNECT"), "event_type")
    when = to_datetime(time)
    api_id = given(api_id, random_chars(10, rng))
    domain_name = _execute_api_domain(api_id, region, partition)
    identity: dict[str, Any] = {"sourceIp": source_ip} if event_type == "MESSAGE" else {
        "userAgent": user_agent, "sourceIp": source_ip}
    context: dict[str, Any] = {"routeKey": route_key}
    if event_type == "MESSAGE":
        context["messageId"] = random_base64(8, rng)
    if event_type == "DISCONNECT":
        context["disconnectStatusCode"] = disconnect_status_code
    context.update({"eventType": event_type, "extendedRequestId": random_base64(11, rng),
                    "requestTime": clf_time(when), "messageDirection": "IN"})
    if event_type == "DISCONNECT":
        context["disconnectReason"] = disconnect_reason
    context.update({"stage": stage, "connectedAt": epoch_millis(to_datetime(connected_at if connected_at is not None
                                                                             else when)),
                    "requestTimeEpoch": epoch_millis(when), "identity": identity,
                    "requestId": given(request_id, random_base64(11, rng)), "domainName": domain_name,
                    "connectionId": given(connection_id, random_base64(8, rng)), "apiId": api_id})
    if authorizer is not None:
        context["authorizer"] = dict(authorizer)
    event: dict[str, Any] = {}
    if event_type == "CONNECT":
        merged = merge_headers({"Host": domain_name, "Sec-WebSocket-Version": "13", "X-Forwarded-For": source_ip,
                                "X-Forwarded-Port": "443", "X-Forwarded-Proto": "https"}, headers)
        event["headers"] = {name: values[-1] for name, values in merged.items()}
        event["multiValueHeaders"] = merged
        _, pairs = parse_query(query)
        if pairs:
            queries = group(pairs)
            event["queryStringParameters"] = {name: values[-1] for name, values in queries.items()}
            event["multiValueQueryStringParameters"] = queries
    elif event_type == "DISCONNECT":
        merged = merge_headers({"Host": domain_name, "x-api-key": "", "X-Forwarded-For": "", "x-restapi": ""}, None)
        event["headers"] = {name: values[-1] for name, values in merged.items()}
        event["multiValueHeaders"] = merged
    event["requestContext"] = context
    if event_type == "MESSAGE":
        event["body"] = body
    event["isBase64Encoded"] = False
    return event
