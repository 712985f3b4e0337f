"""``make bench``: what lambda_local costs per invocation, each figure against a baseline measured in the same run.

    python benchmarks/run.py                    # every row but the notebooks (about two minutes)
    python benchmarks/run.py --quick            # fewer runs, smaller sizes
    python benchmarks/run.py --only warm,boto3  # some rows
    python benchmarks/run.py --with-notebooks   # also the lesson suite under nbval (slow)
    python benchmarks/run.py --only lite        # the browser edition (skipped unless `make lite` built it)
    python benchmarks/run.py --json out.json    # the table as JSON somewhere else

The table goes to stdout, progress to stderr, the JSON to benchmarks/results/latest.json unless --json says
otherwise. See benchmarks/README.md for what each row measures.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE), str(HERE.parent)]  # this checkout's lambda_local, whatever is installed

import harness  # noqa: E402
import nbsuite  # noqa: E402
import peers  # noqa: E402
import rows_aws  # noqa: E402
import rows_lite  # noqa: E402
import rows_nodejs  # noqa: E402
import rows_runtime  # noqa: E402

ROWS = {
    "warm": rows_runtime.warm,
    "cold": rows_runtime.cold,
    "node-warm": rows_nodejs.node_warm,
    "node-cold": rows_nodejs.node_cold,
    "boto3": rows_aws.boto3_invoke,
    "s3": rows_aws.s3_trigger,
    "sqs": rows_aws.sqs_mapping,
    "simulate": rows_runtime.simulate,
    "plocal": peers.python_lambda_local,
    "rie": peers.runtime_interface_emulator,
    "notebooks": nbsuite.notebooks,
    "lite": rows_lite.lite,
}
ALIASES = {"peers": ["plocal", "rie"]}
DEFAULT_JSON = HERE / "results" / "latest.json"


def _selected(only: str | None, with_notebooks: bool) -> list[str]:
    if not only:
        return [name for name in ROWS if name != "notebooks" or with_notebooks]
    names = []
    for word in filter(None, (w.strip() for w in only.split(","))):
        expanded = ALIASES.get(word, [word])
        unknown = [name for name in expanded if name not in ROWS]
        if unknown:
            raise SystemExit(f"--only: no row called {unknown[0]!r}; the rows are: "
                             f"{', '.join([*ROWS, *ALIASES])}")
        names += [name for name in expanded if name not in names]
    return names


def _run_row(name: str, args) -> harness.Row:
    harness.log(f"{name} ...")
    started = time.perf_counter()
    try:
        if name == "sqs":
            row = rows_aws.sqs_mapping(args.quick, args.sqs_messages)
        else:
            row = ROWS[name](args.quick)
    except Exception as exc:  # noqa: BLE001 - one broken row must not cost the others: it says what broke
        row = harness.Row.unavailable(name, name, "failed", f"{type(exc).__name__}: {exc}")
    row.details["row_wall_s"] = round(time.perf_counter() - started, 2)
    harness.log(f"{name}: {row.status} in {row.details['row_wall_s']:.1f} s")
    return row


def _load_text(load) -> str:
    return f"{load[0]:.1f}" if load else "unknown"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="lambda_local's benchmarks (make bench)")
    parser.add_argument("--quick", action="store_true", help="fewer runs and smaller sizes (a smoke test)")
    parser.add_argument("--only", metavar="NAME[,NAME]", help=f"rows to run: {', '.join([*ROWS, *ALIASES])}")
    parser.add_argument("--json", metavar="PATH", type=Path, default=DEFAULT_JSON,
                        help=f"where to write the JSON (default {DEFAULT_JSON.relative_to(HERE.parent)})")
    parser.add_argument("--with-notebooks", action="store_true", help="also time the lesson suite under nbval")
    parser.add_argument("--sqs-messages", type=int, metavar="N",
                        help="drain exactly N messages in the sqs row, however long it takes")
    args = parser.parse_args(argv)
    if args.sqs_messages is not None and args.sqs_messages < 1:
        parser.error("--sqs-messages must be a positive number")
    names = _selected(args.only, args.with_notebooks)
    load_at_start = harness.load_average()
    started = time.perf_counter()
    rows = [_run_row(name, args) for name in names]
    wall = time.perf_counter() - started
    print(harness.render(rows))
    for row in rows:
        if row.name == "notebooks" and row.status == "ok":
            print()
            print(nbsuite.render_per_notebook(row))
    info = harness.machine()
    print(f"\nPython {info['python']} on {info['cpus']} CPUs ({info['machine']}), moto {info['moto']}; load average "
          f"{_load_text(load_at_start)} at the start, {_load_text(info['load_average'])} at the end; {wall:.0f} s")
    options = {"quick": args.quick, "only": names, "with_notebooks": args.with_notebooks,
               "sqs_messages": args.sqs_messages, "load_average_at_start": load_at_start}
    harness.write_json(args.json, rows, options, wall)
    harness.log(f"wrote {args.json} ({wall:.0f} s in all)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
