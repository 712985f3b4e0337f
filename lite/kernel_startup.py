"""The browser edition's kernel, as it starts: IPython runs this file (``PYTHONSTARTUP``, which scripts/build_lite.py
sets in jupyter-lite.json's ``loadPyodideOptions.env``; the build ships it as a wheel of its own).

The kernel starts with only what it and lesson 01's first cell import (``PRELOAD``), so the first output does not wait
for the rest. Once the first cell has run, the rest of the course's packages (``LAMBDA_LOCAL_BACKGROUND``: Powertools,
the SAM translator, API Gateway's OpenAPI validator, jedi for IPython's completions, ...) load in the background, and
every later cell waits for them before it runs: a lesson's code finds them installed, as it would have had the
kernel loaded them as it started.
Should a first cell need one itself (a handler importing Powertools, moto's API Gateway importing the validator),
its import waits for them where the browser lets Python wait for JavaScript (JavaScript Promise Integration: Chrome
and Edge); elsewhere it fails with a message saying to run the cell again.

It also has Python search the notebook's folder (``''`` on ``sys.path``) last: that folder is JupyterLite's drive,
which answers every ``stat`` through the service worker (9 ms each, measured in Chromium), and Python stats the first
folder of ``sys.path`` for every top-level import: a second of lesson 01's first cell. Searched last, it is asked only
for what nothing installed has (a learner's own modules: none of the course's shares a name with an installed one).
"""


def _lambda_local_background() -> None:
    import importlib.machinery
    import importlib.util
    import os
    import sys

    import pyodide_js
    from IPython import get_ipython
    from pyodide.ffi import JsException, can_run_sync, run_sync, to_js

    packages = os.environ.get("LAMBDA_LOCAL_BACKGROUND", "").split()
    modules = frozenset(os.environ.get("LAMBDA_LOCAL_BACKGROUND_MODULES", "").split())
    shell = get_ipython()
    if not packages or shell is None:
        return
    loading: list = []  # the loadPackage promise, once started; emptied once it has settled

    def loaded() -> None:
        """The background's packages are installed: IPython completes with jedi now that it is one of them (it
        decided it had none as the kernel started, IPython.core.completer.JEDI_INSTALLED)."""
        loading.clear()
        from IPython.core import completer

        if importlib.util.find_spec("jedi") is not None and not shell.Completer.use_jedi:
            completer.JEDI_INSTALLED = True
            shell.Completer.use_jedi = True

    def start(*_result) -> None:
        if not loading and packages:
            loading.append(pyodide_js.loadPackage(to_js(packages)))
            packages.clear()  # started once

    async def settled(lines: list[str]) -> list[str]:
        """A cell's first transform (pyodide-kernel awaits it before it loads the cell's own imports and runs it)."""
        if loading:
            try:
                await loading[0]
            except JsException as error:  # a download failed: say so once, and let the cell run (its import will fail)
                print(f"the course's packages did not all load: {error}", file=sys.stderr)
            loaded()
        return lines

    class _WaitForBackground:
        """A module of a package still loading, imported by code no cell names (a handler, moto's API Gateway, one
        of moto's services the kernel did not load as it started)."""

        @staticmethod
        def find_spec(name, path=None, target=None):
            if name not in modules or not (loading or packages):
                return None
            if importlib.machinery.PathFinder.find_spec(name, path) is not None:
                return None  # loaded already (a cell imported it by name)
            if not can_run_sync():
                raise ModuleNotFoundError(f"{name} is still loading in the background: run the cell again in a "
                                          f"moment", name=name)
            start()
            try:
                run_sync(loading[0])
            finally:
                loaded()
            importlib.invalidate_caches()
            return None  # the standard finders find it now

    shell.events.register("post_run_cell", start)
    shell.kernel.lite_transform_manager.cleanup_transforms.insert(0, settled)
    sys.meta_path.insert(0, _WaitForBackground)


def _notebook_folder_last() -> None:
    import sys

    if "" in sys.path:
        sys.path.remove("")
        sys.path.append("")


_lambda_local_background()
_notebook_folder_last()
del _lambda_local_background, _notebook_folder_last
