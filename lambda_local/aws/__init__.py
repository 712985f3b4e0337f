"""The seam between lambda_local and moto: the only package that imports moto.

* :mod:`.patches`: every change made to moto, as a table of named patches and added routes (each with a signature
  test in ``tests/test_moto_bridge.py``);
* :mod:`.validation`: AWS's checks on Lambda API requests that moto leaves out;
* :mod:`.state`: moto's state read and written in AWS's terms ("not found" is ``None``), and moto's lifecycle.

Everything else in lambda_local talks to moto through these modules, or to AWS's API through boto3.
This package's ``__init__`` imports nothing, so importing :mod:`.state` never pulls in the patch table.
"""
