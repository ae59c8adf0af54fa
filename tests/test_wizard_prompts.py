"""The non-full-screen path: questionary prompts for missing values, or a list and exit 2."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from prompt_toolkit.input import create_pipe_input
from prompt_toolkit.output import DummyOutput

from core.emulator import PortEmulator
from tests.aws_fixtures import unique_name
from tests.conftest import EMULATOR_CLIENT_ID, EMULATOR_CLIENT_SECRET
from wizard.cli import main as cli
from wizard.cli import prompts
from wizard.cli.prompts import CUSTOM_URL, QuestionaryAsker, ask_missing, complete_inputs, find_missing


class FakeAsker:
    """Answers prompts from a script, recording which kind of prompt asked what."""

    def __init__(self, answers: list[str]) -> None:
        self.answers = list(answers)
        self.asked: list[tuple[str, str]] = []

    def _next(self, kind: str, question: str, validate: Any = None) -> str:
        self.asked.append((kind, question))
        answer = self.answers.pop(0)
        if validate is not None:
            assert validate(answer) is True, f"{question!r} refused {answer!r}: {validate(answer)}"
        return answer

    def text(self, question: str, default: str = "", validate: Any = None) -> str:
        return self._next("text", question, validate)

    def password(self, question: str) -> str:
        return self._next("password", question)

    def select(self, question: str, choices: list[str], default: str | None = None) -> str:
        assert self.answers[0] in choices
        return self._next("select", question)


class NoAsking:
    def __getattr__(self, name: str) -> Any:
        raise AssertionError("nothing may be asked without a terminal")


def test_an_answers_file_missing_values_is_completed_by_prompts_in_a_terminal(tmp_path: Path) -> None:
    answers = tmp_path / "answers.yml"
    answers.write_text("stack_name: from-file\n")
    asker = FakeAsker([CUSTOM_URL, "http://127.0.0.1:8000", "my-client", "my-secret", "eu-west-1"])
    flags, environ = complete_inputs(str(answers), {"stack_name": None}, {}, interactive=True,
                                     asker=asker, err=io.StringIO())
    assert flags["port_base_url"] == "http://127.0.0.1:8000" and flags["aws_region"] == "eu-west-1"
    assert environ == {"PORT_CLIENT_ID": "my-client", "PORT_CLIENT_SECRET": "my-secret"}
    assert ("password", "Port client secret:") in asker.asked  # the secret is never echoed
    assert "stack_name" not in flags or flags["stack_name"] is None  # the file's value is kept


def test_nothing_is_asked_when_everything_is_given(tmp_path: Path) -> None:
    environ = {"PORT_CLIENT_ID": "id", "PORT_CLIENT_SECRET": "s", "PORT_BASE_URL": "https://api.getport.io",
               "AWS_REGION": "us-west-2"}
    assert complete_inputs(None, {}, environ, interactive=True, asker=NoAsking()) == ({}, environ)


def test_without_a_terminal_missing_values_are_listed_and_the_exit_code_is_2() -> None:
    err = io.StringIO()
    code = complete_inputs(None, {}, {"PORT_CLIENT_ID": "id"}, interactive=False, asker=NoAsking(), err=err)
    assert code == 2
    assert "  - PORT_CLIENT_SECRET" in err.getvalue() and "PORT_CLIENT_ID\n" not in err.getvalue()
    assert "export PORT_CLIENT_ID and PORT_CLIENT_SECRET" in err.getvalue()


def test_region_prompt_refuses_a_malformed_region() -> None:
    missing = [m for m in find_missing(None, {}, {"PORT_CLIENT_ID": "i", "PORT_CLIENT_SECRET": "s",
                                                  "PORT_BASE_URL": "https://api.getport.io"},
                                       interactive=True)]
    assert [m.name for m in missing] == ["aws_region"]
    with pytest.raises(AssertionError, match="malformed"):
        ask_missing(missing, FakeAsker(["useast1"]))


def test_real_questionary_prompts_read_typed_answers() -> None:
    """questionary's documented test approach: prompt_toolkit pipe input, dummy output."""
    missing = find_missing(None, {}, {"PORT_BASE_URL": "https://api.getport.io"}, interactive=True)
    with create_pipe_input() as pipe:
        pipe.send_text("my-client\r" "my-secret\r" "\x15eu-central-1\r")  # Ctrl-U clears the default
        flags, environ = ask_missing(missing, QuestionaryAsker(input=pipe, output=DummyOutput()))
    assert environ == {"PORT_CLIENT_ID": "my-client", "PORT_CLIENT_SECRET": "my-secret"}
    assert flags == {"aws_region": "eu-central-1"}


def test_no_tui_without_a_terminal_never_hangs() -> None:
    env = {key: value for key, value in os.environ.items() if not key.startswith("PORT_")}
    result = subprocess.run([sys.executable, "-m", "wizard", "--no-tui"], env=env, stdin=subprocess.DEVNULL,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    assert "  - PORT_CLIENT_ID" in result.stderr and "  - PORT_CLIENT_SECRET" in result.stderr


def test_no_tui_in_a_terminal_asks_then_installs(
    monkeypatch: pytest.MonkeyPatch, port_emulator: PortEmulator, aws_endpoint: str,
    aws_client: Callable[..., Any],
) -> None:
    stack = unique_name("prompted")
    unset = ("PORT_CLIENT_ID", "PORT_CLIENT_SECRET", "PORT_BASE_URL", "AWS_REGION", "AWS_DEFAULT_REGION")
    for variable in unset:
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.setenv("AWS_ENDPOINT_URL", aws_endpoint)
    asker = FakeAsker([CUSTOM_URL, port_emulator.base_url, EMULATOR_CLIENT_ID, EMULATOR_CLIENT_SECRET,
                       "us-east-1"])
    monkeypatch.setattr(prompts, "QuestionaryAsker", lambda: asker)
    monkeypatch.setattr(cli, "_interactive", lambda: True)
    code = cli.main(["--no-tui", "--stack-name", stack, "--queue-name", unique_name("q"),
                     "--lambda-function-name", unique_name("fn")])
    assert code == 0
    assert not asker.answers  # every prompt was used
    described = aws_client("cloudformation").describe_stacks(StackName=stack)["Stacks"][0]
    assert described["StackStatus"] == "CREATE_COMPLETE"
