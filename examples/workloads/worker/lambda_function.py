"""A worker invoked asynchronously for each upload: hashes the "image" many times (stand-in CPU work)."""

import hashlib


def lambda_handler(event, context):
    digest = event.get("key", "image.png").encode()
    for _ in range(2000):
        digest = hashlib.sha256(digest * 64).digest()
    return {"digest": digest.hex()}
