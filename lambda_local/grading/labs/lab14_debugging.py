"""Lab 14: debugging. A checkout function fails three ways (a price sent as a string, an order without a coupon,
a large order that times out); each check sends the order that shows one bug and nothing else.
"""

from __future__ import annotations

import json

from ..checks import Failure, check, describe_invocation_error, show

LAB = "14-debugging"
TITLE = "Debugging a checkout function"

FUNCTION = "checkout"
TIMEOUT_S = 1


def _checkout(lab, order: dict, expected_total: float, hint: str):
    lab.deploy(FUNCTION, Timeout=TIMEOUT_S)
    record = lab.invoke(FUNCTION, {"body": json.dumps(order)})
    if record.error_type:
        report = " ".join(f for f in (record.report or "").split("\t") if f.startswith("Status"))
        return Failure(expected=f"a total of {expected_total} for {show(order, 200)}",
                       got=f"{describe_invocation_error(record)} {report}".strip(), hint=hint)
    payload = record.payload if isinstance(record.payload, dict) else {}
    try:
        body = json.loads(payload.get("body") or "null")
    except ValueError:
        body = None
    if payload.get("statusCode") != 200 or not isinstance(body, dict) or body.get("total") != expected_total:
        return Failure(expected=f'200 and {{"order_id": "{order["order_id"]}", "total": {expected_total}}}',
                       got=show(payload, 200),
                       hint="Fix the bug without changing how a total is computed: subtotal minus the coupon's "
                            "discount, rounded to cents.")
    return None


@check("totals an order whose prices come as strings", points=2)
def prices_as_strings(lab):
    order = {"order_id": "o-101", "coupon": "SAVE10", "lines": [{"price": "3.50", "qty": 2}, {"price": 2, "qty": 1}]}
    return _checkout(lab, order, 8.1, hint="A TypeError at the sum: in a post mortem, `p order['lines']` shows the "
                                           "price \"3.50\" as text, as the web form sends it (text times 2 is "
                                           "\"3.503.50\"). Convert it with float() in line_total.")


@check("totals an order without a coupon", points=2)
def no_coupon(lab):
    order = {"order_id": "o-102", "lines": [{"price": 4, "qty": 2}, {"price": 1.25, "qty": 4}]}
    return _checkout(lab, order, 13.0, hint="KeyError: 'coupon': an order without a coupon has no such key. "
                                            "COUPONS.get(order.get(\"coupon\"), 0) is no discount.")


@check(f"a 40-line order finishes within the {TIMEOUT_S}-second timeout", points=2)
def large_order(lab):
    order = {"order_id": "o-103", "coupon": "SAVE25", "lines": [{"price": 1, "qty": 1}] * 40}
    return _checkout(lab, order, 30.0, hint="Sandbox.Timedout and REPORT Status: timeout: the handler ran out of "
                                            "time, no exception of yours. Reserving the stock line by line costs "
                                            "50 ms a line; reserve_stock takes the whole list in one call.")
