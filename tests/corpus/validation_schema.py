# Follows: https://docs.powertools.aws.dev/lambda/python/latest/utilities/validation/#validator-decorator
from aws_lambda_powertools.utilities.validation import validator

INPUT = {
    "type": "object",
    "required": ["message", "username"],
    "properties": {"message": {"type": "string"}, "username": {"type": "string"}},
}


@validator(inbound_schema=INPUT)
def handler(event, context):
    return {"greeting": f"hello {event['username']}"}
