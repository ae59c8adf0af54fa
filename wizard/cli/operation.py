"""What `status`, `logs`, `redrive` and `uninstall` share: their flags, settings, errors, a confirmation.

Each takes the install's settings flags (and `--answers`), so it finds the resources the
install made. Port credentials come from PORT_CLIENT_ID / PORT_CLIENT_SECRET. The work is
done by UI-free modules the wizard uses too: core.operations (status, logs, redrive, uninstall).
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
from wizard.cli.render import print_error


def settings_parser() -> argparse.ArgumentParser:
    parent = argparse.ArgumentParser(add_help=False)
    group = parent.add_argument_group("where the install is (same flags as the install)")
    add_settings_flags(group, answers_help="the install's YAML answers file", overrides={
        "queue_name": "SQS queue name, used when the stack is gone",
        "lambda_function_name": "Lambda function name, used when the stack is gone",
        "event_sources": "comma-separated event sources the rule should match (default: the stack's own)",
    })
    add_stackset_flags(parent, title="a StackSet install (the same StackSet flags as the install)",
                       overrides={"stackset": "the install is a StackSet named --stack-name in --aws-region"})
    return parent


def command_parser(prog: str, description: str) -> argparse.ArgumentParser:
    return argparse.ArgumentParser(prog=f"port-aws-wizard {prog}", description=description,
                                   parents=[settings_parser()])


class Context:
    """What every command needs: settings, Port credentials, output streams."""

    def __init__(self, args: argparse.Namespace, environ: Mapping[str, str],
                 out: TextIO, err: TextIO) -> None:
        from wizard.cli.install import build_settings

        flags = settings_flags(args, SETTINGS_FLAGS + STACKSET_FLAGS)
        self.settings: InstallSettings
        self.settings, secrets = build_settings(args.answers, flags, environ)
        self.credentials = credentials_from(environ, secrets)
        self.out, self.err = out, err

    def print(self, text: str = "") -> None:
        print(text, file=self.out, flush=True)


def run_command(main: Callable[[Context, argparse.Namespace], int], parser: argparse.ArgumentParser,
         argv: Sequence[str], environ: Mapping[str, str] | None, out: TextIO | None,
         err: TextIO | None) -> int:
    out, err = out or sys.stdout, err or sys.stderr
    args = parser.parse_args(list(argv))
    try:
        context = Context(args, os.environ if environ is None else environ, out, err)
        return main(context, args)
    except WizardError as error:
        return print_error(error, err)


def confirm(context: Context, question: str, yes: bool, stdin: TextIO | None = None) -> bool:
    """True when --yes was given or the user answers y; without a terminal, --yes is required."""
    if yes:
        return True
    stdin = stdin or sys.stdin
    if not stdin.isatty():
        raise InputError(f"{question} Not asked without a terminal: pass --yes to go ahead")
    print(f"{question} [y/N] ", end="", file=context.out, flush=True)
    return stdin.readline().strip().lower() in ("y", "yes")


def note_stackset(context: Context, doing: str) -> None:
    """With --stackset, say that the command acts on this account's instance only."""
    if context.settings.stackset:
        from core.aws.stackset import local_instance_note

        print(f"note: {local_instance_note(context.settings, doing)}", file=context.err, flush=True)
