"""Which of the modules lite/startup.py imported (/out/preimport.json, in first-import order) the page's early Pyodide
can import before JupyterLab asks for a kernel (scripts/build_lite.py ``_preboot_kernel``): run by lite/precompile.mjs
under Node.js (``make lite``). For each step of /out/preimport-steps.json (scripts/build_lite.py BOOT_STEPS) it loads
that step's packages and imports what it can with them and the steps' before; it rewrites /out/preimport.json as one
list per step, in order. The page imports each step's list once its packages are installed, and tries nothing that
fails here (a module of a package that loads later, such as moto's API Gateway with its OpenAPI validator)."""

import importlib
import json

import pyodide_js
from pyodide.ffi import to_js

with open("/out/preimport.json") as file:
    names = json.load(file)
with open("/out/preimport-steps.json") as file:
    steps = json.load(file)
done: set[str] = set()
lists = []
for packages in steps:
    await pyodide_js.loadPackage(to_js(packages))  # noqa: F704 - run with runPythonAsync
    importlib.invalidate_caches()
    kept = []
    for name in names:
        if name in done:
            continue
        try:
            importlib.import_module(name)
        except Exception:  # noqa: BLE001 - anything that fails here is left for a later step or the kernel
            continue
        kept.append(name)
        done.add(name)
    lists.append(kept)
with open("/out/preimport.json", "w") as file:
    json.dump(lists, file)
print(f"preimport: {' + '.join(str(len(kept)) for kept in lists)} of {len(names)} modules")
