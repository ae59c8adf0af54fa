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

from wizard.cli.flags import add_settings_flags, settings_flags

EXIT_USAGE = 2
REMEMBERED = ("port_base_url", "aws_region", "aws_profile", "stack_name", "queue_name",
              "lambda_function_name", "integration_id", "event_sources")


TROUBLESHOOT_FLAGS = ("aws_region", "aws_profile", "stack_name", "queue_name", "lambda_function_name",
                      "port_base_url")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="port-aws-wizard troubleshoot",
        description="Full-screen troubleshooting: a live tail of the forwarder Lambda's CloudWatch logs "
                    "(follow/pause, filter) and a check of each hop. Without a terminal use "
                    "`port-aws-wizard status` and `port-aws-wizard logs --follow`.",
    )
    add_settings_flags(parser, answers_help="YAML answers file of the install", names=TROUBLESHOOT_FLAGS)
    return parser


def main(argv: Sequence[str], environ: Mapping[str, str] | None = None, interactive: bool | None = None
         ) -> int:
    from core.config.settings import SettingsBuilder
    from core.errors import InputError, print_error
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
            from core.config.answers import load_answers

            values, _secrets = load_answers(Path(args.answers), environ)
            builder.apply(values, f"answers file {args.answers}")
        builder.apply_environment(environ)
        flags = settings_flags(args, TROUBLESHOOT_FLAGS)
        builder.apply(flags, "command line")
        settings = builder.build()
    except InputError as error:
        return print_error(error, sys.stderr)
    from wizard.app import run_troubleshoot

    return run_troubleshoot(settings)
