"""`port-aws-wizard`: the console entry point.

With no arguments in a terminal it opens the full-screen wizard; with flags or
`--answers` it installs non-interactively. Subcommands (`mapping`, `status`, ...) are
looked up in SUBCOMMANDS and imported only when used, so `--help` imports none of
Textual, boto3 or rich. Options may come before the subcommand (wizard/cli/parsing.py).
"""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import os
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING

from core.errors import ExitCode
from wizard.cli.flags import SETTINGS_FLAGS, STACKSET_FLAGS, add_settings_flags, add_stackset_flags
from wizard.cli.parsing import (
    PROG,
    add_console_options,
    locate_subcommand,
    new_parser,
    option_takes_value,
    unknown_subcommand,
)

if TYPE_CHECKING:
    from wizard.cli.output import Output

# name -> "module:function"; the function takes the remaining argv and returns an exit code.
SUBCOMMANDS: dict[str, tuple[str, str]] = {
    "mapping": ("wizard.cli.mapping:main", "check what the webhook mappings do with an event"),
    "status": ("wizard.cli.status:main", "check every hop of the install (exit 1 on a fault)"),
    "logs": ("wizard.cli.logs:main", "show or follow the forwarder's log records"),
    "redrive": ("wizard.cli.redrive:main", "move dead-letter messages back to the queue"),
    "uninstall": ("wizard.cli.uninstall:main", "delete the stack (and, if asked, the Port objects)"),
    "troubleshoot": ("wizard.cli.troubleshoot:main",
                     "live Lambda logs and per-hop checks, full screen"),
    "sync": ("wizard.cli.sync:main",
             "send every existing AWS resource to Port (--prune deletes the gone)"),
    "sandbox": ("wizard.cli.sandbox:main",
                "install into a local AWS and Port, send sample events, show the entities"),
}


