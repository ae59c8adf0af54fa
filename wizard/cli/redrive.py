"""`port-aws-wizard redrive`: dead-letter messages back to the event queue (asks first)."""

from __future__ import annotations

import argparse
from collections.abc import Mapping, Sequence
from typing import Any, TextIO

from core.errors import InputError
from wizard.cli.operation import Context, command_parser, confirm, note_stackset, run_command


def build_parser() -> argparse.ArgumentParser:
    parser = command_parser("redrive", "Move the dead-letter queue's messages back to the event queue.",
                            json_help="print what was moved as one JSON document")
    parser.add_argument("--yes", "-y", action="store_true", help="do not ask for confirmation")
    return parser


def main(argv: Sequence[str], environ: Mapping[str, str] | None = None,
         out: TextIO | None = None, err: TextIO | None = None,
         stdin: TextIO | None = None) -> int:
    return run_command(lambda context, args: _redrive(context, args, stdin), build_parser(), argv, environ,
                       out, err)


def _redrive(context: Context, args: argparse.Namespace, stdin: TextIO | None) -> int:

    from core.aws.clients import AwsClients, attempts, aws_errors
    from core.aws.installation import locate_installation
    from core.operations.redrive import Redriver, dead_letter_count

    note_stackset(context, "redriving")
    aws = AwsClients(context.settings)
    with aws_errors("redrive the dead-letter queue"):
        found = locate_installation(aws, context.settings)
        if not (found.dlq_url and found.queue_url):
            raise InputError(f"the queues of stack {found.stack_name} were not found in "
                             f"{found.region} (--stack-name, --queue-name, --aws-region)")
        count = dead_letter_count(aws("sqs"), found.dlq_url)
        dlq_name, queue_name = found.dlq_url.rsplit("/", 1)[-1], found.queue_url.rsplit("/", 1)[-1]
        document: dict[str, Any] = {"ok": True, "dead_letter_queue": dlq_name, "queue": queue_name,
                                    "found": count, "moved": 0, "failed": 0, "method": None, "status": None,
                                    "note": "", "cancelled": False}
        if count == 0:
            context.print(f"The dead-letter queue {dlq_name} is empty: nothing to redrive.")
            return _done(context, document)
        if not confirm(context, f"Move {count} message(s) from {dlq_name} back to {queue_name}?",
                        args.yes, stdin):
            context.print("Nothing was moved.")
            return _done(context, {**document, "ok": False, "cancelled": True}, 1)
        # One attempt for the move task: where it is missing, retrying a 500 only delays the fallback.
        redriver = Redriver(aws("sqs"), move_task_client=aws("sqs", attempts(1), "single-try"),
                            report=lambda line: context.output.progress(f"  {line}"))
        result = redriver.redrive(found.dlq_url, found.dlq_arn, found.queue_url, found.queue_arn, count)
    context.print(f"Moved {result.moved} message(s) from {dlq_name} to {queue_name} "
                  f"using the {result.method}." + (f" {result.note}." if result.note else ""))
    complete = not result.failed and result.status == "COMPLETED"
    document.update(ok=complete, moved=result.moved, failed=result.failed, method=result.method,
                    status=result.status, note=result.note)
    if not complete:
        context.print(f"Not all were moved ({result.failed} failed, task {result.status}); "
                      "run redrive again.")
    return _done(context, document, 0 if complete else 1)


def _done(context: Context, document: dict[str, Any], code: int = 0) -> int:
    """The exit code; with --json the document (same fields whatever happened) on stdout."""
    if context.output.json:
        context.output.document(document)
    return code
