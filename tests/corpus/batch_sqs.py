# Follows: https://docs.powertools.aws.dev/lambda/python/latest/utilities/batch/#processing-messages-from-sqs
import json

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response

processor = BatchProcessor(event_type=EventType.SQS)


def record_handler(record):
    payload = json.loads(record.body)
    if payload.get("fail"):
        raise ValueError("cannot process")
    print("processed", payload["id"])


def handler(event, context):
    return process_partial_response(event=event, record_handler=record_handler, processor=processor,
                                    context=context)
