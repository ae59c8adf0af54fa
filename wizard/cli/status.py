"""`port-aws-wizard status`: every hop's check, one line each (or --json); exit 1 on a fault."""

from __future__ import annotations

import argparse
from collections.abc import Mapping, Sequence
from typing import Any, TextIO

from wizard.cli.operation import Context, command_parser, run_command
from wizard.cli.style import Line, join, mark

NAME_WIDTH = 22


def build_parser() -> argparse.ArgumentParser:
    return command_parser("status", "Check every hop of the install: rule, CloudTrail, queue, "
                          "dead-letter queue, Lambda, Port. Exit 1 when a check fails.",
                          json_help="print the checks as one JSON document")


def main(argv: Sequence[str], environ: Mapping[str, str] | None = None,
         out: TextIO | None = None, err: TextIO | None = None) -> int:
    return run_command(_status, build_parser(), argv, environ, out, err)


def check_lines(result: Any) -> list[Line]:
    """A check's line (`  ok    queue   3 messages`), and its detail and fix when it failed."""
    lines = [join("  ", mark(result.label, 4), "  ", (f"{result.name:<{NAME_WIDTH}}", "bold"),
                  f" {result.figure}")]
    indent = " " * (8 + NAME_WIDTH + 1)
    if not result.ok:
        if result.detail:
            lines.append(join(indent, (result.detail, "dim")))
        if result.fix:
            lines.append(join(indent, ("fix: ", "warn"), result.fix))
    return lines


def _status(context: Context, args: argparse.Namespace) -> int:
    from core.aws.stackset import find_stackset
    from core.operations.status import NOT_INSTALLED, iter_checks

    settings, output = context.settings, context.output
    stackset = find_stackset(settings)
    if stackset is not None:  # a StackSet install (--stackset): its instances, per account/region
        return _stackset_status(context, stackset[1])
    results = []
    chosen = tuple(settings.event_sources) if args.event_sources else None
    for result in iter_checks(settings, context.credentials, expected_sources=chosen):
        results.append(result)
        if result.figure == NOT_INSTALLED and not output.json:  # nothing there: one line, not a cascade
            output.problem(f"{result.detail}; {result.fix}")
            return 1
        if len(results) == 1:
            output.progress(join(("Status of stack ", "heading"), (settings.stack_name, "name"),
                                 (f" in {settings.aws_region}:", "heading")))
        for line in check_lines(result):
            output.progress(line)
    failed = [result for result in results if not result.ok]
    if output.json:
        output.document({"ok": not failed, "stack": settings.stack_name, "region": settings.aws_region,
                         "checks": [result.to_dict() for result in results]})
    elif failed:
        output.result(join((f"{len(failed)} of {len(results)} checks failed: ", "fail"),
                           ", ".join(result.name for result in failed)))
    else:
        skipped = sum(result.skipped for result in results)
        output.result(join(("All checks passed", "ok"), f" ({skipped} skipped)." if skipped else "."))
    return 1 if failed else 0


def _stackset_status(context: Context, status: Any) -> int:
    output = context.output
    for line in status.lines():
        output.progress(line)
    if output.json:
        output.document({"ok": status.healthy, "stackset": status.to_dict()})
    else:
        output.result(join(("All instances are current.", "ok")) if status.healthy else join(
            ("Not every instance is CURRENT: run the install again to converge them.", "fail")))
    return 0 if status.healthy else 1
