"""Runs inside the peers' venv (never with this repository on sys.path: python-lambda-local's package is also called
``lambda_local``). Times python-lambda-local's Python API on the benchmarks' handler and writes the seconds per
call as JSON.

    .peers/venv/bin/python peer_plocal.py CODE_DIR RUNS OUT.json
"""

import json
import sys
import time


def main(code_dir: str, runs: int, out: str) -> None:
    sys.path.insert(0, code_dir)
    import lambda_function
    from lambda_local.context import Context
    from lambda_local.main import call

    event = {"name": "Ada"}
    for _ in range(3):  # warm-up: imports, first fork
        result, error = call(lambda_function.handler, event, Context(3))
    if error is not None or result != {"statusCode": 200, "body": "Ada"}:
        raise SystemExit(f"python-lambda-local returned {result!r} (error type {error!r})")
    seconds = []
    for _ in range(runs):
        start = time.perf_counter_ns()
        call(lambda_function.handler, event, Context(3))
        seconds.append((time.perf_counter_ns() - start) / 1e9)
    with open(out, "w") as handle:
        json.dump({"seconds": seconds}, handle)


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]), sys.argv[3])
