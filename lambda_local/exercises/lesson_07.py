"""Lesson 07, packaging (`notebooks/07_packaging.ipynb`): lay out a layer so Python finds its module; write
the handler string of a package whose handler is not at the root."""

from __future__ import annotations

import re

from ._core import exercise, right, wrong
from ._run import invoke_package, outcome, show

LESSON = "packaging"

MONEY = '''
def cents(amount):
    # 12.5 -> 1250: money in whole cents, as payment APIs want it
    return round(amount * 100)
'''
_USES_MONEY = '''
import money

def lambda_handler(event, context):
    return {"cents": money.cents(event["amount"]), "from": money.__file__}
'''


@exercise("07.1", "A layer Python can import from",
          hint="a layer is unzipped into /opt, and Python looks in /opt/python (and "
               "/opt/python/lib/python3.12/site-packages): put the module at python/money.py in the zip",
          right_sample={"python/money.py": MONEY}, wrong_sample={"money.py": MONEY},
          solution='money_layer = {"python/money.py": MONEY}')
def layer_layout(files):
    if not isinstance(files, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in files.items()):
        yield wrong(f"give the layer as a dict: path in the zip → the file's text; got {show(files)}")
        return
    [result] = invoke_package({"lambda_function.py": _USES_MONEY}, "lambda_function.lambda_handler",
                              [{"amount": 12.5}], layers=[files])
    if result.error_type:
        yield wrong(f"a function with this layer → {outcome(result)}")
        yield wrong(f"the layer's files land in /opt as {', '.join('/opt/' + name for name in files)}; "
                    "Python does not look there")
        return
    payload = result.payload
    found_at = re.sub(r"^.*/layer-\d+/", "/opt/", str(payload.get("from")))  # where AWS unzips the layer
    yield right(f"import money works: the module was found at {found_at}")
    if payload.get("cents") == 1250:
        yield right("money.cents(12.5) → 1250")
    else:
        yield wrong(f"money.cents(12.5) → {show(payload.get('cents'))}; expected 1250: keep MONEY's code as it is")


_APP = {
    "src/__init__.py": "",
    "src/orders/__init__.py": "",
    "src/orders/api.py": '''
def create_order(event, context):
    return {"created": event["item"]}
''',
}


@exercise("07.2", "The handler string of a nested module",
          hint="module path with dots from the root of the zip, then a dot and the function's name: "
               "folder.subfolder.file.function",
          right_sample="src.orders.api.create_order", wrong_sample="api.create_order",
          solution='handler = "src.orders.api.create_order"   # src/orders/api.py, function create_order')
def nested_handler(handler):
    if not isinstance(handler, str):
        yield wrong(f"a handler string is text such as \"lambda_function.lambda_handler\", "
                    f"not {type(handler).__name__}")
        return
    [result] = invoke_package(_APP, handler, [{"item": "book"}])
    if result.error_type:
        yield wrong(f"Handler={handler!r} → {outcome(result)}")
    elif result.payload == {"created": "book"}:
        yield right(f"Handler={handler!r} → {show(result.payload)}")
    else:
        yield wrong(f"Handler={handler!r} → {outcome(result)}; expected the result of create_order")


EXERCISES = [layer_layout, nested_handler]
