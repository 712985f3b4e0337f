"""The function registry: what the runtime needs to run a function moto stores, and its execution environments.

For each moto function (at a resolved version) it builds the runtime's :class:`FunctionConfig` (code and layers
unzipped once into a temporary folder, a ``revision`` hash that changes when the code or configuration does) and
keeps one :class:`EnvironmentPool` per function.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import tempfile
import zipfile
from typing import Any

from .aws import state
from .runtime.errors import ServiceError
from .runtime.function import FunctionConfig
from .runtime.invoke import runtime_executor
from .runtime.pool import EnvironmentPool
from .runtime.service import LambdaService

__all__ = ["FunctionRegistry"]


class FunctionRegistry:
    """Function configurations and environment pools of one sandbox."""

    def __init__(self, service: LambdaService):
        self.service = service
        self._pools: dict[tuple[str, str, str], EnvironmentPool] = {}
        self._unzipped: dict[str, tuple[str, int]] = {}
        self._root = tempfile.mkdtemp(prefix="lambda-local-")
        # Where the X-Ray SDK sends segments: the sandbox's loopback daemon (AWS: 169.254.79.129:2000).
        self.xray_daemon_address: str | None = None
        # moto's function object -> (it, what its config was made from, the config): see config_for
        self._configs: dict[int, tuple[Any, tuple, FunctionConfig]] = {}

    def pool_for(self, fn) -> EnvironmentPool:
        """The function's environment pool (created on first use), with its current reserved concurrency."""
        key = (fn.account_id, fn.region, fn.function_name)
        pool = self._pools.get(key)
        if pool is None:
            pool = self._pools[key] = EnvironmentPool(self.service)
        reserved = fn.reserved_concurrency
        pool.reserved_concurrency = None if reserved in (None, "") else int(reserved)
        return pool

    def environments(self, account_id: str, region: str, function_name: str) -> list:
        """The execution environments of a function that are alive now."""
        pool = self._pools.get((account_id, region, function_name))
        return pool.live() if pool else []

    def expire(self, now: float) -> None:
        """Let idle environments past their idle timeout go."""
        for pool in self._pools.values():
            pool.expire(now)

    def config_for(self, fn) -> FunctionConfig:
        """The runtime's configuration of moto's function ``fn``; refuses what cannot run in this process.

        Made again only when something it is made from changed (every invocation asks): the same function object
        with the same code, handler, settings, variables, layers, role and logging config gets the same
        (read-only) config, which also spares a SHA-1 over its JSON on every invoke."""
        made_from = self._made_from(fn)
        cached = self._configs.get(id(fn))
        if cached is not None and cached[0] is fn and cached[1] == made_from:
            return cached[2]
        config = self._new_config(fn)
        if len(self._configs) > 1024:  # (deleted functions' entries go with the rest)
            self._configs.clear()
        self._configs[id(fn)] = (fn, made_from, config)
        return config

    def _made_from(self, fn) -> tuple:
        """Everything :meth:`_new_config` reads from ``fn`` (and from the registry), the mutable parts copied."""
        return (getattr(fn, "package_type", "Zip"), fn.run_time, fn.code_sha_256, fn.handler, fn.function_name,
                fn.memory_size, fn.timeout, dict(fn.environment_vars or {}), tuple(fn.architectures or ()),
                fn.ephemeral_storage, fn.role, fn.version, fn.account_id, fn.region,
                tuple(layer["Arn"] for layer in fn.layers),
                dict(getattr(fn, "lambda_local_logging_config", None) or {}),
                bool((getattr(fn, "_vpc_config", None) or {}).get("SubnetIds")), self.xray_daemon_address)

    def _new_config(self, fn) -> FunctionConfig:
        if getattr(fn, "package_type", "Zip") == "Image":
            raise ServiceError("InvalidParameterValueException",
                               "Container image functions cannot run in lambda_local: only Zip packages with a "
                               "python3.x runtime run here.", 400)
        if not (fn.run_time or "python3.12").startswith(("python", "nodejs20", "nodejs22", "nodejs24")):
            # The API accepts every runtime AWS has; Python runs in this process, Node.js in a node process.
            raise ServiceError("InvalidRuntimeException",
                               f"The runtime {fn.run_time} cannot run in lambda_local: only python3.x and "
                               "nodejs20.x/22.x/24.x functions are invoked here (the others can be created, "
                               "configured and listed).", 502)
        task_root, _ = self._unzip(fn.code_bytes, fn.code_sha_256)
        layer_dirs = [self._layer_dir(fn, layer["Arn"]) for layer in fn.layers]
        logging_config = getattr(fn, "lambda_local_logging_config", None) or {}
        environment = dict(fn.environment_vars or {})
        if self.xray_daemon_address:
            environment.setdefault("AWS_XRAY_DAEMON_ADDRESS", self.xray_daemon_address)
        config = FunctionConfig(
            function_name=fn.function_name, handler=fn.handler, runtime=fn.run_time or "python3.12",
            memory_size=int(fn.memory_size), timeout=float(fn.timeout), environment=environment,
            architecture=(fn.architectures or ["x86_64"])[0], ephemeral_storage=int(fn.ephemeral_storage),
            role=fn.role, version=str(fn.version), account_id=fn.account_id, region=fn.region,
            task_root=task_root, layer_dirs=layer_dirs,
            log_format=logging_config.get("LogFormat", "Text"),
            application_log_level=logging_config.get("ApplicationLogLevel"),
            system_log_level=logging_config.get("SystemLogLevel"), log_group=logging_config.get("LogGroup"),
            package_mb=len(fn.code_bytes or b"") / (1024 * 1024),
            vpc=bool((getattr(fn, "_vpc_config", None) or {}).get("SubnetIds")),
            executor=runtime_executor(fn.run_time or "python3.12", self.service))
        config.revision = hashlib.sha1(json.dumps(
            [fn.code_sha_256, fn.handler, fn.run_time, config.memory_size, config.timeout, environment,
             layer_dirs, fn.role, config.architecture, logging_config], sort_keys=True, default=str
        ).encode()).hexdigest()
        return config

    def _unzip(self, data: bytes, key: str) -> tuple[str, int]:
        """The package unpacked once (before INIT, as Lambda fetches and unpacks it): extracted into a folder of its
        own, then renamed into place, so threads invoking a new function at once never see half a package."""
        cached = self._unzipped.get(key)
        if cached is not None:
            return cached
        target = os.path.join(self._root, hashlib.sha1(key.encode()).hexdigest()[:16])
        try:
            with zipfile.ZipFile(io.BytesIO(data or b"")) as archive:
                size = sum(info.file_size for info in archive.infolist())
                staging = tempfile.mkdtemp(prefix=".unzip-", dir=self._root)
                archive.extractall(staging)
        except (zipfile.BadZipFile, ValueError, EOFError, NotImplementedError):
            # code that reached moto without our checks (an S3 object that is not a zip): refused as AWS does
            raise ServiceError("InvalidParameterValueException", "Could not unzip uploaded file. Please check "
                               "your file, then try to upload again.", 400) from None
        try:
            os.rename(staging, target)
        except OSError:  # another thread got there first: its copy is the same package
            shutil.rmtree(staging, ignore_errors=True)
        return self._unzipped.setdefault(key, (target, size))

    def _layer_dir(self, fn, arn: str) -> str:
        layer = state.layer_version_or_none(fn.account_id, fn.region, arn)
        return self._unzip(layer.code_bytes, "layer:" + arn)[0]

    def close(self) -> None:
        """End every environment and remove the unzipped code."""
        for pool in self._pools.values():
            pool.clear()
        shutil.rmtree(self._root, ignore_errors=True)
