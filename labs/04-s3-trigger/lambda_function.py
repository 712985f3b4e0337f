"""s3-greeter: greets every file uploaded under incoming/ in the greeter-uploads bucket, in its log.

S3 invokes this function (asynchronously) for each object created under incoming/, with an event that names the
bucket and the object's key. What the function prints goes to its CloudWatch Logs group, /aws/lambda/s3-greeter.
Open lab.ipynb for the task and to check your work.
"""

import os


def lambda_handler(event, context):
    # TODO 2: take the greeting's first word from the GREETING_PREFIX environment variable, and use "Hello"
    #         when it is not set: configuration can then change without changing the code.
    prefix = "Hello"
    print(f"{prefix} from s3-greeter!")

    # TODO 1: event["Records"] holds one record per new object. Print each object's key on a line of its own,
    #         for example "New upload: s3://greeter-uploads/incoming/report.txt". The lab notebook shows where
    #         the bucket name and the key are in a record.

    return {"records": len(event.get("Records", []))}
