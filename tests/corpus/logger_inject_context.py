# Follows: https://docs.powertools.aws.dev/lambda/python/latest/core/logger/#capturing-lambda-context-info
from aws_lambda_powertools import Logger

logger = Logger(service="payment")


@logger.inject_lambda_context
def handler(event, context):
    logger.info("Collecting payment")
    return "ok"
