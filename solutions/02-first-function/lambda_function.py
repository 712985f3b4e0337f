"""tip-calculator: the tip and the total for a bill, with the tip's percentage taken from the function's
configuration (the environment variable TIP_PERCENT), so it changes without a new deployment.

Invoked with {"bill": 40.0}, it answers {"tip": 6.0, "total": 46.0} when TIP_PERCENT is 15 (or not set).
"""

import os


def lambda_handler(event, context):
    bill = float(event["bill"])
    # TODO 1: read at each call, so a configuration change (which starts new environments anyway) is picked up;
    #         float() because every environment variable is a string ("18" * 40 would be a long string, not 7.2).
    percent = float(os.environ.get("TIP_PERCENT", "15"))
    tip = round(bill * percent / 100, 2)
    # TODO 2: print() goes to the function's log group in CloudWatch Logs, between START and END.
    print(f"Tip for a bill of {bill}: {tip}")
    return {"tip": tip, "total": round(bill + tip, 2)}
