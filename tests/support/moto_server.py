"""Pytest plugin: a moto server standing in for AWS, and real boto3 clients pointed at it.

Registered for every test by tests/conftest.py (``pytest_plugins``). Fixtures:
- ``moto_server`` (session): a running ``ThreadedMotoServer`` on 127.0.0.1, random port,
  with the CloudFormation models moto lacks (the sandbox's, core/sandbox/moto_models.py:
  the webhook secret and the alarms the template creates).
- ``aws_endpoint`` (session): its base URL, ``http://127.0.0.1:<port>``.
- ``aws_credentials`` (session): dummy credentials and region in the environment
  (AWS_ACCESS_KEY_ID=testing ..., AWS_DEFAULT_REGION=us-east-1), restored afterwards.
- ``boto_session``: a ``boto3.Session`` with those credentials in us-east-1.
- ``aws_client``: factory ``aws_client(service, region="us-east-1")`` -> boto3 client on
  the moto endpoint.

The server's state lives for the whole session (moto keeps one backend per account and
region): give stacks, queues and rules unique names, e.g. with ``unique_name(prefix)``.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import boto3
import pytest

DUMMY_ENV = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
}
DEFAULT_REGION = "us-east-1"


def unique_name(prefix: str) -> str:
    """A name no other test in the session uses (moto state is shared)."""
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


@pytest.fixture(scope="session")
def aws_credentials() -> Iterator[dict[str, str]]:
    saved = {name: os.environ.get(name) for name in DUMMY_ENV}
    os.environ.update(DUMMY_ENV)
    yield dict(DUMMY_ENV)
    for name, value in saved.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value


@pytest.fixture(scope="session")
def moto_server(aws_credentials: dict[str, str]) -> Iterator[Any]:
    from moto.server import ThreadedMotoServer

    from core.sandbox.moto_fidelity import register_models, unhook_event_source_mappings

    register_models()
    unhook_event_source_mappings()  # tests run the forwarder themselves, as the sandbox's runner does
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def aws_endpoint(moto_server: Any) -> str:
    host, port = moto_server.get_host_and_port()
    return f"http://{host}:{port}"


@pytest.fixture
def boto_session(aws_credentials: dict[str, str]) -> boto3.Session:
    return boto3.Session(
        aws_access_key_id=aws_credentials["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=aws_credentials["AWS_SECRET_ACCESS_KEY"],
        aws_session_token=aws_credentials["AWS_SESSION_TOKEN"],
        region_name=DEFAULT_REGION,
    )


@pytest.fixture
def aws_client(boto_session: boto3.Session, aws_endpoint: str) -> Callable[..., Any]:
    def make(service: str, region: str = DEFAULT_REGION) -> Any:
        return boto_session.client(service, region_name=region, endpoint_url=aws_endpoint)

    return make
