"""The non-full-screen path: ask for missing values with questionary, or say what is missing.

Used when the full-screen wizard does not fit: no TTY, `--no-tui`, or an answers file
(or flags) that leave values out. In a terminal each missing value is asked for (the
secret with a password prompt); without one the missing values are listed and the exit
code is 2, so a CI job never waits for input that cannot come.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol, TextIO

from core.config.credentials import CLIENT_ID_VARIABLE, CLIENT_SECRET_VARIABLE
from core.config.settings import DEFAULT_PORT_BASE_URL, ENVIRONMENT_SETTINGS, InstallSettings, validate
from core.errors import InputError

EXIT_MISSING = 2
PORT_URLS = {
    "EU (https://api.getport.io)": DEFAULT_PORT_BASE_URL,
    "US (https://api.us.getport.io)": "https://api.us.getport.io",
}
CUSTOM_URL = "Custom URL"


@dataclass(frozen=True)
class Missing:
    name: str  # a setting name, or the credential variable
    label: str  # how the user knows it: the flag / variable
    question: str
    secret: bool = False
    default: str = ""


class Asker(Protocol):
    """The prompts used; questionary in a terminal, a fake in tests."""

    def text(self, question: str, default: str = "", validate: Any = None) -> str | None: ...

    def password(self, question: str) -> str | None: ...

    def select(self, question: str, choices: list[str], default: str | None = None) -> str | None: ...


@dataclass
class QuestionaryAsker:
    """questionary prompts; `input`/`output` are prompt_toolkit's, for tests (create_pipe_input)."""

    input: Any = None
    output: Any = None
    extra: dict[str, Any] = field(default_factory=dict)

    def _io(self) -> dict[str, Any]:
        io = dict(self.extra)
        if self.input is not None:
            io["input"] = self.input
        if self.output is not None:
            io["output"] = self.output
        return io

    def text(self, question: str, default: str = "", validate: Any = None) -> str | None:
        import questionary

        return questionary.text(question, default=default, validate=validate, **self._io()).ask()

    def password(self, question: str) -> str | None:
        import questionary

        return questionary.password(question, validate=lambda v: bool(v.strip()) or "required",
                                    **self._io()).ask()

    def select(self, question: str, choices: list[str], default: str | None = None) -> str | None:
        import questionary

        return questionary.select(question, choices=choices, default=default, **self._io()).ask()


def find_missing(answers: str | None, flags: Mapping[str, object], environ: Mapping[str, str],
                 *, interactive: bool) -> list[Missing]:
    """What the user has not given. Port credentials are always needed (except for a dry run);
    in a terminal the Port URL and the AWS region are asked for too rather than defaulted."""
    from core.config.answers import load_answers
    from core.config.credentials import credentials_from

    values: dict[str, Any] = {}
    secrets: dict[str, str] = {}
    if answers:
        values, secrets = load_answers(Path(answers), environ)  # raises InputError on a bad file
    given = {name for name, value in values.items() if value is not None}
    given |= {setting for variable, setting in ENVIRONMENT_SETTINGS.items() if environ.get(variable)}
    given |= {name for name, value in flags.items() if value is not None}
    missing: list[Missing] = []
    if interactive and "port_base_url" not in given:
        missing.append(Missing("port_base_url", "--port-base-url / PORT_BASE_URL",
                               "Where is your Port organization?", default=DEFAULT_PORT_BASE_URL))
    dry_run = bool(flags.get("dry_run") or values.get("dry_run"))
    if not dry_run and credentials_from(environ, secrets) is None:
        client_id = (secrets.get("port_client_id") or secrets.get("client_id")
                     or environ.get(CLIENT_ID_VARIABLE))
        if not (client_id or "").strip():
            missing.append(Missing(CLIENT_ID_VARIABLE, CLIENT_ID_VARIABLE, "Port client id:"))
        client_secret = (secrets.get("port_client_secret") or secrets.get("client_secret")
                         or environ.get(CLIENT_SECRET_VARIABLE))
        if not (client_secret or "").strip():
            missing.append(Missing(CLIENT_SECRET_VARIABLE, CLIENT_SECRET_VARIABLE, "Port client secret:",
                                   secret=True))
    if interactive and "aws_region" not in given:
        missing.append(Missing("aws_region", "--aws-region / AWS_REGION", "AWS region to deploy to:",
                               default="us-east-1"))
    return missing


def _valid(name: str) -> Any:
    def check(text: str) -> bool | str:
        problems = validate(InstallSettings(**{name: text.strip()}))
        return True if not problems else problems[0]

    return check


def ask_missing(missing: list[Missing], asker: Asker) -> tuple[dict[str, object], dict[str, str]]:
    """Ask for each missing value; returns (flags to add, environment to add). None answer = Ctrl-C."""
    flags: dict[str, object] = {}
    environ: dict[str, str] = {}
    for item in missing:
        if item.name == "port_base_url":
            choice = asker.select(item.question, [*PORT_URLS, CUSTOM_URL], default=next(iter(PORT_URLS)))
            if choice is None:
                raise KeyboardInterrupt
            answer: str | None = PORT_URLS.get(choice)
            if answer is None:
                answer = asker.text("Port API URL:", default="https://", validate=_valid("port_base_url"))
        elif item.secret:
            answer = asker.password(item.question)
        elif item.name == "aws_region":
            answer = asker.text(item.question, default=item.default, validate=_valid("aws_region"))
        else:
            answer = asker.text(item.question, default=item.default,
                                validate=lambda text: bool(text.strip()) or "required")
        if answer is None:
            raise KeyboardInterrupt
        if item.name in (CLIENT_ID_VARIABLE, CLIENT_SECRET_VARIABLE):
            environ[item.name] = answer.strip()
        else:
            flags[item.name] = answer.strip()
    return flags, environ


def complete_inputs(answers: str | None, flags: Mapping[str, object], environ: Mapping[str, str], *,
                    interactive: bool, asker: Asker | None = None, err: TextIO | None = None
                    ) -> tuple[dict[str, object], dict[str, str]] | int:
    """The flags and environment for the console install, with missing values asked for;
    an exit code instead when something is missing and nobody can be asked."""
    err = err or sys.stderr
    try:
        missing = find_missing(answers, flags, environ, interactive=interactive)
    except InputError:
        return dict(flags), dict(environ)  # the install reports the bad file with its problems
    if not missing:
        return dict(flags), dict(environ)
    if not interactive:
        print("error: values are missing and there is no terminal to ask for them:", file=err)
        for item in missing:
            print(f"  - {item.label}", file=err)
        if any(item.name in (CLIENT_ID_VARIABLE, CLIENT_SECRET_VARIABLE) for item in missing):
            print(f"Port credentials: export {CLIENT_ID_VARIABLE} and {CLIENT_SECRET_VARIABLE} "
                  "(Port app: ... menu > Credentials).", file=err)
        print("Set them (export the variables, or use flags / --answers) and run again.", file=err)
        return EXIT_MISSING
    print("A few values are missing; answer below (Ctrl-C stops, nothing is changed yet).", file=err)
    added_flags, added_environ = ask_missing(missing, asker or QuestionaryAsker())
    return {**flags, **added_flags}, {**environ, **added_environ}
