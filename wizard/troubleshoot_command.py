"""`port-aws-wizard troubleshoot`: the troubleshooting screen on its own (live logs, hop checks).

Which install to look at: --answers / flags / environment, over the answers the wizard
saved last time (so right after an install no option is needed).
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path

EXIT_USAGE = 2
REMEMBERED = ("port_base_url", "aws_region", "aws_profile", "stack_name", "queue_name",
              "lambda_function_name", "integration_id", "event_sources")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="port-aws-wizard troubleshoot",
        description="Full-screen troubleshooting: a live tail of the forwarder Lambda's CloudWatch logs "
                    "(follow/pause, filter) and a check of each hop. Without a terminal use "
                    "`port-aws-wizard status` and `port-aws-wizard logs --follow`.",
    )
    parser.add_argument("--answers", metavar="FILE", help="YAML answers file of the install")
    parser.add_argument("--aws-region", help="AWS region of the install")
    parser.add_argument("--aws-profile", help="AWS profile from your AWS config")
    parser.add_argument("--stack-name", help="CloudFormation stack name")
    parser.add_argument("--queue-name", help="SQS queue name")
    parser.add_argument("--lambda-function-name", help="Lambda function name")
    parser.add_argument("--port-base-url", help="Port API base URL (for the Port checks)")
    return parser


def main(argv: Sequence[str], environ: Mapping[str, str] | None = None, interactive: bool | None = None
         ) -> int:
    from core.errors import InputError
    from core.settings import SettingsBuilder
    from wizard.state import StateStore, WizardState

    environ = os.environ if environ is None else environ
    args = build_parser().parse_args(list(argv))
    interactive = sys.stdin.isatty() and sys.stdout.isatty() if interactive is None else interactive
    if not interactive:
        print("error: troubleshoot is full screen and needs a terminal; use `port-aws-wizard status` "
              "and `port-aws-wizard logs --follow` instead", file=sys.stderr)
        return EXIT_USAGE
    saved = WizardState()
    StateStore().load(saved)
    builder = SettingsBuilder()
    remembered = saved.settings()
    builder.apply({name: getattr(remembered, name) for name in REMEMBERED}, "saved answers")
    try:
        if args.answers:
            from core.answers import load_answers

            values, _secrets = load_answers(Path(args.answers), environ)
            builder.apply(values, f"answers file {args.answers}")
        builder.apply_environment(environ)
        flags = {name: getattr(args, name) for name in ("aws_region", "aws_profile", "stack_name",
                                                        "queue_name", "lambda_function_name",
                                                        "port_base_url")}
        builder.apply(flags, "command line")
        settings = builder.build()
    except InputError as error:
        for problem in error.problems:
            print(f"error: {problem}", file=sys.stderr)
        return error.exit_code
    from wizard.app import run_troubleshoot

    return run_troubleshoot(settings)
