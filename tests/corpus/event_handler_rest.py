# Follows: https://docs.powertools.aws.dev/lambda/python/latest/core/event_handler/api_gateway/#getting-started
from aws_lambda_powertools.event_handler import APIGatewayRestResolver

app = APIGatewayRestResolver()


@app.get("/todos/<todo_id>")
def get_todo(todo_id: str):
    return {"id": todo_id, "done": False}


def handler(event, context):
    return app.resolve(event, context)
