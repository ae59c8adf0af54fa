"""The event corpus through the real pipeline, and `mapping preview`.

Each ``tests/events/*.json`` holds an AWS event in the shape AWS documents (or a
pre-formatted entity payload) and what it must do in Port. The Lambda forwarder's own
``build_body`` wraps it, the body is POSTed over HTTP to the Port emulator's ingest URL
of a webhook created from ``webhook_mappings()``, and the emulator's entities are
compared with the expectation.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import pytest

from core.emulator import PortEmulator
from core.lambda_code.forwarder import build_body
from core.port.mapping_engine import evaluate_webhook_mappings
from core.port.preview import main as preview_main
from core.port.resources import WEBHOOK_REQUEST_IDENTIFIER_PATH, load_blueprints, webhook_mappings

EVENTS_DIR = Path(__file__).parent / "events"
CORPUS = sorted(EVENTS_DIR.glob("*.json"))
QUEUE_ARN = "arn:aws:sqs:us-east-1:123456789012:port-aws-events-queue"
CLIENT_ID, CLIENT_SECRET = "corpus-client", "corpus-secret"


def load_case(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text(encoding="utf-8"))


def forwarded(case: dict[str, Any], message_id: str = "msg-1") -> bytes:
    """The bytes the Lambda forwarder POSTs for the case's SQS message."""
    payload = case["event"] if "event" in case else case["body"]
    record = {"messageId": message_id, "body": json.dumps(payload),
              "eventSourceARN": QUEUE_ARN, "awsRegion": "us-east-1"}
    body, _event_id, trimmed = build_body(record)
    assert trimmed == []
    return body


class PortSession:
    """An emulated Port org with our blueprints and webhook, driven over HTTP."""

    def __init__(self, emulator: PortEmulator) -> None:
        self.emulator = emulator
        self.http = httpx.Client(base_url=emulator.base_url, timeout=10)
        token = self.http.post("/v1/auth/access_token",
                               json={"clientId": CLIENT_ID, "clientSecret": CLIENT_SECRET})
        token.raise_for_status()
        self.http.headers["Authorization"] = f"Bearer {token.json()['accessToken']}"
        for blueprint in load_blueprints():
            self.http.post("/v1/blueprints", json=blueprint).raise_for_status()
        created = self.http.post("/v1/webhooks", json={
            "identifier": "port-aws-corpus", "title": "AWS events", "enabled": True,
            "mappings": webhook_mappings(),
            "security": {"requestIdentifierPath": WEBHOOK_REQUEST_IDENTIFIER_PATH},
        })
        created.raise_for_status()
        self.ingest_path = "/" + created.json()["integration"]["webhookKey"]

    def seed(self, blueprint: str, identifier: str) -> None:
        self.http.post(f"/v1/blueprints/{blueprint}/entities",
                       json={"identifier": identifier}).raise_for_status()

    def entity(self, blueprint: str, identifier: str) -> httpx.Response:
        return self.http.get(f"/v1/blueprints/{blueprint}/entities/{quote(identifier, safe='')}")

    def ingest(self, body: bytes) -> None:
        answer = self.http.post(self.ingest_path, content=body,
                                headers={"Content-Type": "application/json"})
        assert answer.status_code == 202, answer.text


@pytest.fixture
def port() -> Iterator[PortSession]:
    with PortEmulator(client_id=CLIENT_ID, client_secret=CLIENT_SECRET) as emulator:
        session = PortSession(emulator)
        yield session
        session.http.close()


def test_corpus_is_large_enough() -> None:
    assert len(CORPUS) >= 25


@pytest.mark.parametrize("path", CORPUS, ids=[p.stem for p in CORPUS])
def test_event_produces_expected_entities(port: PortSession, path: Path) -> None:
    case = load_case(path)
    expected = case["expect"]
    for item in expected:
        if item["operation"] == "delete":
            port.seed(item["blueprint"], item["identifier"])
    before = len(port.emulator.changes)

    deliveries = case.get("deliveries", 1)
    after_first: list[Any] = []
    for attempt in range(deliveries):  # a redelivery has the same event id, new message id
        port.ingest(forwarded(case, message_id=f"msg-{attempt}"))
        if attempt == 0:
            after_first = port.emulator.changes[before:]

    changes = port.emulator.changes[before:]
    assert changes == after_first, "a redelivered event was applied again"
    assert {(c.blueprint, c.operation, c.identifier) for c in changes} == {
        (e["blueprint"], e["operation"], e["identifier"]) for e in expected}
    assert all(not record.errors for record in port.emulator.ingest_log), [
        record.errors for record in port.emulator.ingest_log]

    for item in expected:
        found = port.entity(item["blueprint"], item["identifier"])
        if item["operation"] == "delete":
            assert found.status_code == 404
            continue
        assert found.status_code == 200, found.text
        entity = found.json()["entity"]
        if "properties" in item:
            assert entity.get("properties", {}) == item["properties"]
        if "relations" in item:
            assert entity.get("relations", {}) == item["relations"]
        if "title" in item:
            assert entity.get("title") == item["title"]


