"""Event source mappings as CreateEventSourceMapping sees them: AWS's checks before a mapping exists, and the
mappings that read one source (each its own poller with its own checkpoint)."""

from __future__ import annotations

import json

from ..aws import state, validation
from .filters import FilterSet, InvalidFilterCriteria, parse_filter_criteria

__all__ = ["check_mapping_update", "check_new_mapping", "esm_filters", "mappings_reading"]


def _check_filters(spec: dict) -> None:
    if spec.get("FilterCriteria") is None:
        return
    try:
        parse_filter_criteria(spec["FilterCriteria"])
    except InvalidFilterCriteria as error:
        raise validation.invalid_parameter(str(error)) from None


def check_mapping_update(spec: dict) -> None:
    """UpdateEventSourceMapping refuses an invalid FilterCriteria as create does."""
    _check_filters(spec)


def check_new_mapping(backend, spec: dict) -> None:
    """AWS's checks moto leaves out: FilterCriteria, and a second mapping of one source to one function."""
    _check_filters(spec)
    source = spec.get("EventSourceArn") or ""
    fn = state.get_function_or_none(backend, spec.get("FunctionName") or "")
    if fn is None:
        return  # moto reports the missing function (ResourceNotFoundException)
    for esm in state.event_source_mappings(backend.account_id, backend.region_name):
        if esm.event_source_arn != source or esm.function_arn != fn.function_arn:
            continue
        if ":sqs:" in source:
            raise validation.resource_conflict(
                f'An event source mapping with SQS arn (" {source} ") and function (" {fn.function_name} ") '
                f"already exists. Please update or delete the existing mapping with UUID {esm.uuid}")
        raise validation.resource_conflict(
            f'The event source arn (" {source} ") and function (" {fn.function_name} ") provided mapping already '
            f"exists. Please update or delete the existing mapping with UUID {esm.uuid}")


def mappings_reading(source_arn: str, account_id: str, region: str) -> list:
    """Every event source mapping that reads ``source_arn`` (moto keeps one per Kinesis stream on the stream)."""
    return [esm for esm in state.event_source_mappings(account_id, region) if esm.event_source_arn == source_arn]


_parsed: dict[str, tuple[str, FilterSet]] = {}
_NO_FILTERS = json.dumps({})


def esm_filters(esm) -> FilterSet:
    """The mapping's filters, parsed once per version of its FilterCriteria."""
    cached = _parsed.get(esm.uuid)
    if not esm.filter_criteria and cached is not None and cached[0] == _NO_FILTERS:
        return cached[1]  # (most mappings: no criteria, nothing to serialize at every batch)
    key = json.dumps(esm.filter_criteria or {}, sort_keys=True)
    if cached is None or cached[0] != key:
        cached = _parsed[esm.uuid] = (key, parse_filter_criteria(esm.filter_criteria))
    return cached[1]
