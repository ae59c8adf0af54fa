"""`port-aws-wizard logs`: the forwarder's log records, one readable line each; --follow tails."""

from __future__ import annotations

import argparse
import threading
from collections.abc import Mapping, Sequence
from typing import TextIO

from core.errors import InputError
from wizard.cli.operation import Context, command_parser, note_stackset, run_command


def build_parser() -> argparse.ArgumentParser:
    parser = command_parser("logs", "Show the forwarder's log records, one readable line each.")
    parser.add_argument("--follow", "-f", action="store_true", help="keep printing new records")
    parser.add_argument("--since", default="10m",
                        help="how far back to start: 30s, 10m, 2h, 1d (default 10m)")
    parser.add_argument("--filter", metavar="TEXT", help="only records containing every term of TEXT")
    parser.add_argument("--resync", action="store_true",
                        help="only the resync's records (one per piece, one summary per run)")
    parser.add_argument("--raw", action="store_true", help="print the records as they are")
    return parser


def main(argv: Sequence[str], environ: Mapping[str, str] | None = None,
         out: TextIO | None = None, err: TextIO | None = None,
         stop: threading.Event | None = None) -> int:
    return run_command(lambda context, args: _logs(context, args, stop), build_parser(), argv, environ,
                       out, err)


def _logs(context: Context, args: argparse.Namespace, stop: threading.Event | None) -> int:
    from core.aws.clients import AWS_ERRORS, CLIENT_CONFIG, AwsClients, explain_aws_error
    from core.aws.installation import locate_installation
    from core.operations.logs import LogTail, live_tail_client, log_group_arn, log_group_exists, parse_since

    try:
        since = parse_since(args.since)
    except ValueError as error:
        raise InputError(str(error)) from None
    note_stackset(context, "showing the logs of")
    aws = AwsClients(context.settings)
    try:
        installation = locate_installation(aws, context.settings)
        logs = aws("logs")
        if not log_group_exists(logs, installation.log_group):
            raise InputError(f"log group {installation.log_group} does not exist in "
                             f"{context.settings.aws_region}: is the stack installed there? "
                             "(--stack-name, --aws-region)")
        live = None
        arn = None
        if args.follow:
            live = live_tail_client(aws.session, context.settings.aws_endpoint_url, CLIENT_CONFIG)
            arn = log_group_arn(logs, installation.log_group)
        text = " ".join(term for term in ("resync" if args.resync else "", args.filter or "") if term)
        tail = LogTail(logs, installation.log_group, since, text or None, live_client=live,
                       log_group_arn=arn)
        output = context.output
        if not output.quiet:  # about the records, not one of them: stderr, so stdout pipes cleanly
            output.write(f"{installation.log_group} (since {args.since}"
                         + (f", filter {text!r}" if text else "") + ")", context.err)
        lines = tail.follow(stop) if args.follow else iter(tail.history())
        shown_notices = 0
        for line in lines:
            output.write(line.message if args.raw else line.text, context.out)
            while shown_notices < len(tail.notices):
                output.write(f"note: {tail.notices[shown_notices]}", context.err)
                shown_notices += 1
        for notice in tail.notices[shown_notices:]:
            output.write(f"note: {notice}", context.err)
    except AWS_ERRORS as error:
        raise explain_aws_error(error, "read the forwarder's logs") from None
    except KeyboardInterrupt:
        return 0
    return 0
