"""Event source mappings as CreateEventSourceMapping sees them: AWS's checks before a mapping exists, and the
mappings that read one source (each its own poller with its own checkpoint)."""

from __future__ import annotations

__all__ = ["check_new_mapping", "mappings_reading"]


def _conflict(message: str) -> Exception:
    from moto.awslambda.exceptions import LambdaClientError

    error = LambdaClientError("ResourceConflictException", message)
    error.code = 409
    return error


def check_new_mapping(backend, spec: dict) -> None:
    """Refuse a second mapping of the same source to the same function, with AWS's words (moto never does)."""
    source = spec.get("EventSourceArn") or ""
    try:
        fn = backend._lambdas.get_function_by_name_or_arn_with_qualifier(spec.get("FunctionName") or "")
    except Exception:  # noqa: BLE001 - a missing function is moto's to report (ResourceNotFoundException)
        return
    for esm in backend._event_source_mappings.values():
        if esm.event_source_arn != source or esm.function_arn != fn.function_arn:
            continue
        if ":sqs:" in source:
            raise _conflict(f'An event source mapping with SQS arn (" {source} ") and function '
                            f'(" {fn.function_name} ") already exists. Please update or delete the existing '
                            f"mapping with UUID {esm.uuid}")
        raise _conflict(f'The event source arn (" {source} ") and function (" {fn.function_name} ") provided '
                        f"mapping already exists. Please update or delete the existing mapping with UUID {esm.uuid}")


def mappings_reading(source_arn: str, account_id: str, region: str) -> list:
    """Every event source mapping that reads ``source_arn`` (moto keeps one per Kinesis stream on the stream)."""
    from moto.awslambda.utils import get_backend

    try:
        backend = get_backend(account_id, region)
    except Exception:  # noqa: BLE001 - no Lambda in this account and region yet
        return []
    return [esm for esm in list(backend._event_source_mappings.values()) if esm.event_source_arn == source_arn]
