# Follows: https://docs.powertools.aws.dev/lambda/python/latest/utilities/parameters/#fetching-parameters
from aws_lambda_powertools.utilities import parameters


def handler(event, context):
    return {"endpoint": parameters.get_parameter("/app/endpoint")}
