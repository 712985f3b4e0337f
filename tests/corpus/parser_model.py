# Follows: https://docs.powertools.aws.dev/lambda/python/latest/utilities/parser/#event_parser-decorator
from aws_lambda_powertools.utilities.parser import BaseModel, event_parser


class Order(BaseModel):
    id: int
    description: str


@event_parser(model=Order)
def handler(event: Order, context):
    return {"id": event.id, "length": len(event.description)}
