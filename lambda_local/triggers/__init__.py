"""Event sources: what invokes a function besides a direct call.

* ``asynchronous``: the internal queue of asynchronous invocations, with retries, maximum event age, destinations
  and dead-letter queues;
* ``s3``, ``sns``, ``eventbridge``: services that invoke asynchronously;
* ``sqs``: event source mappings that poll a queue and invoke synchronously;
* ``schedules``: EventBridge schedule expressions on the virtual clock.

What AWS does within moments runs before the API call that caused it returns; what AWS delays (retries, visibility
timeouts, batching windows, schedules) waits for the virtual clock.
"""
