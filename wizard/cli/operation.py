"""What `status`, `logs`, `redrive` and `uninstall` share: their flags, settings, output, errors,
a confirmation.

Each takes the install's settings flags (and `--answers`), so it finds the resources the
install made, and the console options (`-v`, `-q`, `--json` where it has a result document).
Port credentials come from PORT_CLIENT_ID / PORT_CLIENT_SECRET. The work is done by UI-free
modules the wizard uses too (core.operations).
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Mapping, Sequence
from typing import TextIO

from core.config.credentials import credentials_from
from core.config.settings import InstallSettings
from core.errors import InputError, WizardError
from wizard.cli.flags import (
    SETTINGS_FLAGS,
    STACKSET_FLAGS,
    add_settings_flags,
    add_stackset_flags,
    settings_flags,
)
from wizard.cli.output import Output
from wizard.cli.parsing import ConsoleParser, add_console_options, new_parser
from wizard.cli.verbose import verbose_calls


def settings_parser() -> argparse.ArgumentParser:
    parent = ConsoleParser(add_help=False)
    group = parent.add_argument_group("where the install is (same flags as the install)")
    add_settings_flags(group, answers_help="the install's YAML answers file", overrides={
        "queue_name": "SQS queue name, used when the stack is gone",
        "lambda_function_name": "Lambda function name, used when the stack is gone",
        "event_sources": "comma-separated event sources the rule should match (default: the stack's own)",
    })
    add_stackset_flags(parent, title="a StackSet install (the same StackSet flags as the install)",
                       overrides={"stackset": "the install is a StackSet named --stack-name in --aws-region"})
    return parent


def command_parser(prog: str, description: str, *, json_help: str | None = None) -> argparse.ArgumentParser:
    parser = new_parser(prog, description, parents=[settings_parser()])
    add_console_options(parser, json_help=json_help)
    return parser


class Context:
    """What every command needs: settings, Port credentials, where to write."""

    def __init__(self, args: argparse.Namespace, environ: Mapping[str, str], output: Output) -> None:
        from wizard.cli.install import build_settings

        flags = settings_flags(args, SETTINGS_FLAGS + STACKSET_FLAGS)
        self.settings: InstallSettings
        self.settings, secrets = build_settings(args.answers, flags, environ)
        self.credentials = credentials_from(environ, secrets)
        self.output = output
        self.out, self.err = output.out, output.err

    def print(self, text: str = "") -> None:
        """A human line of the result (on stderr with --json, where the document is the result)."""
        self.output.result(text)


def run_command(main: Callable[[Context, argparse.Namespace], int], parser: argparse.ArgumentParser,
         argv: Sequence[str], environ: Mapping[str, str] | None, out: TextIO | None,
         err: TextIO | None) -> int:
    args = parser.parse_args(list(argv))
    environ = os.environ if environ is None else environ
    output = Output.from_args(args, out, err, environ)
    try:
        with verbose_calls(output):
            context = Context(args, environ, output)
            return main(context, args)
    except WizardError as error:
        return output.fail(error)


def confirm(context: Context, question: str, yes: bool, stdin: TextIO | None = None) -> bool:
    """True when --yes was given or the user answers y; without a terminal, --yes is required."""
    if yes:
        return True
    stdin = stdin or sys.stdin
    if not stdin.isatty():
        raise InputError(f"{question} Not asked without a terminal: pass --yes to go ahead")
    print(f"{question} [y/N] ", end="", file=context.output.progress_stream, flush=True)
    return stdin.readline().strip().lower() in ("y", "yes")


def note_stackset(context: Context, doing: str) -> None:
    """With --stackset, say that the command acts on this account's instance only."""
    if context.settings.stackset:
        from core.aws.stackset import local_instance_note

        context.output.write(f"note: {local_instance_note(context.settings, doing)}", context.output.err)
