"""The Port client against the Port API emulator over real HTTP: auth, retries, errors."""

from __future__ import annotations

import pytest

from core.config.credentials import PortCredentials
from core.emulator import PortEmulator
from core.errors import PortApiError, PortAuthError
from core.port.client import PortClient
from core.port.retry import Backoff
from tests.conftest import EMULATOR_CLIENT_ID, EMULATOR_CLIENT_SECRET

GOOD = PortCredentials(EMULATOR_CLIENT_ID, EMULATOR_CLIENT_SECRET)


@pytest.fixture
def sleeps() -> list[float]:
    return []


@pytest.fixture
def client(port_emulator: PortEmulator, sleeps: list[float]) -> PortClient:
    with PortClient(port_emulator.base_url, GOOD, backoff=Backoff(attempts=4), sleep=sleeps.append) as c:
        yield c


def calls(emulator: PortEmulator, method: str, path: str) -> list[int]:
    return [r.status for r in emulator.requests if r.method == method and r.path == path]


def test_bad_credentials_say_so_without_echoing_the_secret(port_emulator: PortEmulator) -> None:
    wrong = PortCredentials(EMULATOR_CLIENT_ID, "wrong-secret-value-123")
    with PortClient(port_emulator.base_url, wrong) as client, pytest.raises(PortAuthError) as caught:
        client.get_blueprint("awsAccount")
    message = str(caught.value)
    assert "rejected the client id/secret" in message
    assert "wrong-secret-value-123" not in message and EMULATOR_CLIENT_ID not in message


def test_expired_token_is_refreshed_once(client: PortClient, port_emulator: PortEmulator) -> None:
    assert client.get_blueprint("missing") is None
    port_emulator.expire_tokens()
    assert client.get_blueprint("missing") is None
    assert calls(port_emulator, "POST", "/v1/auth/access_token") == [200, 200]
    assert calls(port_emulator, "GET", "/v1/blueprints/missing") == [404, 401, 404]


def test_429_waits_for_retry_after_then_succeeds(client: PortClient, port_emulator: PortEmulator,
                                                 sleeps: list[float]) -> None:
    port_emulator.fail_next("GET", r"^/v1/blueprints/", count=2, status=429, headers={"Retry-After": "3"})
    assert client.get_blueprint("awsAccount") is None
    assert sleeps == [3.0, 3.0]
    assert calls(port_emulator, "GET", "/v1/blueprints/awsAccount") == [429, 429, 404]


def test_5xx_is_retried_with_growing_backoff_then_succeeds(client: PortClient, port_emulator: PortEmulator,
                                                           sleeps: list[float]) -> None:
    port_emulator.fail_next("GET", r"^/v1/webhooks/", count=3, status=503)
    assert client.get_webhook("aws_ingest") is None
    assert len(sleeps) == 3
    assert sleeps[0] <= 0.5 and sleeps[2] > sleeps[0]  # exponential with jitter: 0.25-0.5, .., 1-2


def test_5xx_exhausted_is_a_clear_error(client: PortClient, port_emulator: PortEmulator) -> None:
    port_emulator.fail_next("GET", r"^/v1/integration/", count=10, status=502)
    with pytest.raises(PortApiError) as caught:
        client.get_integration("aws-serverless")
    assert caught.value.status == 502
    assert "HTTP 502" in str(caught.value) and "run again" in str(caught.value)
    assert len(calls(port_emulator, "GET", "/v1/integration/aws-serverless")) == 4


def test_other_4xx_is_not_retried(client: PortClient, port_emulator: PortEmulator,
                                  sleeps: list[float]) -> None:
    port_emulator.fail_next("PATCH", r"^/v1/blueprints/", count=1, status=403)
    with pytest.raises(PortApiError) as caught:
        client.update_blueprint("awsAccount", {"title": "x"})
    assert caught.value.status == 403 and "permission" in str(caught.value)
    assert sleeps == []
    assert calls(port_emulator, "PATCH", "/v1/blueprints/awsAccount") == [403]


def test_connection_refused_is_retried_then_named(sleeps: list[float]) -> None:
    unreachable = PortClient("http://127.0.0.1:9", GOOD, backoff=Backoff(attempts=3), sleep=sleeps.append)
    with unreachable as client, pytest.raises(PortApiError) as caught:
        client.get_blueprint("awsAccount")
    assert "could not reach Port at http://127.0.0.1:9" in str(caught.value)
    assert len(sleeps) == 2


def test_blueprint_create_then_taken(client: PortClient) -> None:
    blueprint = {"identifier": "thing", "title": "Thing", "schema": {"properties": {}}}
    created, body = client.create_blueprint(blueprint)
    assert created and body["identifier"] == "thing"
    created_again, _ = client.create_blueprint(blueprint)
    assert created_again is False
    assert client.get_blueprint("thing")["title"] == "Thing"


def test_entity_identifiers_with_slashes_reach_the_right_entity(client: PortClient) -> None:
    """ECS/EKS cluster ARNs hold '/': they must not be read as extra path segments."""
    client.create_blueprint({"identifier": "ecsCluster", "title": "ECS", "schema": {"properties": {}}})
    arn = "arn:aws:ecs:us-east-1:123456789012:cluster/prod"
    client.upsert_entity("ecsCluster", {"identifier": arn, "title": "prod"})
    assert [e["identifier"] for e in client.list_entities("ecsCluster")] == [arn]
    assert client.delete_entity("ecsCluster", arn) is True
    assert client.list_entities("ecsCluster") == []
