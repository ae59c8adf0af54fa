"""`port-aws-wizard mapping preview EVENT.json`: what an event would do in Port.

Runs the shipped mappings (``.port/resources/port-app-config.yml``) through the same jq
engine the ingest uses, so users can check an edited mapping before deploying it.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any, TextIO

from core.port.mapping_engine import EntityAction, MappingOutcome, evaluate_webhook_mappings
from core.port.resources import load_app_config, mapping_kinds, webhook_mappings

EXIT_OK = 0
EXIT_BAD_INPUT = 2


class PreviewInputError(ValueError):
    """The event file cannot be previewed (unreadable, not JSON, wrong shape)."""


def forwarded_body(document: Any) -> Any:
    """The body the Lambda would POST for ``document`` (see docs/contracts.md).

    A raw EventBridge event is wrapped as ``{"metadata", "event"}``; an already
    forwarded body or a pre-formatted entity payload is returned as it is.
    """
    if not isinstance(document, dict):
        raise PreviewInputError("expected a JSON object (an EventBridge event, a forwarded "
                                "body or a Port entity payload)")
    if "event" in document and "metadata" in document:
        return document
    if "blueprint" in document and "identifier" in document:
        return document
    if "detail-type" in document:
        metadata = {
            "source": document.get("source"),
            "detailType": document.get("detail-type"),
            "account": document.get("account"),
            "region": document.get("region"),
            "resources": document.get("resources") or [],
            "time": document.get("time"),
            "eventId": document.get("id"),
            "messageId": None,
        }
        return {"metadata": metadata, "event": document}
    raise PreviewInputError("not an EventBridge event (no 'detail-type'), a forwarded body "
                            "('metadata' + 'event') or a Port entity payload "
                            "('blueprint' + 'identifier')")


def _action_json(action: EntityAction) -> dict[str, Any]:
    return {
        "blueprint": action.blueprint,
        "operation": action.operation,
        "identifier": action.identifier,
        "properties": action.properties,
        "relations": action.relations,
    }


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


def _read_document(path: str) -> Any:
    try:
        text = sys.stdin.read() if path == "-" else Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise PreviewInputError(f"cannot read {path}: {exc.strerror or exc}") from None
    try:
        return json.loads(text)
    except ValueError as exc:
        raise PreviewInputError(f"{path} is not valid JSON: {exc}") from None


def preview(path: str, as_json: bool, out: TextIO) -> int:
    """Print what the event in ``path`` would do; the exit code."""
    body = forwarded_body(_read_document(path))
    config = load_app_config()
    outcome = evaluate_webhook_mappings(webhook_mappings(config), body)
    if as_json:
        json.dump([_action_json(a) for a in outcome.actions], out, indent=2, ensure_ascii=False)
        out.write("\n")
    else:
        _print_human(outcome, mapping_kinds(config), out)
    return EXIT_OK


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="port-aws-wizard mapping",
                                     description="Check the Port mappings against AWS events.")
    commands = parser.add_subparsers(dest="command", required=True)
    show = commands.add_parser(
        "preview", help="show what an event would do in Port (or which filter rejects it)")
    show.add_argument("event", metavar="EVENT.json",
                      help="an EventBridge event, a forwarded body or a Port entity payload "
                           "('-' reads stdin)")
    show.add_argument("--json", action="store_true",
                      help="print a JSON list of actions (empty when no mapping applies)")
    return parser


def main(argv: list[str]) -> int:
    """Entry point for ``port-aws-wizard mapping ...``; returns the exit code."""
    args = _parser().parse_args(argv)
    try:
        return preview(args.event, args.json, sys.stdout)
    except PreviewInputError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
