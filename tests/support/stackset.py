"""Pytest plugin: what self-managed StackSets need on moto.

Fixtures:
- ``stackset_roles``: the standard administration and execution roles, trusting CloudFormation.
- ``stackset_stack_names``: moto's instance-stack naming patched so the template's unnamed
  queues get valid names.
"""

from __future__ import annotations

import contextlib
import io
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from core.aws.stackset_model import ADMIN_ROLE_NAME, EXECUTION_ROLE_NAME
from tests.support.moto_server import unique_name
from wizard.cli.install import run_console_install

ADMIN = "123456789012"  # moto's default account: the administrator account here
OTHER = "111111111111"
TRUST_CLOUDFORMATION = json.dumps({"Version": "2012-10-17", "Statement": [{
    "Effect": "Allow", "Principal": {"Service": "cloudformation.amazonaws.com"},
    "Action": "sts:AssumeRole"}]})


@pytest.fixture
def stackset_stack_names(monkeypatch: pytest.MonkeyPatch) -> None:
    """moto names instance stacks "StackSet:<name>" and derives unnamed resources' names from
    that, so the template's dead-letter queue (no QueueName, as on AWS) fails there. Patch
    moto's name generation in this process (where the moto server runs), not the template."""
    from moto.cloudformation import parsing

    original = parsing.generate_resource_name
    monkeypatch.setattr(parsing, "generate_resource_name",
                        lambda kind, stack, logical: original(kind, stack.replace(":", "-"), logical))


@pytest.fixture
def stackset_roles(aws_client: Callable[..., Any]) -> None:
    iam = aws_client("iam")
    for name in (ADMIN_ROLE_NAME, EXECUTION_ROLE_NAME):
        with contextlib.suppress(iam.exceptions.EntityAlreadyExistsException):
            iam.create_role(RoleName=name, AssumeRolePolicyDocument=TRUST_CLOUDFORMATION)


def run_install(flags: dict[str, object], env: dict[str, str], answers: Path | None = None
                ) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = run_console_install(str(answers) if answers else None, flags, env, out=out, err=err)
    return code, out.getvalue(), err.getvalue()


def install_flags(**extra: object) -> dict[str, object]:
    return {"stackset": True, "accounts": f"{ADMIN},{OTHER}", "regions": "us-east-1,eu-west-1",
            "stack_name": unique_name("port-aws-set"), "queue_name": unique_name("events"),
            "lambda_function_name": unique_name("forwarder"), **extra}


def moto_stack(account: str, region: str, stack_set: str) -> Any:
    """The instance stack moto made in another account (read from moto's backend in-process)."""
    from moto.cloudformation.models import cloudformation_backends

    stacks = cloudformation_backends[account][region].stacks.values()
    return next((s for s in stacks if s.name == f"StackSet:{stack_set}" and s.status != "DELETE_COMPLETE"),
                None)
