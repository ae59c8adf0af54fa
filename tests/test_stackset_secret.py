"""StackSet installs and the webhook secret: every instance has its own copy, and a re-run
against a Port that never returns the secret keeps it (or says what it needs)."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from core.emulator import PortEmulator
from tests.support.port import EMULATOR_CLIENT_ID, EMULATOR_CLIENT_SECRET
from tests.support.stackset import ADMIN, OTHER, install_flags, moto_stack
from tests.support.stackset import run_install as run


@pytest.fixture
def hiding_env(aws_endpoint: str) -> Iterator[tuple[PortEmulator, dict[str, str]]]:
    with PortEmulator(EMULATOR_CLIENT_ID, EMULATOR_CLIENT_SECRET, return_webhook_secret=False) as port:
        yield port, {"PORT_CLIENT_ID": EMULATOR_CLIENT_ID, "PORT_CLIENT_SECRET": EMULATOR_CLIENT_SECRET,
                     "PORT_BASE_URL": port.base_url, "AWS_ENDPOINT_URL": aws_endpoint}


def instance_secret(account: str, region: str, stack_set: str) -> dict[str, str]:
    """The secret of one instance stack (read from moto's backend: another account)."""
    from moto.secretsmanager.models import secretsmanager_backends

    stack = moto_stack(account, region, stack_set)
    arn = stack.resource_map["WebhookSecret"].physical_resource_id
    value = secretsmanager_backends[account][region].get_secret_value(arn, None, None)
    return json.loads(value["SecretString"])


def webhook_writes(port: PortEmulator, since: int) -> list[tuple[str, str]]:
    return [(r.method, r.path) for r in port.requests[since:]
            if r.method in ("POST", "PATCH", "PUT") and r.path.startswith("/v1/webhooks")]


def test_each_instance_keeps_its_own_secret_and_a_rerun_reads_the_local_copy(
        hiding_env: tuple[PortEmulator, dict[str, str]], stackset_stack_names: None,  # noqa: F811
        stackset_roles: None) -> None:  # noqa: F811
    port, env = hiding_env
    flags = install_flags(regions="us-east-1")
    name = str(flags["stack_name"])
    code, _out, err = run(flags, env)
    assert code == 0, err
    secret = port.store.webhook_secret("aws_ingest")
    for account in (ADMIN, OTHER):
        assert instance_secret(account, "us-east-1", name)["secret"] == secret

    before = len(port.requests)
    code, out, err = run(flags, env)

    assert code == 0, err
    assert webhook_writes(port, before) == [] and port.store.webhook_secret("aws_ingest") == secret
    assert "are up to date: no operation started" in out


def test_a_rerun_with_no_local_copy_asks_for_the_secret_instead_of_rotating_it(
        hiding_env: tuple[PortEmulator, dict[str, str]], stackset_stack_names: None,  # noqa: F811
        stackset_roles: None, aws_client: Callable[..., Any]) -> None:  # noqa: F811
    port, env = hiding_env
    flags = install_flags(accounts=OTHER, regions="eu-west-1")  # nothing in this account
    code, _out, err = run(flags, env)
    assert code == 0, err
    secret = port.store.webhook_secret("aws_ingest")

    code, _out, err = run(flags, env)

    assert code == 2
    assert "Export PORT_WEBHOOK_SECRET with the value from an instance's secret" in err
    assert "--rotate-webhook-secret" in err
    assert port.store.webhook_secret("aws_ingest") == secret
    code, out, err = run(flags, {**env, "PORT_WEBHOOK_SECRET": secret or ""})
    assert code == 0, err
    assert port.store.webhook_secret("aws_ingest") == secret and "are up to date" in out
    assert instance_secret(OTHER, "eu-west-1", str(flags["stack_name"]))["secret"] == secret
