"""What the browser edition's kernel imports as it starts and a lesson's first cells import after it: run inside
Pyodide under Node.js by lite/precompile.mjs (``make lite``), which then compiles every module this imported from
site-packages into /out (the site ships those as bytecode; scripts/build_lite.py ``_precompile``), and lists in
/out/preimport.json, in the order they were first imported, the modules the page's early Pyodide imports before the
kernel asks for it (scripts/build_lite.py ``_preboot_kernel``)."""

import importlib.util
import json
import os
import py_compile
import socket
import sys
import sysconfig
import zipfile

STDLIB = "python_stdlib.zip"  # the folder of /out that holds the standard library's bytecode


class _NoSocket:
    """Node's Pyodide would need npm's ``ws`` for a socket (X-Ray's daemon binds one); the build needs the imports."""

    def __init__(self, *args, **kwargs):
        pass

    def bind(self, address):
        pass

    def setblocking(self, flag):
        pass

    def getsockname(self):
        return ("127.0.0.1", 2000)

    def sendto(self, data, address):
        return len(data)

    def close(self):
        pass


socket.socket = _NoSocket

# The kernel as JupyterLite starts it (its package manager, then the kernel: IPython's shell and completer, jedi).
import piplite.piplite  # noqa: E402,F401
import pyodide_kernel  # noqa: E402,F401

# Lesson 01's first cells: a sandbox, a function invoked directly and through the Lambda API, logs.
import boto3  # noqa: E402
import lambda_local  # noqa: E402
from lambda_local import Function  # noqa: E402
from lambda_local.events import hello_world_event  # noqa: E402

with lambda_local.mock_aws(seed=1, start="2026-01-01T09:00:00Z"):
    Function(lambda event, context: event, name="startup").invoke(hello_world_event())
    iam, awslambda, s3 = boto3.client("iam"), boto3.client("lambda"), boto3.client("s3")
    s3.create_bucket(Bucket="startup")
    boto3.client("apigateway").create_rest_api(name="startup")  # lesson 04's triggers: pydantic, OpenAPI

site = "/" + sysconfig.get_paths()["purelib"].strip("/")
stdlib = os.path.dirname(os.__file__)  # the zip, /lib/python314.zip
# Imported early, before the kernel exists: not the kernel's own packages (pyodide_kernel makes the kernel as it is
# imported) nor the course's (lambda_local adapts IPython's debugger as it is imported), but everything they import.
# In first-import order (sys.modules keeps it), so each import runs as it did here.
NOT_EARLY = ("lambda_local", "pyodide_kernel", "piplite", "ipykernel", "micropip")
early = [name for name, module in list(sys.modules.items())
         if (getattr(module, "__file__", None) or "").startswith((site + "/", stdlib + "/"))
         and name.split(".")[0] not in NOT_EARLY]
with open("/out/preimport.json", "w") as file:
    json.dump(early, file)
compiled = 0
for module in list(sys.modules.values()):
    source = getattr(module, "__file__", None) or ""
    if not (source.startswith(site + "/") and source.endswith(".py")):
        continue
    target = "/out/" + source[len(site) + 1:] + "c"
    os.makedirs(os.path.dirname(target), exist_ok=True)
    # Unchecked: the wheel's file times are not the build's, and the bytecode is only ever used with its own source.
    py_compile.compile(source, cfile=target, dfile=source, doraise=True,
                       invalidation_mode=py_compile.PycInvalidationMode.UNCHECKED_HASH)
    compiled += 1
# The standard library's modules imported so far: npm's Pyodide ships it as source (python_stdlib.zip), compiled at
# every import. The others stay source (as bytecode they would add 0.6 MB to every first visit for modules a lesson
# may import later, each compiled in milliseconds then).
imported = {file[len(stdlib) + 1:] for module in list(sys.modules.values())
            if (file := getattr(module, "__file__", None) or "").startswith(stdlib + "/")}
with zipfile.ZipFile(stdlib) as archive:
    for name in archive.namelist():
        if not name.endswith(".py") or name not in imported:
            continue
        source = archive.read(name)
        # co_filename as zipimport gives it, so a traceback still finds the line (when the source is kept).
        code = compile(source, f"{stdlib}/{name}", "exec", dont_inherit=True)
        target = f"/out/{STDLIB}/{name}c"
        os.makedirs(os.path.dirname(target), exist_ok=True)
        with open(target, "wb") as file:
            file.write(importlib._bootstrap_external._code_to_hash_pyc(
                code, importlib.util.source_hash(source), checked=False))
        compiled += 1
print(f"precompile: {compiled} modules")
