"""Events Lambda itself produces: Function URL requests and the console's test event."""

from __future__ import annotations

import random
from collections.abc import Mapping
from typing import Any

from ._common import (
    DEFAULT_ACCOUNT_ID,
    DEFAULT_REGION,
    TimeLike,
    arn,
    check_choice,
    check_location,
    given,
    new_uuid,
    random_chars,
    str_map,
    to_datetime,
)
from ._http import DEFAULT_SOURCE_IP, DEFAULT_USER_AGENT, HeaderInput, QueryInput, check_method, check_path, payload_v2

AUTH_TYPES = ("NONE", "AWS_IAM")


def function_url_event(
    *,
    method: str = "GET",
    path: str = "/",
    body: str | bytes | Mapping[str, Any] | None = None,
    is_base64_encoded: bool = False,
    headers: HeaderInput | None = None,
    query: QueryInput = None,
    url_id: str | None = None,
    auth_type: str = "NONE",
    request_id: str | None = None,
    source_ip: str = DEFAULT_SOURCE_IP,
    user_agent: str = DEFAULT_USER_AGENT,
    time: TimeLike = None,
    region: str = DEFAULT_REGION,
    account_id: str = DEFAULT_ACCOUNT_ID,
    rng: random.Random | None = None,
) -> dict[str, Any]:
    """A request to a function URL ``https://<url-id>.lambda-url.<region>.on.aws``: payload 2.0.

    Route and stage are always ``$default``. With ``auth_type="AWS_IAM"`` the request context
    names the signing caller (here the account's root), as a SigV4-signed request would.

    >>> event = function_url_event(path="/hello", query="name=Ada", url_id="abc123")
    >>> event["routeKey"], event["requestContext"]["domainName"], event["queryStringParameters"]
    ('$default', 'abc123.lambda-url.us-east-1.on.aws', {'name': 'Ada'})
    """
    check_location(region, account_id)
    check_choice(auth_type, AUTH_TYPES, "auth_type")
    url_id = given(url_id, random_chars(32, rng))
    return payload_v2(
        method=check_method(method),
        path=check_path(path),
        route_key="$default",
        stage="$default",
        headers=headers,
        query=query,
        body=body,
        is_base64_encoded=is_base64_encoded,
        path_parameters=None,
        stage_variables=None,
        api_id=url_id,
        domain_name=f"{url_id}.lambda-url.{region}.on.aws",
        request_id=given(request_id, new_uuid(rng)),
        source_ip=source_ip,
        user_agent=user_agent,
        account_id=account_id,
        when=to_datetime(time),
        rng=rng,
        authorizer=_iam_authorizer(account_id) if auth_type == "AWS_IAM" else None,
    )


def _iam_authorizer(account_id: str) -> dict[str, Any]:
    return {"iam": {
        "accessKey": "AKIAIOSFODNN7EXAMPLE",
        "accountId": account_id,
        "callerId": account_id,
        "cognitoIdentity": None,
        "principalOrgId": None,
        "userArn": arn("iam", "root", account_id=account_id),
        "userId": account_id,
    }}


def hello_world_event(*, key1: str = "value1", key2: str = "value2", key3: str = "value3") -> dict[str, str]:
    """The console's default test event ("hello-world" template).

    >>> hello_world_event()
    {'key1': 'value1', 'key2': 'value2', 'key3': 'value3'}
    """
    return str_map({"key1": key1, "key2": key2, "key3": key3}, "hello-world keys")