def build_parser() -> argparse.ArgumentParser:
    parser = new_parser(
        description=(
            "Connect an AWS account to Port: upsert Port blueprints, integration and ingest webhook, "
            "then deploy the EventBridge -> SQS -> Lambda stack. Port credentials come from "
            "PORT_CLIENT_ID / PORT_CLIENT_SECRET."
        ),
        epilog="subcommands:\n" + "\n".join(
            f"  {name:<14} {help_text}" for name, (_target, help_text) in SUBCOMMANDS.items()
        ) + f"\n\nRun `{PROG} SUBCOMMAND --help` for a subcommand's options; options may come before "
            "or after the subcommand.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_settings_flags(parser, answers_help="YAML answers file (no prompts)")
    parser.add_argument("--port-only", action="store_true", default=None,
                        help="only set up Port; print the CloudFormation deploy command")
    parser.add_argument("--dry-run", action="store_true", default=None,
                        help="show the plan; change nothing in Port or AWS")
    parser.add_argument("--no-enrich", dest="enrich_events", action="store_false", default=None,
                        help="forward events as they are; do not describe the resource they name")
    parser.add_argument("--resync-schedule", metavar="EXPRESSION",
                        help="how often the stack resends every resource to Port: an EventBridge "
                             "rate(...) or cron(...) expression, or off (default: rate(6 hours))")
    parser.add_argument("--lambda-max-concurrency", metavar="N",
                        help="most function instances the queue feeds at once, 2-1000 (default: 5)")
    parser.add_argument("--alarm-email", metavar="ADDRESS",
                        help="e-mail told when the dead-letter or error alarm fires (default: none)")
    parser.add_argument("--rotate-webhook-secret", action="store_true", default=None,
                        help="new signing secret in Port and the stack together (Port may drop "
                             "events sent during the stack update)")
    parser.add_argument("--no-tui", action="store_true", help="never open the full-screen wizard")
    parser.add_argument("--sandbox", action="store_true",
                        help="run against a local AWS (moto) and Port (emulator); no accounts needed")
    add_stackset_flags(parser)
    add_console_options(parser, json_help="print the plan (--dry-run) or the result as one JSON document")
    return parser


INSTALL_FLAGS = (*SETTINGS_FLAGS, "port_only", "dry_run", "enrich_events", "resync_schedule",
                 "lambda_max_concurrency",
                 "alarm_email", "rotate_webhook_secret", *STACKSET_FLAGS)


def main(argv: Sequence[str] | None = None) -> int:
    args_list = list(sys.argv[1:] if argv is None else argv)
    try:
        parser = build_parser()
        found, stray = locate_subcommand(args_list, SUBCOMMANDS, option_takes_value(parser))
        if found is not None:  # options before the subcommand go after it: the same command
            return _run_subcommand(args_list[found], args_list[found + 1:] + args_list[:found])
        if stray is not None:
            return _unknown_subcommand(args_list[stray], "--json" in args_list)
        args = parser.parse_args(args_list)
        from wizard.cli.output import Output  # after parsing: --help never loads json or threading

        flags = {name: getattr(args, name) for name in INSTALL_FLAGS}
        output = Output.from_args(args)
        if args.sandbox:
            return run_sandbox(args.answers, flags, args.no_tui, output)
        if not args_list and not args.no_tui and _interactive() and _tui_available():
            from wizard.app import run_app

            return run_app()
        return run_install(args.answers, flags, output)
    except KeyboardInterrupt:
        print("\ninterrupted: run the same command again to finish (every step is idempotent)",
              file=sys.stderr)
        if "--json" in args_list:
            from wizard.cli.output import print_failure_document

            print_failure_document("Interrupted", "interrupted (Ctrl-C)", ExitCode.INTERRUPTED)
        return ExitCode.INTERRUPTED


def run_install(answers: str | None, flags: dict[str, object], output: Output | None = None) -> int:
    from wizard.cli.install import run_console_install
    from wizard.cli.output import Output, print_failure_document
    from wizard.cli.prompts import complete_inputs, find_missing

    output = output or Output()
    interactive = _interactive() and not output.json  # prompts would write into the JSON document
    completed = complete_inputs(answers, flags, os.environ, interactive=interactive, err=output.err)
    if isinstance(completed, int):  # values missing and no terminal to ask: listed, exit 2
        if output.json:
            missing = find_missing(answers, flags, os.environ, interactive=False)
            print_failure_document("InputError", "values are missing (nobody to ask with --json)",
                                   completed, [f"missing: {item.label}" for item in missing])
        return completed
    flags, environ = completed
    return run_console_install(answers, flags, environ, output=output)


def run_sandbox(answers: str | None, flags: dict[str, object], no_tui: bool,
                output: Output | None = None) -> int:
    """`--sandbox`: the wizard against the sandbox; headless with --answers, --no-tui or no terminal."""
    from core.sandbox.environment import SandboxEnvironment, SandboxOptions
    from wizard.cli.output import Output
    from wizard.cli.sandbox import run_headless, unavailable

    output = output or Output()
    if (missing := unavailable(output)) is not None:
        return missing
    if answers is None and not no_tui and _interactive() and _tui_available():
        from wizard.app import run_app

        with SandboxEnvironment(flags=flags) as sandbox:
            return run_app(sandbox=sandbox)
    return run_headless(answers, flags, None, 60.0, SandboxOptions(), output=output)


def _unknown_subcommand(word: str, json_requested: bool) -> int:
    sys.stderr.write(unknown_subcommand(word, list(SUBCOMMANDS)))
    if json_requested:
        from wizard.cli.output import print_failure_document

        print_failure_document("UsageError", f"unknown subcommand '{word}'", ExitCode.BAD_INPUT)
    return ExitCode.BAD_INPUT


def _run_subcommand(name: str, argv: list[str]) -> int:
    module_name, _, function_name = SUBCOMMANDS[name][0].partition(":")
    function = getattr(importlib.import_module(module_name), function_name)
    return int(function(argv) or 0)


def _interactive() -> bool:
    return sys.stdin.isatty() and sys.stdout.isatty()


def _tui_available() -> bool:
    return importlib.util.find_spec("wizard.app") is not None


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
