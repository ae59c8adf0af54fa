"""`port-aws-wizard mapping preview EVENT.json`: parse, read the event, core.port.preview, print."""

from __future__ import annotations

import argparse
import json
import sys
from typing import TextIO

from core.errors import ExitCode
from core.port.mapping_engine import MappingOutcome
from core.port.preview import PreviewInputError, action_json, preview, read_event
from wizard.cli.parsing import add_console_options, new_parser


def _print_human(outcome: MappingOutcome, kinds: list[str], out: TextIO) -> None:
    if outcome.actions:
        print(f"{len(outcome.actions)} action(s):", file=out)
        for action in outcome.actions:
            label = "DELETE" if action.operation == "delete" else "UPSERT"
            print(f"\n{label} {action.blueprint} {action.identifier}"
                  f"  (mapping {action.mapping_index}: {kinds[action.mapping_index]})", file=out)
            if action.title is not None:
                print(f"  title: {action.title}", file=out)
            for section, values in (("properties", action.properties),
                                    ("relations", action.relations)):
                if values:
                    print(f"  {section}:", file=out)
                    for name, value in values.items():
                        print(f"    {name}: {json.dumps(value, ensure_ascii=False)}", file=out)
        errors = [r for r in outcome.rejections if "did not match" not in r.reason]
    else:
        print("No action: no mapping applies to this event.", file=out)
        errors = outcome.rejections
    if errors:
        print("\nRejected by:" if not outcome.actions else "\nErrors:", file=out)
        for rejection in errors:
            reason = rejection.reason
            if reason.startswith("filter ") and reason.endswith(" did not match"):
                reason = "filter did not match"  # the filter text is in the YAML, by kind
            print(f"  mapping {rejection.mapping_index} {kinds[rejection.mapping_index]} "
                  f"({rejection.blueprint}): {reason}", file=out)


def show_preview(path: str, as_json: bool, out: TextIO) -> int:
    """Print what the event in ``path`` would do; the exit code."""
    outcome, kinds = preview(read_event(path, sys.stdin.buffer))
    if as_json:
        json.dump([action_json(a) for a in outcome.actions], out, indent=2, ensure_ascii=False)
        out.write("\n")
    else:
        _print_human(outcome, kinds, out)
    return ExitCode.OK


def build_parser() -> argparse.ArgumentParser:
    parser = new_parser("mapping", "Check the Port mappings against AWS events.")
    add_console_options(parser)
    commands = parser.add_subparsers(dest="command", required=True)
    show = commands.add_parser(
        "preview", help="show what an event would do in Port (or which filter rejects it)",
        description="Show what an event would do in Port, or which filter rejects it.")
    show.add_argument("event", metavar="EVENT.json",
                      help="an EventBridge event, a forwarded body or a Port entity payload "
                           "('-' reads stdin)")
    show.add_argument("--json", action="store_true",
                      help="print a JSON list of actions (empty when no mapping applies)")
    add_console_options(show)
    return parser


def main(argv: list[str]) -> int:
    """Entry point for ``port-aws-wizard mapping ...``; returns the exit code."""
    args = build_parser().parse_args(argv)
    try:
        return show_preview(args.event, args.json, sys.stdout)
    except PreviewInputError as exc:
        print(f"error: {exc}", file=sys.stderr)
        if args.json:  # the same failure document as every --json command
            from wizard.cli.output import print_failure_document

            print_failure_document("PreviewInputError", str(exc), ExitCode.BAD_INPUT)
        return ExitCode.BAD_INPUT
