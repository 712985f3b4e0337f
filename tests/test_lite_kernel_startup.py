"""The browser edition's kernel startup file (lite/kernel_startup.py): what loads in the background, when, and what
waits for it. Pyodide and the kernel are faked as far as the file uses them (``make test-lite`` runs the real ones)."""

from __future__ import annotations

import asyncio
import sys
import types
from pathlib import Path

import pytest

STARTUP = Path(__file__).resolve().parent.parent / "lite" / "kernel_startup.py"


class _Promise:
    """Pyodide's loadPackage as Python sees it: the package is installed once the promise settles (awaited by a cell's
    transform, or waited for by run_sync)."""

    def __init__(self, install):
        self.install = install

    def __await__(self):
        self.install()
        return iter(())


class _Kernel:
    def __init__(self, tmp_path: Path, can_wait: bool):
        self.loads: list[list[str]] = []
        self.waited: list[object] = []
        self.events: dict[str, list] = {}
        self.folder = tmp_path
        self.transforms: list = []
        self.can_wait = can_wait

    def load_package(self, names):
        self.loads.append(list(names))
        return _Promise(self.install)

    def install(self) -> None:
        """The background's packages: a module of its own, a service module inside a package loaded as the kernel
        started (moto's services in their own wheel), and jedi."""
        (self.folder / "later_pkg.py").write_text("WHERE = 'loaded in the background'\n")
        (self.folder / "host_pkg" / "service.py").write_text("WHERE = 'loaded in the background'\n")
        (self.folder / "jedi.py").write_text("")

    def run_sync(self, promise):
        self.waited.append(promise)
        promise.install()


@pytest.fixture
def kernel(monkeypatch, tmp_path, request):
    """The startup file run as IPython runs it, in a fake Pyodide: ``later_pkg`` loads in the background."""
    fake = _Kernel(tmp_path, can_wait=getattr(request, "param", True))
    ffi = types.ModuleType("pyodide.ffi")
    ffi.JsException = type("JsException", (Exception,), {})
    ffi.can_run_sync = lambda: fake.can_wait
    ffi.run_sync = fake.run_sync
    ffi.to_js = list
    shell = types.SimpleNamespace(
        events=types.SimpleNamespace(register=lambda event, hook: fake.events.setdefault(event, []).append(hook)),
        kernel=types.SimpleNamespace(lite_transform_manager=types.SimpleNamespace(cleanup_transforms=fake.transforms)),
        Completer=types.SimpleNamespace(use_jedi=False))
    fake.shell = shell
    ipython = types.ModuleType("IPython")
    ipython.get_ipython = lambda: shell
    core = types.ModuleType("IPython.core")
    core.completer = types.ModuleType("IPython.core.completer")
    core.completer.JEDI_INSTALLED = False
    ipython.core = core
    fake.completer = core.completer
    monkeypatch.setitem(sys.modules, "IPython.core", core)
    monkeypatch.setitem(sys.modules, "IPython.core.completer", core.completer)
    (tmp_path / "host_pkg").mkdir()
    (tmp_path / "host_pkg" / "__init__.py").write_text("")
    monkeypatch.setitem(sys.modules, "pyodide", types.ModuleType("pyodide"))
    monkeypatch.setitem(sys.modules, "pyodide.ffi", ffi)
    monkeypatch.setitem(sys.modules, "pyodide_js", types.SimpleNamespace(loadPackage=fake.load_package))
    monkeypatch.setitem(sys.modules, "IPython", ipython)
    monkeypatch.setenv("LAMBDA_LOCAL_BACKGROUND", "later-pkg other-pkg")
    monkeypatch.setenv("LAMBDA_LOCAL_BACKGROUND_MODULES", "host_pkg.service jedi later_pkg")
    monkeypatch.syspath_prepend(str(tmp_path))
    for name in ("later_pkg", "host_pkg", "host_pkg.service", "jedi"):
        monkeypatch.delitem(sys.modules, name, raising=False)
    meta_path, path = list(sys.meta_path), list(sys.path)
    sys.path.insert(0, "")  # IPython's, as it starts
    user_ns: dict = {}
    exec(compile(STARTUP.read_text(), str(STARTUP), "exec"), user_ns)
    fake.path = list(sys.path)
    yield fake
    sys.meta_path[:], sys.path[:] = meta_path, path
    assert not {name for name in user_ns if not name.startswith("__")}  # nothing left in the user's namespace


