"""Module isolation: each execution environment imports its own copy of its code and libraries.

On AWS every environment is a fresh process: the handler module, the libraries in its package, its layers and any
library that keeps module-level state (Powertools' cold-start flag) start from nothing. Here environments share one
interpreter, so an environment's modules are swapped into ``sys.modules`` while it runs and out again afterwards.

What stays shared, as the runtime-provided SDK stays shared on AWS: the standard library, boto3 and its
dependencies, and the libraries this runtime itself depends on (moto, Jupyter, matplotlib, ...) — swapping those
would break the mock they run on, and compiled extensions cannot be loaded twice.

Except where the function brings its own: on AWS the import order is the function package, then the layers, then
the runtime's packages, so a library in the package or a layer wins over the notebook's copy of it (a moto
dependency such as ``requests`` or ``xmltodict`` included). Not the SDK (boto3, botocore) nor the standard library:
a function's own botocore would talk past the mock, so the runtime's stays (the lesson on layers says so).
"""

from __future__ import annotations

import functools
import importlib.abc
import importlib.metadata
import os
import re
import sys
import sysconfig
from types import ModuleType

__all__ = ["ModuleSpace"]

# Marks a name that was not in sys.modules; a module object so that saved entries are all of sys.modules' type.
_MISSING = ModuleType("<missing>")

# boto3 and what it brings: the SDK the Python runtime provides.
_SDK = {"boto3", "botocore", "s3transfer", "jmespath", "dateutil", "urllib3", "six"}
# Test and notebook machinery that must never be swapped out from under the process that drives the runtime.
_HOST_TOOLS = {"lambda_local", "pytest", "_pytest", "pluggy", "nbval", "xdist", "execnet", "hypothesis",
               "_hypothesis_pytestplugin", "_hypothesis_ftz_detector", "coverage", "iniconfig", "packaging",
               "IPython", "ipykernel", "__main__", "__mp_main__", "awscli", "_distutils_hack",
               "time_machine"}  # its patched clocks find their traveller in this one module (virtual_time.py)
_STDLIB_DIRS = tuple(
    os.path.realpath(p) + os.sep for p in {sysconfig.get_paths()["stdlib"], sysconfig.get_paths()["platstdlib"]}
)


def _requirement_name(requirement: str) -> str | None:
    if "extra ==" in requirement:
        return None
    match = re.match(r"[A-Za-z0-9][A-Za-z0-9._-]*", requirement)
    return match.group(0).lower().replace("_", "-") if match else None


@functools.lru_cache(maxsize=1)
def _shared_top_levels() -> frozenset[str]:
    """Top-level import names that every environment shares with the host process."""
    shared = set(sys.stdlib_module_names) | _SDK | _HOST_TOOLS
    roots = ["lambda-local"]
    try:
        importlib.metadata.distribution("lambda-local")
    except importlib.metadata.PackageNotFoundError:  # running from a source tree without an install
        roots = ["moto", "boto3", "jupyterlab", "ipywidgets", "matplotlib", "click"]
    seen: set[str] = set()
    while roots:
        name = roots.pop()
        if name in seen:
            continue
        seen.add(name)
        try:
            requires = importlib.metadata.requires(name) or []
        except importlib.metadata.PackageNotFoundError:
            continue
        roots.extend(filter(None, map(_requirement_name, requires)))
    for top, dists in importlib.metadata.packages_distributions().items():
        if any(d.lower().replace("_", "-") in seen for d in dists):
            shared.add(top)
    return frozenset(shared)


_shared_cache: dict[str, bool] = {}


def _is_shared(name: str, module: object) -> bool:
    top = name.partition(".")[0]
    cached = _shared_cache.get(top)
    if cached is not None:
        return cached
    shared = top in _shared_top_levels()
    if not shared:
        location = getattr(module, "__file__", None)
        if location is None:
            shared = not getattr(module, "__path__", None)  # built-in modules
        else:
            real = os.path.realpath(location)
            # The standard library (outside site-packages) and compiled extensions are never reloaded.
            shared = (real.startswith(_STDLIB_DIRS) and "site-packages" not in real) or real.endswith((".so", ".pyd"))
    _shared_cache[top] = shared
    return shared


class _ImportRecorder(importlib.abc.MetaPathFinder):
    """Notes every module imported for the first time while an environment is active; finds nothing itself."""

    def __init__(self) -> None:
        self.active: list[ModuleSpace] = []

    def find_spec(self, fullname, path, target=None):
        if self.active:
            self.active[-1].imported.append(fullname)
        return None


_recorder = _ImportRecorder()

