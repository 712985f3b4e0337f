"""Lesson 06, cold starts (`notebooks/06_cold_starts.ipynb`): keep one request's data out of module level;
do slow set-up once per environment, at module level."""

from __future__ import annotations

from ._core import exercise, right, wrong
from ._run import invoke_source, outcome, show

LESSON = "cold_starts"

LEAKY = '''
items = []     # module level: shared by every request this environment serves

def lambda_handler(event, context):
    items.append(event["item"])
    return {"items in this order": items}
'''

PER_REQUEST = '''
def lambda_handler(event, context):
    items = []     # inside the handler: a new list for every request
    items.append(event["item"])
    return {"items in this order": items}
'''


@exercise("06.1", "One order's items stay in one order",
          hint="module-level names live as long as the environment; make the list inside the handler, "
               "as its first line",
          right_sample=PER_REQUEST, wrong_sample=LEAKY, solution="ORDER_CODE = '''" + PER_REQUEST + "'''")
def per_request_state(source):
    orders = ["book", "pen", "lamp"]
    results = invoke_source(source, [{"item": item} for item in orders])
    if isinstance(results, str):
        yield wrong(results)
        return
    for number, (item, result) in enumerate(zip(orders, results), start=1):
        state = "cold" if result.cold_start else "warm"
        expected = {"items in this order": [item]}
        if not result.error_type and result.payload == expected:
            yield right(f"order {number} ({state}) → {show(expected)}")
        else:
            yield wrong(f"order {number} ({state}) → {outcome(result)}; expected {show(expected)}")
            if result.error_type:
                return  # the next orders would fail the same way


LOADS_EVERY_CALL = '''
loads = 0

def load_prices():
    """Stands for a slow read of a price list from S3 or a database."""
    global loads
    loads += 1
    return {"book": 12.5, "pen": 1.25}

def lambda_handler(event, context):
    prices = load_prices()
    return {"total": prices[event["item"]] * event["quantity"], "price list loads": loads}
'''

LOADS_ONCE = '''
loads = 0

def load_prices():
    """Stands for a slow read of a price list from S3 or a database."""
    global loads
    loads += 1
    return {"book": 12.5, "pen": 1.25}

PRICES = load_prices()    # module level: once per environment, during INIT

def lambda_handler(event, context):
    return {"total": PRICES[event["item"]] * event["quantity"], "price list loads": loads}
'''


@exercise("06.2", "Load the price list once per environment",
          hint="call load_prices() at module level (PRICES = load_prices()) and use PRICES in the handler: "
               "module-level code runs once, during INIT",
          right_sample=LOADS_ONCE, wrong_sample=LOADS_EVERY_CALL, solution="PRICES_CODE = '''" + LOADS_ONCE + "'''")
def set_up_once(source):
    calls = [({"item": "book", "quantity": 2}, 25.0), ({"item": "pen", "quantity": 4}, 5.0),
             ({"item": "book", "quantity": 1}, 12.5)]
    results = invoke_source(source, [event for event, _ in calls])
    if isinstance(results, str):
        yield wrong(results)
        return
    for number, ((event, total), result) in enumerate(zip(calls, results), start=1):
        state = "cold" if result.cold_start else "warm"
        payload = result.payload if isinstance(result.payload, dict) else {}
        if result.error_type or payload.get("total") != total:
            yield wrong(f"call {number} ({state}) {show(event)} → {outcome(result)}; expected total {total}")
            if result.error_type:
                return  # the next calls would fail the same way
        elif payload.get("price list loads") != 1:
            yield wrong(f"call {number} ({state}): the price list was loaded {show(payload.get('price list loads'))} "
                        "times in this environment; expected once, during INIT")
        else:
            yield right(f"call {number} ({state}): total {total}, the price list loaded once in this environment")


EXERCISES = [per_request_state, set_up_once]
