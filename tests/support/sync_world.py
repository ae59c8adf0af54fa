"""Pytest plugin: a Port (the emulator) set up as the install sets it up, with AWS on moto,
for tests that sync or run the forwarder's handler in-process (enriched events).

Fixtures: ``world`` (a World), ``lambda_env`` (the forwarder's environment pointed at both).
Helpers: ``deliver`` (one event through the handler), ``cloudtrail`` (an API-call event).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from core.config.credentials import PortCredentials
from core.config.event_sources import DEFAULT_EVENT_SOURCES
from core.config.settings import InstallSettings
from core.emulator import PortEmulator
from core.lambda_code import forwarder
from core.operations.sync import run_sync
from core.port.client import PortClient
from core.port.setup import PortSetup
from tests.support.port import EMULATOR_CLIENT_ID, EMULATOR_CLIENT_SECRET

ACCOUNT = "123456789012"
CREDENTIALS = PortCredentials(EMULATOR_CLIENT_ID, EMULATOR_CLIENT_SECRET)


@dataclass
class World:
    emulator: PortEmulator
    port: PortClient
    settings: InstallSettings
    client: Callable[..., Any]
    aws_endpoint: str

    def entity(self, blueprint: str, identifier: str) -> dict[str, Any] | None:
        return self.emulator.store.entities.get(blueprint, {}).get(identifier)

    def sync(self, region: str, **kwargs: Any) -> Any:
        return run_sync(self.settings, CREDENTIALS, regions=[region], **kwargs)


@pytest.fixture
def world(port_emulator: PortEmulator, aws_endpoint: str,
          aws_client: Callable[..., Any]) -> Iterator[World]:
    settings = InstallSettings(port_base_url=port_emulator.base_url, aws_endpoint_url=aws_endpoint,
                               webhook="aws_ingest", event_sources=DEFAULT_EVENT_SOURCES)
    with PortClient(port_emulator.base_url, CREDENTIALS) as port:
        PortSetup(port, settings, lambda _event: None).run(write=True)
        yield World(port_emulator, port, settings, aws_client, aws_endpoint)


@pytest.fixture
def lambda_env(world: World, monkeypatch: pytest.MonkeyPatch) -> World:
    hook = world.port.get_webhook("aws_ingest")
    assert hook is not None
    monkeypatch.setenv("PORT_WEBHOOK_URL", hook["url"])
    monkeypatch.setenv("PORT_WEBHOOK_SECRET", hook["security"]["secret"])
    monkeypatch.setenv("PORT_ENRICH", "true")
    monkeypatch.setenv("AWS_ENDPOINT_URL", world.aws_endpoint)
    forwarder._clients.clear()  # clients are cached per container; this one points at moto
    yield world
    forwarder._clients.clear()


def deliver(event: dict[str, Any], region: str) -> dict[str, Any]:
    record = {"messageId": uuid.uuid4().hex, "body": json.dumps(event), "awsRegion": region,
              "eventSourceARN": f"arn:aws:sqs:{region}:{ACCOUNT}:port-aws-events-queue"}
    return forwarder.handler({"Records": [record]}, None)


def cloudtrail(source: str, name: str, region: str, request: dict[str, Any]) -> dict[str, Any]:
    return {"version": "0", "id": uuid.uuid4().hex, "source": f"aws.{source}",
            "detail-type": "AWS API Call via CloudTrail", "account": ACCOUNT, "region": region,
            "time": "2026-11-25T00:00:00Z", "resources": [], "detail": {
                "eventSource": f"{source}.amazonaws.com", "eventName": name, "awsRegion": region,
                "recipientAccountId": ACCOUNT, "eventTime": "2026-11-25T00:00:00Z",
                "requestParameters": request, "responseElements": None}}
