"""s3-greeter: greets every file uploaded under incoming/ in the greeter-uploads bucket, in its log.

S3 invokes this function (asynchronously) for each object created under incoming/, with an event that names the
bucket and the object's key. What the function prints goes to its CloudWatch Logs group, /aws/lambda/s3-greeter.
Open lab.ipynb for the task and to check your work.
"""

import os
from urllib.parse import unquote_plus


def lambda_handler(event, context):
    # TODO 2: read at call time, with a default; the value is set on the function (deploy.py), not in the code.
    prefix = os.environ.get("GREETING_PREFIX", "Hello")
    print(f"{prefix} from s3-greeter!")

    # TODO 1: one line per object; S3 URL-encodes keys in events ("my file.txt" arrives as "my+file.txt").
    for record in event.get("Records", []):
        bucket = record["s3"]["bucket"]["name"]
        key = unquote_plus(record["s3"]["object"]["key"])
        print(f"New upload: s3://{bucket}/{key}")

    return {"records": len(event.get("Records", []))}
