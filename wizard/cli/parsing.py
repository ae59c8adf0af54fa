"""Argument conventions every command shares, so the console behaves like the AWS tools beside it.

- No abbreviated options (`allow_abbrev=False`): `--region` is not silently `--regions`.
- A short error naming the fix ("did you mean --aws-region?") instead of the whole usage.
- The console options on every parser: `--version`, `-v/--verbose`, `-q/--quiet` (and
  `--json` where a command has a result to print).
- Options may come before or after the subcommand: `locate_subcommand` finds it.

Importing this module imports argparse only (`--help` stays fast); difflib comes with an error.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Iterable, Sequence
from typing import Any, NoReturn

PROG = "port-aws-wizard"
DISTRIBUTION = "port-aws-wizard"


class ConsoleParser(argparse.ArgumentParser):
    """ArgumentParser with no abbreviations and a short error that suggests the closest option."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs["allow_abbrev"] = False
        super().__init__(*args, **kwargs)

    def parse_known_args(self, args: Sequence[str] | None = None, namespace: Any = None) -> Any:
        given = sys.argv[1:] if args is None else list(args)
        self._json_requested = "--json" in given and "--json" in self._option_string_actions
        return super().parse_known_args(given, namespace)

    def error(self, message: str) -> NoReturn:
        """Short: the usage when it fits on two lines, the error with its "did you mean", where to look."""
        usage = self.format_usage().strip()
        lines = [usage] if usage.count("\n") < 2 else [f"usage: {self.prog} [options]"]
        message += self._suggestion(message)
        lines.append(f"{self.prog}: error: {message}")
        lines.append(f"Run `{self.prog} --help` for the options.")
        if getattr(self, "_json_requested", False):  # scripts read stdout: the failure document too
            from wizard.cli.output import print_failure_document

            print_failure_document("UsageError", message)
        self.exit(2, "\n".join(lines) + "\n")

    def _suggestion(self, message: str) -> str:
        prefix = "unrecognized arguments: "
        if not message.startswith(prefix):
            return ""
        options = [token.split("=", 1)[0] for token in message[len(prefix):].split()
                   if token.startswith("-")]
        import difflib

        known = list(self._option_string_actions)
        for option in options:
            close = difflib.get_close_matches(option, known, n=1, cutoff=0.7)
            if close:
                return f" (did you mean {close[0]}?)"
        return ""


class _VersionAction(argparse.Action):
    """`--version`: the installed version, read only when asked (the metadata scan costs time)."""

    def __init__(self, option_strings: Sequence[str], dest: str = argparse.SUPPRESS, **kwargs: Any) -> None:
        super().__init__(option_strings, dest, nargs=0, default=argparse.SUPPRESS,
                         help="print the version and exit")

    def __call__(self, parser: argparse.ArgumentParser, namespace: argparse.Namespace,
                 values: Any, option_string: str | None = None) -> None:
        print(version_line())
        parser.exit(0)


def version_line() -> str:
    from importlib import metadata

    try:
        version = metadata.version(DISTRIBUTION)
    except metadata.PackageNotFoundError:  # run from a checkout that was never installed
        version = "unknown"
    return f"{PROG} {version} (Python {sys.version.split()[0]})"


def new_parser(prog: str = "", description: str = "", **kwargs: Any) -> ConsoleParser:
    """A command's parser: `port-aws-wizard PROG`, with the console conventions."""
    return ConsoleParser(prog=f"{PROG} {prog}".strip(), description=description, **kwargs)


def add_console_options(parser: argparse.ArgumentParser, *, json_help: str | None = None) -> None:
    """`--version`, `-v/--verbose`, `-q/--quiet`, and `--json` when the command has a result document."""
    group = parser.add_argument_group("output")
    group.add_argument("--version", action=_VersionAction)
    if json_help:
        group.add_argument("--json", action="store_true",
                           help=f"{json_help}; progress goes to stderr (errors: {{\"ok\": false, ...}})")
    loudness = group.add_mutually_exclusive_group()
    loudness.add_argument("-v", "--verbose", action="store_true",
                          help="also show each AWS and Port call and every retry (never secrets), on stderr")
    loudness.add_argument("-q", "--quiet", action="store_true",
                          help="no progress: only the result, warnings and errors (for CI)")


def locate_subcommand(argv: Sequence[str], names: Iterable[str], takes_value: Callable[[str], bool | None]
                      ) -> tuple[int | None, int | None]:
    """(index of the subcommand, index of the first stray word) in argv; None where there is none.

    Options may come first (`--aws-region eu-west-1 status`): an option's value is skipped when
    `takes_value(option)` says it has one, so `--stack-name status` is not the subcommand. After
    an option it does not know (None), a word that is no subcommand is taken as that option's
    value, so `--since 10m logs` works and `--regoin x` is left to the parser's "did you mean".
    """
    names = set(names)
    stray = None
    index = 0
    while index < len(argv):
        token = argv[index]
        if token == "--":
            break
        if token.startswith("-") and token != "-":
            if "=" not in token:
                value = takes_value(token)
                following = argv[index + 1] if index + 1 < len(argv) else ""
                if value or (value is None and following not in names and not following.startswith("-")):
                    index += 1
        elif token in names:
            return index, stray
        elif stray is None:
            stray = index
        index += 1
    return None, stray


def option_takes_value(parser: argparse.ArgumentParser) -> Callable[[str], bool | None]:
    """For locate_subcommand: whether `parser` gives the option a value (None: an unknown option)."""
    def takes_value(option: str) -> bool | None:
        action = parser._option_string_actions.get(option)  # noqa: SLF001 - argparse has no public map
        return None if action is None else action.nargs != 0
    return takes_value


def unknown_subcommand(word: str, names: Sequence[str]) -> str:
    """The short error for `port-aws-wizard statsu`: what was meant, and the list."""
    import difflib

    close = difflib.get_close_matches(word, names, n=1, cutoff=0.6)
    guess = f"; did you mean '{close[0]}'?" if close else ""
    return (f"{PROG}: error: unknown subcommand '{word}'{guess}\n"
            f"subcommands: {', '.join(names)}\n"
            f"Run `{PROG} --help` for the options.\n")
