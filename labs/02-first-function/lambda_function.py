"""tip-calculator: the tip and the total for a bill, with the tip's percentage taken from the function's
configuration (the environment variable TIP_PERCENT), so it changes without a new deployment.

Invoked with {"bill": 40.0}, it answers {"tip": 6.0, "total": 46.0} when TIP_PERCENT is 15 (or not set).
"""

import os


def lambda_handler(event, context):
    bill = float(event["bill"])
    # TODO 1: read the percentage from the environment variable TIP_PERCENT, 15 when it is not set. An environment
    #         variable is always a string: turn it into a number before you compute with it.
    percent = 15
    tip = round(bill * percent / 100, 2)
    # TODO 2: log one line per bill, so the logs prove what the function did, for example:
    #         Tip for a bill of 40.0: 6.0
    return {"tip": tip, "total": round(bill + tip, 2)}
