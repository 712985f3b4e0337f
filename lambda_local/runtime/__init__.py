"""The Lambda runtime: functions, execution environments, invocations.

How one invocation runs (``invoke.py``): the request is checked; an environment is leased from the function's pool
(``pool.EnvironmentPool.lease``: given back exactly once); the environment gets its turn in this process
(``execution.ExecutionLock``: environments run one at a time, concurrency is counted as AWS counts it); INIT runs on
a cold start; the language runtime runs the event behind the executor seam (``executor.RuntimeExecutor``; Python
in-process is ``python_runtime.PythonExecutor``, Node.js in a process of its own ``nodejs.executor.NodeExecutor``)
under a stopper (``timeouts.Stopper``: signals, a worker thread or
``sys.monitoring``); the platform frames the log and bills; the service records it.
"""

from .errors import ServiceError
from .function import Function, FunctionConfig
from .invocation import Invocation

__all__ = ["Function", "FunctionConfig", "Invocation", "ServiceError"]