def _run_cell(fake: _Kernel, code: str = "x = 1\n") -> None:
    """What pyodide-kernel does with a cell: its transforms (awaited), then the cell, then IPython's post_run_cell."""
    lines = [code]
    for transform in fake.transforms:
        lines = asyncio.run(transform(lines))
    exec("".join(lines), {})
    for hook in fake.events.get("post_run_cell", []):
        hook(None)


@pytest.mark.parametrize("kernel", [False], indirect=True)  # in any browser: the cell waits before it runs
def test_nothing_loads_before_the_first_cell_has_run_and_later_cells_wait_for_it(kernel):
    assert kernel.loads == []
    _run_cell(kernel)
    assert kernel.loads == [["later-pkg", "other-pkg"]]
    _run_cell(kernel, "import later_pkg\nassert later_pkg.WHERE\n")  # waits for the load, then finds it
    _run_cell(kernel)
    assert kernel.loads == [["later-pkg", "other-pkg"]]  # started once


def test_a_first_cell_that_needs_a_package_still_loading_waits_for_it(kernel):
    """Code no cell names (a handler, moto) imports it: where the browser lets Python wait (JSPI), it waits."""
    import importlib

    module = importlib.import_module("later_pkg")
    assert module.WHERE == "loaded in the background" and len(kernel.waited) == 1
    assert kernel.loads == [["later-pkg", "other-pkg"]]
    _run_cell(kernel)
    assert kernel.loads == [["later-pkg", "other-pkg"]]


@pytest.mark.parametrize("kernel", [False], indirect=True)
def test_where_the_browser_cannot_wait_the_import_says_to_run_the_cell_again(kernel):
    import importlib

    with pytest.raises(ModuleNotFoundError, match="later_pkg is still loading in the background: run the cell again"):
        importlib.import_module("later_pkg")
    assert kernel.loads == []


def test_other_modules_import_as_ever(kernel):
    import importlib

    assert importlib.import_module("json").dumps(1) == "1"
    with pytest.raises(ModuleNotFoundError) as raised:
        importlib.import_module("no_such_module_here")
    assert "background" not in str(raised.value) and kernel.loads == []


def test_the_notebooks_folder_is_searched_last(kernel):
    """JupyterLite's drive answers each stat through the service worker: searched first, it costs every import."""
    assert kernel.path[-1] == "" and kernel.path.count("") == 1


def test_a_service_module_of_a_package_loaded_at_start_waits_for_the_background(kernel):
    """moto is loaded as the kernel starts, most of its services in the background: moto importing one of those
    (moto.backends, as a service is first used) waits for it as a package of its own would."""
    import importlib

    assert importlib.import_module("host_pkg").__name__ == "host_pkg"  # loaded as the kernel started: no wait
    assert kernel.waited == []
    service = importlib.import_module("host_pkg.service")
    assert service.WHERE == "loaded in the background" and len(kernel.waited) == 1


def test_ipython_completes_with_jedi_once_the_background_has_loaded_it(kernel):
    """IPython decided it had no jedi as the kernel started (JEDI_INSTALLED); once the background is in, it has."""
    _run_cell(kernel)
    assert kernel.shell.Completer.use_jedi is False and kernel.completer.JEDI_INSTALLED is False
    _run_cell(kernel)  # waits for the background, then completes with jedi
    assert kernel.shell.Completer.use_jedi is True and kernel.completer.JEDI_INSTALLED is True