def test_redelivered_event_is_reported_as_duplicate(port: PortSession) -> None:
    case = load_case(EVENTS_DIR / "ec2-state-redelivered.json")
    port.ingest(forwarded(case, message_id="first"))
    port.ingest(forwarded(case, message_id="second"))
    assert [r.status for r in port.emulator.ingest_log] == ["applied", "duplicate"]


# ---- values written have the type and format their blueprint property declares ----------
_JSON_TYPES = {"string": str, "number": (int, float), "boolean": bool, "array": list,
               "object": dict}


def _check_value(blueprint: str, name: str, schema: dict[str, Any], value: Any) -> None:
    where = f"{blueprint}.{name} = {value!r}"
    if value is None:
        return
    assert isinstance(value, _JSON_TYPES[schema["type"]]), where
    assert not (schema["type"] == "number" and isinstance(value, bool)), where
    if "enum" in schema:
        assert value in schema["enum"], where
    if schema.get("format") == "date-time":
        datetime.fromisoformat(value.replace("Z", "+00:00"))
    if schema.get("format") == "url":
        assert value.startswith("https://"), where


@pytest.mark.parametrize("path", CORPUS, ids=[p.stem for p in CORPUS])
def test_written_values_fit_blueprint_schema(path: Path) -> None:
    case = load_case(path)
    blueprints = {b["identifier"]: b for b in load_blueprints()}
    outcome = evaluate_webhook_mappings(webhook_mappings(), json.loads(forwarded(case)))
    for action in outcome.actions:
        properties = blueprints[action.blueprint]["schema"]["properties"]
        for name, value in action.properties.items():
            _check_value(action.blueprint, name, properties[name], value)


# ---- `port-aws-wizard mapping preview` --------------------------------------------------
def _write(tmp_path: Path, name: str, document: Any) -> str:
    path = tmp_path / name
    path.write_text(json.dumps(document), encoding="utf-8")
    return str(path)


def test_preview_json_lists_actions_of_raw_event(tmp_path: Path,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    event = load_case(EVENTS_DIR / "ec2-state-terminated.json")["event"]
    assert preview_main(["preview", _write(tmp_path, "ev.json", event), "--json"]) == 0
    actions = json.loads(capsys.readouterr().out)
    assert {"blueprint": "ec2Instance", "operation": "delete",
            "identifier": "i-1234567890abcdef0", "properties": {}, "relations": {}} in actions
    assert all(set(a) == {"blueprint", "operation", "identifier", "properties", "relations"}
               for a in actions)


def test_preview_accepts_forwarded_body_and_entity_payload(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    body = json.loads(forwarded(load_case(EVENTS_DIR / "sqs-create-queue.json")))
    assert preview_main(["preview", _write(tmp_path, "body.json", body), "--json"]) == 0
    queue = [a for a in json.loads(capsys.readouterr().out) if a["blueprint"] == "sqsQueue"]
    assert queue[0]["identifier"] == "arn:aws:sqs:us-east-1:123456789012:orders-queue"
    assert queue[0]["properties"]["visibilityTimeout"] == 60

    payload = load_case(EVENTS_DIR / "entity-payload-s3-bucket.json")["body"]
    assert preview_main(["preview", _write(tmp_path, "entity.json", payload), "--json"]) == 0
    [action] = json.loads(capsys.readouterr().out)
    assert (action["blueprint"], action["identifier"]) == ("s3Bucket", payload["identifier"])


def test_preview_human_output_shows_entity(tmp_path: Path,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    event = load_case(EVENTS_DIR / "s3-put-bucket-versioning.json")["event"]
    assert preview_main(["preview", _write(tmp_path, "ev.json", event)]) == 0
    out = capsys.readouterr().out
    assert "UPSERT s3Bucket arn:aws:s3:::example-logs-bucket" in out
    assert "s3-bucket-versioning" in out
    assert 'versioningStatus: "Enabled"' in out
    assert 'account: "123456789012"' in out


def test_preview_of_failed_call_names_rejecting_filters(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    event = load_case(EVENTS_DIR / "s3-create-bucket-failed.json")["event"]
    path = _write(tmp_path, "ev.json", event)
    assert preview_main(["preview", path]) == 0
    out = capsys.readouterr().out
    assert "No action" in out
    assert "s3-bucket-created (s3Bucket): filter did not match" in out
    assert preview_main(["preview", path, "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == []


def test_preview_rejects_bad_input_with_exit_2(tmp_path: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    broken = tmp_path / "broken.json"
    broken.write_text("{not json", encoding="utf-8")
    assert preview_main(["preview", str(broken)]) == 2
    assert "not valid JSON" in capsys.readouterr().err

    assert preview_main(["preview", str(tmp_path / "missing.json")]) == 2
    assert "cannot read" in capsys.readouterr().err

    assert preview_main(["preview", _write(tmp_path, "list.json", [1, 2])]) == 2
    assert "JSON object" in capsys.readouterr().err