# The host's shared modules as they were when an environment last started (INIT). A function that deletes or replaces
# one (``del sys.modules["json"]`` and an import) gets its own copy; the host gets its own object back, as a function
# on AWS could never reach into another process. Refreshed at each INIT, never on the warm path.
_host_shared: dict[str, ModuleType] = {}


def _install_recorder() -> None:
    if not sys.meta_path or sys.meta_path[0] is not _recorder:
        if _recorder in sys.meta_path:
            sys.meta_path.remove(_recorder)
        sys.meta_path.insert(0, _recorder)


_NEVER_OVERRIDDEN = _SDK | _HOST_TOOLS | set(sys.stdlib_module_names)


def _top_levels_in(paths: list[str]) -> frozenset[str]:
    """Top-level import names the function's package and layers provide (and may override the host's copies of)."""
    names: set[str] = set()
    for path in paths:
        try:
            entries = os.listdir(path)
        except OSError:
            continue
        for entry in entries:
            if entry.endswith((".dist-info", ".egg-info", ".pth")) or entry.startswith(("_", ".")):
                continue
            name = entry.split(".", 1)[0] if not os.path.isdir(os.path.join(path, entry)) else entry
            if entry.endswith((".py", ".so", ".pyd")) or os.path.isdir(os.path.join(path, entry)):
                names.add(name)
    return frozenset(names - _NEVER_OVERRIDDEN)


class ModuleSpace:
    """The modules of one execution environment, and the search path it imports from.

    ``enter()`` puts them into ``sys.modules`` (hiding the caller's copies), ``exit()`` takes them out again and
    restores the caller's. ``enter(fresh=True)`` is for the INIT phase: it also hides every non-shared module the
    caller has loaded, so the function imports its own copy of each library.
    """

    def __init__(self, paths: list[str], owned_dirs: list[str]):
        self.paths = list(paths)
        self._owned = tuple(os.path.realpath(d) + os.sep for d in owned_dirs)
        self._provided = _top_levels_in(self.paths)
        self.modules: dict[str, ModuleType] = {}
        self.imported: list[str] = []
        self._saved: dict[str, ModuleType] = {}
        self._saved_path: list[str] | None = None

    def enter(self, fresh: bool = False) -> None:
        meta_path = sys.meta_path
        if not meta_path or meta_path[0] is not _recorder:
            _install_recorder()
        modules = sys.modules
        if not fresh:  # a warm invocation: its own modules in front of the caller's, which come back at exit
            own = self.modules
            self._saved = {name: modules.get(name, _MISSING) for name in own}
            modules.update(own)
            self._saved_path = sys.path
            sys.path = self.paths + sys.path
            self.imported = []
            _recorder.active.append(self)
            return
        saved: dict[str, ModuleType] = {}
        if fresh:
            _shared_top_levels()  # computing it imports modules: not while iterating
            host = not _recorder.active  # a nested INIT sees what the running function did: not the host's
            provided = self._provided
            for name, module in list(modules.items()):
                if _is_shared(name, module) and name.partition(".")[0] not in provided:
                    if host:
                        _host_shared[name] = module
                else:
                    saved[name] = modules.pop(name)
        for name, module in self.modules.items():
            if name not in saved:
                saved[name] = modules.get(name, _MISSING)
            modules[name] = module
        self._saved = saved
        self._saved_path = sys.path
        sys.path = self.paths + sys.path
        self.imported = []
        _recorder.active.append(self)

    def exit(self) -> None:
        active = _recorder.active
        if active and active[-1] is self:
            active.pop()
        elif self in active:
            active.remove(self)
        modules = sys.modules
        own = self.modules
        imported = self.imported
        if imported:
            for name in own:
                current = modules.get(name)
                if current is not None:
                    own[name] = current  # keep what the function reloaded or replaced
            for name in imported:
                module = modules.get(name)
                if module is not None and self._owns(name, module):
                    own[name] = module
                elif name in _host_shared and module is not _host_shared[name]:
                    modules[name] = _host_shared[name]  # a shared module the function deleted and imported again
            self.imported = []
            for name in own:
                modules.pop(name, None)
        else:  # (nothing imported: one pass takes its modules out, keeping what it reloaded or replaced)
            pop = modules.pop
            for name in own:
                current = pop(name, None)
                if current is not None:
                    own[name] = current
        for name, module in self._saved.items():
            if module is _MISSING:
                modules.pop(name, None)
            else:
                modules[name] = module
        self._saved = {}
        if self._saved_path is not None:
            sys.path = self._saved_path
            self._saved_path = None

    def _owns(self, name: str, module: object) -> bool:
        location = getattr(module, "__file__", None)
        if location and os.path.realpath(location).startswith(self._owned):
            return True
        return not _is_shared(name, module)
