"""repo2docker builds the course as it is: environment.yml, postBuild and start (Binder and JupyterHub images).

`repo2docker --no-build --debug .` prints the Dockerfile it would build, without Docker. The tests read that
Dockerfile for what each file must cause, then run postBuild and start themselves to check what they do.
"""

import importlib.util
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
START_PAGE = "/lab/tree/notebooks/00_start_here.ipynb"


@pytest.fixture(scope="module")
def dockerfile() -> str:
    if importlib.util.find_spec("repo2docker") is None:
        pytest.skip("repo2docker is not installed: pip install jupyter-repo2docker (it is in the test extras)")
    result = subprocess.run([sys.executable, "-m", "repo2docker", "--no-build", "--debug", "."], cwd=ROOT,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    return result.stdout


def _line_of(dockerfile: str, text: str) -> int:
    """The index of the first Dockerfile line containing ``text`` (fails the test when there is none)."""
    for number, line in enumerate(dockerfile.splitlines()):
        if text in line:
            return number
    pytest.fail(f"the Dockerfile has no line with {text!r}:\n{dockerfile}")


def test_environment_yml_is_installed_after_the_repository_is_copied(dockerfile):
    # `pip: -e .` needs pyproject.toml, so the environment must be built from the copied repository.
    copied = _line_of(dockerfile, "src/ ${REPO_DIR}/")
    installed = _line_of(dockerfile, '--file "environment.yml"')
    assert copied < installed


def test_python_is_the_version_environment_yml_pins(dockerfile):
    import escapism  # repo2docker's own dependency: it names the files it adds to the image with it

    pinned = next(line.split("=", 1)[1].strip() for line in (ROOT / "environment.yml").read_text().splitlines()
                  if line.strip().startswith("- python="))
    # repo2docker starts from its locked base environment for the Python version it found in environment.yml.
    lock = next(line.split()[2] for line in dockerfile.splitlines()
                if line.startswith("COPY") and line.rstrip().endswith("/tmp/env/environment.lock"))
    # The name is the escaped path, "-", then 6 hex digits of a hash, not escaped: unescaped with the rest, a hash
    # such as "86dabb" read as the escape "-86" (no UTF-8), in a checkout whose path gave that hash.
    escaped_path = lock.rsplit("-", 1)[0]
    used = re.search(r"environment\.py-(\d+\.\d+)-", escapism.unescape(escaped_path, escape_char="-")).group(1)
    assert used == pinned
    requires = re.search(r'requires-python = ">=(\d+\.\d+)"', (ROOT / "pyproject.toml").read_text()).group(1)
    assert tuple(map(int, pinned.split("."))) >= tuple(map(int, requires.split(".")))


def test_postbuild_runs_after_the_environment_is_installed(dockerfile):
    installed = _line_of(dockerfile, '--file "environment.yml"')
    assert installed < _line_of(dockerfile, "RUN ./postBuild")


def test_start_wraps_every_container_command(dockerfile):
    assert 'ENV R2D_ENTRYPOINT="${REPO_DIR}/start"' in dockerfile


def test_start_sets_the_offline_aws_defaults_and_runs_the_command():
    # A real key in the environment must not reach the learner's kernel.
    env = {**os.environ, "AWS_ACCESS_KEY_ID": "AKIAREALKEY", "AWS_DEFAULT_REGION": "eu-west-1"}
    result = subprocess.run(["bash", str(ROOT / "start"), sys.executable, "-c",
                             "import json, os; print(json.dumps(dict(os.environ)))"],
                            env=env, capture_output=True, text=True, timeout=30)
    assert result.returncode == 0, result.stderr
    seen = json.loads(result.stdout)
    assert seen["AWS_ACCESS_KEY_ID"] == seen["AWS_SECRET_ACCESS_KEY"] == seen["AWS_SESSION_TOKEN"] == "testing"
    assert seen["AWS_DEFAULT_REGION"] == seen["AWS_REGION"] == "us-east-1"


def test_start_passes_the_command_s_exit_status_through():
    # `exec "$@"`: the Jupyter server's own exit status (and signals) reach repo2docker's entrypoint.
    result = subprocess.run(["bash", str(ROOT / "start"), "sh", "-c", "exit 7"], timeout=30)
    assert result.returncode == 7


def _post_build(prefix: Path) -> None:
    subprocess.run(["bash", str(ROOT / "postBuild"), str(prefix)], check=True, capture_output=True, timeout=60)


def test_postbuild_turns_the_news_off_in_jupyterlab_settings(tmp_path):
    from jupyterlab_server.settings_utils import _get_overrides

    _post_build(tmp_path)
    overrides, error = _get_overrides(str(tmp_path / "share/jupyter/lab/settings"))
    assert not error
    assert overrides["@jupyterlab/apputils-extension:notification"] == {"fetchNews": "false",
                                                                        "checkForUpdates": False}


def test_postbuild_config_opens_the_start_page_and_never_fetches_news(tmp_path):
    from jupyterlab.handlers.announcements import NeverCheckForUpdate
    from jupyterlab.labapp import LabApp
    from traitlets.config.loader import JSONFileConfigLoader

    _post_build(tmp_path)
    config = JSONFileConfigLoader("jupyter_lab_config.json", path=str(tmp_path / "etc/jupyter")).load_config()
    app = LabApp(config=config)
    assert app.default_url == START_PAGE
    assert (ROOT / START_PAGE.removeprefix("/lab/tree/")).is_file()
    assert app.news_url is None
    assert app.check_for_updates_class is NeverCheckForUpdate


def test_postbuild_shuts_down_only_the_kernels_of_closed_tabs(tmp_path):
    from jupyter_server.services.kernels.kernelmanager import MappingKernelManager
    from traitlets.config.loader import JSONFileConfigLoader

    _post_build(tmp_path)
    config = JSONFileConfigLoader("jupyter_server_config.json", path=str(tmp_path / "etc/jupyter")).load_config()
    manager = MappingKernelManager(config=config)
    assert manager.cull_idle_timeout >= 1800  # culling is on, and only after at least half an hour of quiet
    assert manager.cull_connected is False    # a kernel with its notebook open in a tab is never shut down


def test_postbuild_keeps_an_administrator_s_settings_and_can_run_twice(tmp_path):
    overrides = tmp_path / "share/jupyter/lab/settings/overrides.json"
    overrides.parent.mkdir(parents=True)
    admin = {"@jupyterlab/apputils-extension:themes": {"theme": "JupyterLab Dark"},
             "@jupyterlab/apputils-extension:notification": {"doNotDisturbMode": True}}
    overrides.write_text(json.dumps(admin))
    _post_build(tmp_path)
    once = overrides.read_text()
    _post_build(tmp_path)
    assert overrides.read_text() == once
    merged = json.loads(once)
    assert merged["@jupyterlab/apputils-extension:themes"] == {"theme": "JupyterLab Dark"}
    assert merged["@jupyterlab/apputils-extension:notification"]["doNotDisturbMode"] is True
    assert merged["@jupyterlab/apputils-extension:notification"]["fetchNews"] == "false"


def test_no_binder_folder_hides_the_root_files():
    # repo2docker reads only binder/ (or .binder/) when one exists: environment.yml, postBuild and start at the
    # root would then be silently ignored.
    assert not (ROOT / "binder").exists() and not (ROOT / ".binder").exists()
