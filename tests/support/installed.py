"""Pytest plugin: a real install into moto's server and the Port emulator, and running a
console command (`status`, `uninstall`, ...) with its output captured.

Fixture: ``installed``: an install made by the real non-interactive installer.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

from tests.support.moto_server import unique_name
from wizard.cli.install import run_console_install

SOURCES = ("aws.ec2", "aws.s3", "aws.lambda")


@dataclass
class Installed:
    """An install made by the real installer; `args` find it again from any command."""

    env: dict[str, str]
    stack_name: str
    queue_name: str
    function_name: str

    @property
    def args(self) -> list[str]:
        return ["--stack-name", self.stack_name, "--queue-name", self.queue_name,
                "--lambda-function-name", self.function_name]


def install(port_env: dict[str, str], aws_endpoint: str) -> Installed:
    """Run the real non-interactive install into moto and the emulator."""
    env = {**port_env, "AWS_ENDPOINT_URL": aws_endpoint}
    installed = Installed(env, unique_name("port-aws"), unique_name("events"), unique_name("forwarder"))
    flags = {"stack_name": installed.stack_name, "queue_name": installed.queue_name,
             "lambda_function_name": installed.function_name, "event_sources": ",".join(SOURCES)}
    out, err = io.StringIO(), io.StringIO()
    assert run_console_install(None, flags, env, out, err) == 0, err.getvalue()
    return installed


def run(main: Callable[..., int], argv: list[str], env: dict[str, str], **kwargs: Any
        ) -> tuple[int, str, str]:
    """Run a console command's `main`; its exit code, stdout and stderr."""
    out, err = io.StringIO(), io.StringIO()
    code = main(argv, environ=env, out=out, err=err, **kwargs)
    return code, out.getvalue(), err.getvalue()


@pytest.fixture
def installed(port_env: dict[str, str], aws_endpoint: str) -> Installed:
    return install(port_env, aws_endpoint)
