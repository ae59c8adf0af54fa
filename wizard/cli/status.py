"""`port-aws-wizard status`: every hop's check, one line each (or --json); exit 1 on a fault."""

from __future__ import annotations

import argparse
import json
from collections.abc import Mapping, Sequence
from typing import Any, TextIO

from wizard.cli.operation import Context, command_parser, run_command


def main(argv: Sequence[str], environ: Mapping[str, str] | None = None,
                out: TextIO | None = None, err: TextIO | None = None) -> int:
    parser = command_parser("status", "Check every hop of the install: rule, CloudTrail, queue, "
                     "dead-letter queue, Lambda, Port. Exit 1 when a check fails.")
    parser.add_argument("--json", action="store_true", help="print the checks as JSON")
    return run_command(_status, parser, argv, environ, out, err)


def _status(context: Context, args: argparse.Namespace) -> int:
    from core.aws.stackset import find_stackset
    from core.operations.status import NOT_INSTALLED, iter_checks

    settings = context.settings
    stackset = find_stackset(settings)
    if stackset is not None:  # a StackSet install (--stackset): its instances, per account/region
        return _stackset_status(context, args, stackset[1])
    results = []
    width = 22
    chosen = tuple(settings.event_sources) if args.event_sources else None
    for result in iter_checks(settings, context.credentials, expected_sources=chosen):
        results.append(result)
        if args.json:
            continue
        if result.figure == NOT_INSTALLED:  # nothing there: one line, not a list of failed checks
            print(f"error: {result.detail}; {result.fix}", file=context.err)
            return 1
        if len(results) == 1:
            context.print(f"Status of stack {settings.stack_name} in {settings.aws_region}:")
        context.print(f"  {result.label:<4}  {result.name:<{width}} {result.figure}")
        if not result.ok:
            if result.detail:
                context.print(f"        {' ' * width} {result.detail}")
            if result.fix:
                context.print(f"        {' ' * width} fix: {result.fix}")
    failed = [result for result in results if not result.ok]
    if args.json:
        context.print(json.dumps({"ok": not failed, "stack": settings.stack_name,
                                  "region": settings.aws_region,
                                  "checks": [result.to_dict() for result in results]}, indent=2))
    elif failed:
        context.print(f"{len(failed)} of {len(results)} checks failed: "
                      + ", ".join(result.name for result in failed))
    else:
        skipped = sum(result.skipped for result in results)
        context.print("All checks passed" + (f" ({skipped} skipped)." if skipped else "."))
    return 1 if failed else 0


def _stackset_status(context: Context, args: argparse.Namespace, status: Any) -> int:
    if args.json:
        context.print(json.dumps({"ok": status.healthy, "stackset": status.to_dict()}, indent=2))
    else:
        for line in status.lines():
            context.print(line)
        context.print("All instances are current." if status.healthy else
                      "Not every instance is CURRENT: run the install again to converge them.")
    return 0 if status.healthy else 1
