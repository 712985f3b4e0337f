"""Scale, concurrency and cost on the virtual clock: replay traffic against a function and see what Lambda does.

>>> from lambda_local import Function
>>> from lambda_local.simulate import simulate, Burst
>>> fn = Function(lambda event, context: {"ok": True}, name="hello-sim")
>>> result = simulate(fn, Burst(5000, at=0), duration_ms=200, concurrency_limit=1000)
>>> result.cold_starts, result.throttles
(1000, 4000)

``print(result.summary())`` tells the story; ``result.plot_concurrency()``, ``result.plot_latency()`` and
``result.plot_cost()`` draw it; ``result.bill()`` prices it with :mod:`lambda_local.billing`. ``tune(fn)`` runs a
handler at several memory sizes, like AWS Lambda Power Tuning.
"""

from .engine import Request, Workload, simulate
from .results import RequestRecord, SimulationResult, Timeline
from .traffic import Arrivals, Burst, ConstantRate, DailyCurve, Timestamps
from .tuning import TuningResult, tune

__all__ = ["simulate", "Workload", "Request", "ConstantRate", "Burst", "DailyCurve", "Timestamps", "Arrivals",
           "SimulationResult", "RequestRecord", "Timeline", "tune", "TuningResult"]
