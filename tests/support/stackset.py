"""Pytest plugin: what self-managed StackSets need on moto.

Fixtures:
- ``stackset_roles``: the standard administration and execution roles, trusting CloudFormation.
- ``stackset_stack_names``: moto's instance-stack naming patched so the template's unnamed
  queues get valid names.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable
from typing import Any

import pytest

from core.aws.stackset_model import ADMIN_ROLE_NAME, EXECUTION_ROLE_NAME

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
