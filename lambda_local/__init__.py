"""lambda_local: learn AWS Lambda offline.

Two ways in:

* ``Function``: invoke a handler directly, no AWS API needed::

      from lambda_local import Function
      fn = Function("lambda_function.lambda_handler", code="my_function/")
      print(fn.invoke({"name": "Ada"}).log)

* ``mock_aws()``: the AWS API (moto) with Lambda functions that really run, in this process::

      import boto3, lambda_local
      with lambda_local.mock_aws() as aws:
          client = boto3.client("lambda")
          ...  # create_function, invoke, S3 triggers, logs ...
          aws.advance(minutes=15)  # the virtual clock: idle environments expire, schedules fire
"""

from . import browser, outside
from .clock import VirtualClock
from .packaging import zip_package
from .runtime import Function, Invocation, ServiceError

__version__ = "0.1.0"

outside.install()  # boto3 calls for the sandbox never reach real AWS while no sandbox is running
if browser.IN_BROWSER:
    browser.debugger_as_on_the_desktop()  # pdb prints there what it prints in the desktop's kernel

__all__ = ["Function", "Invocation", "ServiceError", "VirtualClock", "mock_aws", "zip_package"]


def __getattr__(name):
    # mock_aws pulls in moto (a second to import); the direct API should not pay for it.
    if name == "mock_aws":
        from .sandbox import mock_aws

        return mock_aws
    if name == "events":
        import importlib

        return importlib.import_module(".events", __name__)
    raise AttributeError(name)
