"""`port-aws-wizard`: the console entry point.

With no arguments in a terminal it opens the full-screen wizard; with flags or
`--answers` it installs non-interactively. Subcommands (`mapping`, `status`, ...) are
looked up in SUBCOMMANDS and imported only when used, so `--help` imports neither
Textual nor boto3.
"""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import os
import sys
from collections.abc import Sequence

from wizard.cli.flags import SETTINGS_FLAGS, add_settings_flags

# name -> "module:function"; the function takes the remaining argv and returns an exit code.
SUBCOMMANDS: dict[str, tuple[str, str]] = {
    "mapping": ("core.port.preview:main", "check what the webhook mappings do with an event"),
    "status": ("wizard.cli.ops:status_main", "check every hop of the install (exit 1 on a fault)"),
    "logs": ("wizard.cli.ops:logs_main", "show or follow the forwarder's log records"),
    "redrive": ("wizard.cli.ops:redrive_main", "move dead-letter messages back to the queue"),
    "uninstall": ("wizard.cli.ops:uninstall_main", "delete the stack (and, if asked, the Port objects)"),
    "troubleshoot": ("wizard.cli.troubleshoot:main",
                     "live Lambda logs and per-hop checks, full screen"),
    "sync": ("core.operations.sync:main", "send every existing AWS resource to Port (--prune deletes the gone)"),
    "sandbox": ("wizard.cli.sandbox:main",
                "install into a local AWS and Port, send sample events, show the entities"),
}

EXIT_INTERRUPTED = 130


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="port-aws-wizard",
        description=(
            "Connect an AWS account to Port: upsert Port blueprints, integration and ingest webhook, "
            "then deploy the EventBridge -> SQS -> Lambda stack. Port credentials come from "
            "PORT_CLIENT_ID / PORT_CLIENT_SECRET."
        ),
        epilog="subcommands:\n" + "\n".join(
            f"  {name:<14} {help_text}" for name, (_target, help_text) in SUBCOMMANDS.items()
        ) + "\n\nRun `port-aws-wizard SUBCOMMAND --help` for a subcommand's options.",
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
    parser.add_argument("--no-tui", action="store_true", help="never open the full-screen wizard")
    parser.add_argument("--sandbox", action="store_true",
                        help="run against a local AWS (moto) and Port (emulator); no accounts needed")
    _add_stackset_arguments(parser)
    return parser


def _add_stackset_arguments(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group(
        "StackSet install (one stack per account and region, Port set up once)")
    group.add_argument("--stackset", action="store_true", default=None,
                       help="deploy with a CloudFormation StackSet named --stack-name, from --aws-region")
    group.add_argument("--accounts", help="comma-separated 12-digit target account ids (self-managed)")
    group.add_argument("--organizational-units",
                       help="comma-separated target OU ids, ou-xxxx-yyyyyyyy (service-managed)")
    group.add_argument("--regions", help="comma-separated target regions, e.g. us-east-1,eu-west-1")
    group.add_argument("--permission-model", help="SELF_MANAGED (default with --accounts) or "
                       "SERVICE_MANAGED (default with --organizational-units)")
    group.add_argument("--failure-tolerance", metavar="N|N%",
                       help="accounts per region that may fail before a region stops (default: 0)")
    group.add_argument("--max-concurrency", metavar="N|N%",
                       help="accounts deployed at the same time (default: 1)")
    group.add_argument("--administration-role-arn", help="self-managed administration role "
                       "(default: AWSCloudFormationStackSetAdministrationRole in this account)")
    group.add_argument("--execution-role-name", help="self-managed execution role in each target "
                       "account (default: AWSCloudFormationStackSetExecutionRole)")


INSTALL_FLAGS = (*SETTINGS_FLAGS, "port_only", "dry_run", "enrich_events", "resync_schedule", "stackset",
                 "accounts", "organizational_units", "regions", "permission_model", "failure_tolerance",
                 "max_concurrency", "administration_role_arn", "execution_role_name")


def main(argv: Sequence[str] | None = None) -> int:
    args_list = list(sys.argv[1:] if argv is None else argv)
    try:
        if args_list and args_list[0] in SUBCOMMANDS:
            return _run_subcommand(args_list[0], args_list[1:])
        args = build_parser().parse_args(args_list)
        flags = {name: getattr(args, name) for name in INSTALL_FLAGS}
        if args.sandbox:
            return run_sandbox(args.answers, flags, args.no_tui)
        if not args_list and not args.no_tui and _interactive() and _tui_available():
            from wizard.app import run_app

            return run_app()
        return run_install(args.answers, flags)
    except KeyboardInterrupt:
        print("\ninterrupted: run the same command again to finish (every step is idempotent)",
              file=sys.stderr)
        return EXIT_INTERRUPTED


def run_install(answers: str | None, flags: dict[str, object]) -> int:
    from wizard.cli.install import run_console_install
    from wizard.cli.prompts import complete_inputs

    completed = complete_inputs(answers, flags, os.environ, interactive=_interactive())
    if isinstance(completed, int):  # values missing and no terminal to ask: listed, exit 2
        return completed
    flags, environ = completed
    return run_console_install(answers, flags, environ)


def run_sandbox(answers: str | None, flags: dict[str, object], no_tui: bool) -> int:
    """`--sandbox`: the wizard against the sandbox; headless with --answers, --no-tui or no terminal."""
    from core.sandbox.environment import SandboxEnvironment, SandboxOptions
    from wizard.cli.sandbox import run_headless

    if answers is None and not no_tui and _interactive() and _tui_available():
        from wizard.app import run_app

        with SandboxEnvironment(flags=flags) as sandbox:
            return run_app(sandbox=sandbox)
    return run_headless(answers, flags, None, 60.0, SandboxOptions())


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
