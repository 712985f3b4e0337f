# Follows: https://docs.powertools.aws.dev/lambda/python/latest/utilities/idempotency/#idempotent-decorator
import uuid

from aws_lambda_powertools.utilities.idempotency import DynamoDBPersistenceLayer, idempotent

persistence = DynamoDBPersistenceLayer(table_name="IdempotencyTable")


@idempotent(persistence_store=persistence)
def handler(event, context):
    return {"payment_id": str(uuid.uuid4()), "amount": event["amount"]}
