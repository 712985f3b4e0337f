"""Application Load Balancer requests to a Lambda target group."""

from __future__ import annotations

import random
from collections.abc import Mapping
from typing import Any

from ._common import (
    DEFAULT_ACCOUNT_ID,
    DEFAULT_PARTITION,
    DEFAULT_REGION,
    TimeLike,
    arn,
    check_location,
    dns_suffix,
    given,
    random_digits,
    random_hex,
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
    merge_headers,
    parse_query,
    trace_id,
)


def alb_event(
    *,
    method: str = "POST",
    path: str = "/path/to/resource",
    body: str | bytes | Mapping[str, Any] | None = '{"test":"body"}',
    is_base64_encoded: bool = False,
    headers: HeaderInput | None = None,
    query: QueryInput = None,
    multi_value_headers: bool = False,
    target_group: str = "lambda-target",
    target_group_arn: str | None = None,
    source_ip: str = DEFAULT_SOURCE_IP,
    user_agent: str = DEFAULT_USER_AGENT,
    time: TimeLike = None,
    region: str = DEFAULT_REGION,
    account_id: str = DEFAULT_ACCOUNT_ID,
    partition: str = DEFAULT_PARTITION,
    rng: random.Random | None = None,
) -> dict[str, Any]:
    """A request an ALB forwards to a Lambda target.

    Query values stay percent-encoded, as ALB leaves them. With ``multi_value_headers`` (the
    target group attribute ``lambda.multi_value_headers.enabled``) headers and query come as
    lists under ``multiValueHeaders``/``multiValueQueryStringParameters`` instead.

    >>> event = alb_event(method="GET", path="/health", body=None, query="q=a%20b")
    >>> event["queryStringParameters"], event["body"]
    ({'q': 'a%20b'}, '')
    """
    check_location(region, account_id, partition)
    method, path = check_method(method), check_path(path)
    when = to_datetime(time)
    _, pairs = parse_query(query, decode=False)
    body_text, encoded = encode_body(body, is_base64_encoded)
    host = f"{target_group}-{random_digits(9, rng)}.{region}.elb.{dns_suffix(partition)}"
    merged = merge_headers({
        "accept": "*/*",
        "host": host,
        "user-agent": user_agent,
        "x-amzn-trace-id": trace_id(when, rng),
        "x-forwarded-for": source_ip,
        "x-forwarded-port": "80",
        "x-forwarded-proto": "http",
    }, headers)
    lowered = {name.lower(): values for name, values in merged.items()}
    queries = group(pairs)
    target = given(target_group_arn, arn("elasticloadbalancing", f"targetgroup/{target_group}/{random_hex(16, rng)}",
                                         region=region, account_id=account_id, partition=partition))
    event: dict[str, Any] = {"requestContext": {"elb": {"targetGroupArn": target}}, "httpMethod": method, "path": path}
    if multi_value_headers:
        event["multiValueQueryStringParameters"] = queries
        event["multiValueHeaders"] = lowered
    else:
        # Without multi-value support ALB keeps the last value of a repeated name.
        event["queryStringParameters"] = {name: values[-1] for name, values in queries.items()}
        event["headers"] = {name: values[-1] for name, values in lowered.items()}
    # ALB sends an empty string, never null, for a request without a body.
    event["body"] = "" if body_text is None else body_text
    event["isBase64Encoded"] = encoded
    return event
