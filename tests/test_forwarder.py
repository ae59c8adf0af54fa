"""The Lambda forwarder, run in-process against a real local HTTP server playing Port."""

from __future__ import annotations

import json
import socket
import time
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from core.lambda_code import forwarder
from tests.support.forwarder_sink import SIGNATURE_HEADER, LambdaContext, Reply, WebhookSink

QUEUE_ARN = "arn:aws:sqs:eu-west-1:210987654321:port-aws-events-queue"
SECRET = "hmac-Secret-Value-42"


def eventbridge_event(event_id: str, source: str = "aws.ec2", **extra: Any) -> dict[str, Any]:
    event = {
        "version": "0",
        "id": event_id,
        "detail-type": "EC2 Instance State-change Notification",
        "source": source,
        "account": "123456789012",
        "time": "2026-11-25T00:00:00Z",
        "region": "us-east-1",
        "resources": [f"arn:aws:ec2:us-east-1:123456789012:instance/i-{event_id}"],
        "detail": {"instance-id": f"i-{event_id}", "state": "running"},
    }
    event.update(extra)
    return event


def sqs_record(body: str | dict[str, Any], message_id: str | None = None) -> dict[str, Any]:
    return {
        "messageId": message_id or str(uuid.uuid4()),
        "receiptHandle": "handle",
        "body": body if isinstance(body, str) else json.dumps(body),
        "attributes": {"ApproximateReceiveCount": "1"},
        "messageAttributes": {},
        "eventSource": "aws:sqs",
        "eventSourceARN": QUEUE_ARN,
        "awsRegion": "eu-west-1",
    }


def batch(*event_ids: str) -> tuple[dict[str, Any], dict[str, str]]:
    """An SQS event for these EventBridge ids, and message id by event id."""
    records = [sqs_record(eventbridge_event(eid), f"msg-{eid}") for eid in event_ids]
    return {"Records": records}, {eid: f"msg-{eid}" for eid in event_ids}


def failed_ids(result: dict[str, Any]) -> set[str]:
    return {item["itemIdentifier"] for item in result["batchItemFailures"]}


def log_lines(text: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in text.splitlines() if line.strip()]


@pytest.fixture
def sink(monkeypatch: pytest.MonkeyPatch) -> Iterator[WebhookSink]:
    with WebhookSink() as server:
        monkeypatch.setenv("PORT_WEBHOOK_URL", server.url)
        monkeypatch.delenv("PORT_WEBHOOK_SECRET", raising=False)
        monkeypatch.setenv("PORT_MAX_ATTEMPTS", "4")
        yield server


def test_a_batch_is_forwarded_with_the_metadata_envelope(sink: WebhookSink) -> None:
    event, _ = batch(*(f"e{i}" for i in range(10)))
    no_account = eventbridge_event("bare")
    del no_account["account"]  # moto's EventBridge omits it
    event["Records"].append(sqs_record(no_account, "msg-bare"))

    result = forwarder.handler(event, LambdaContext(10))

    assert result == {"batchItemFailures": []}
    assert len(sink.received) == 11
    first = sink.for_key("e0")[0]
    assert first.path == "/" + sink.key
    assert first.headers["content-type"] == "application/json"
    assert first.json() == {
        "metadata": {
            "source": "aws.ec2",
            "detailType": "EC2 Instance State-change Notification",
            "account": "123456789012",
            "region": "us-east-1",
            "resources": ["arn:aws:ec2:us-east-1:123456789012:instance/i-e0"],
            "time": "2026-11-25T00:00:00Z",
            "eventId": "e0",
            "messageId": "msg-e0",
        },
        "event": eventbridge_event("e0"),
    }
    assert sink.for_key("bare")[0].json()["metadata"]["account"] == "210987654321"
    assert SIGNATURE_HEADER not in first.headers


def test_a_port_entity_payload_is_forwarded_byte_for_byte(sink: WebhookSink) -> None:
    raw = '{"blueprint": "awsEc2Instance", "identifier": "i-123", "properties": {"x": "é"}}'

    result = forwarder.handler({"Records": [sqs_record(raw, "m1")]}, LambdaContext(5))

    assert result == {"batchItemFailures": []}
    assert sink.received[0].body == raw.encode()


def test_records_are_sent_concurrently_over_kept_alive_connections(
    sink: WebhookSink,
) -> None:
    sink.latency = 0.2
    started = time.monotonic()
    first, _ = batch(*(f"a{i}" for i in range(10)))
    second, _ = batch(*(f"b{i}" for i in range(10)))

    assert forwarder.handler(first, LambdaContext(10)) == {"batchItemFailures": []}
    assert forwarder.handler(second, LambdaContext(10)) == {"batchItemFailures": []}

    # one at a time this would take 20 x 0.2 s = 4 s
    assert time.monotonic() - started < 1.5
    connections = {r.connection for r in sink.received}
    assert len(sink.received) == 20
    assert len(connections) <= 10  # the second batch reused the first batch's connections


def test_exactly_the_records_answered_500_are_reported(sink: WebhookSink) -> None:
    event, ids = batch("ok1", "bad", "ok2", "ok3")
    sink.script("bad", *[500] * 10)

    result = forwarder.handler(event, LambdaContext(10))

    assert failed_ids(result) == {ids["bad"]}
    assert len(sink.for_key("bad")) == 4  # PORT_MAX_ATTEMPTS
    assert all(len(sink.for_key(k)) == 1 for k in ("ok1", "ok2", "ok3"))


def test_retries_succeed_when_the_server_recovers(sink: WebhookSink) -> None:
    event, _ = batch("flaky", "steady")
    sink.script("flaky", 500, 503, 502)

    result = forwarder.handler(event, LambdaContext(10))

    assert result == {"batchItemFailures": []}
    assert [r.status for r in sink.for_key("flaky")] == [500, 503, 502, 202]


def test_429_is_retried_after_the_retry_after_delay(sink: WebhookSink) -> None:
    event, _ = batch("limited")
    sink.script("limited", Reply(429, {"Retry-After": "1"}))

    result = forwarder.handler(event, LambdaContext(10))

    assert result == {"batchItemFailures": []}
    first, second = sink.for_key("limited")
    assert second.at - first.at >= 0.95


def test_a_retry_after_beyond_the_time_budget_fails_the_record_at_once(
    sink: WebhookSink,
) -> None:
    event, ids = batch("limited", "fine")
    sink.script("limited", Reply(429, {"Retry-After": "120"}))
    started = time.monotonic()

    result = forwarder.handler(event, LambdaContext(10))

    assert failed_ids(result) == {ids["limited"]}
    assert time.monotonic() - started < 2  # SQS redelivers it later; no pointless wait
    assert len(sink.for_key("limited")) == 1


def test_a_timed_out_request_fails_only_its_record_within_the_budget(
    sink: WebhookSink,
) -> None:
    event, ids = batch("slow", "quick1", "quick2")
    sink.script("slow", *[Reply(202, delay=5)] * 3)
    started = time.monotonic()

    result = forwarder.handler(event, LambdaContext(1.5))

    assert time.monotonic() - started < 1.5  # returned before Lambda would kill it
    assert failed_ids(result) == {ids["slow"]}


def test_a_timeout_is_retried_and_succeeds(sink: WebhookSink, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PORT_REQUEST_TIMEOUT", "0.5")
    event, _ = batch("hiccup")
    sink.script("hiccup", Reply(202, delay=2))

    result = forwarder.handler(event, LambdaContext(10))

    assert result == {"batchItemFailures": []}
    assert len(sink.for_key("hiccup")) == 2


def test_client_errors_are_reported_without_retrying(sink: WebhookSink) -> None:
    event, ids = batch("rejected", "fine")
    sink.script("rejected", 400)

    result = forwarder.handler(event, LambdaContext(10))

    assert failed_ids(result) == {ids["rejected"]}
    assert len(sink.for_key("rejected")) == 1


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_connection_refused_fails_every_record_within_the_budget(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"http://127.0.0.1:{_closed_port()}/whk_RefusedKey987"
    monkeypatch.setenv("PORT_WEBHOOK_URL", url)
    monkeypatch.setenv("PORT_WEBHOOK_SECRET", SECRET)
    event, ids = batch("r1", "r2", "r3")
    started = time.monotonic()

    result = forwarder.handler(event, LambdaContext(2))

    assert time.monotonic() - started < 2
    assert failed_ids(result) == set(ids.values())
    out = capsys.readouterr().out
    lines = log_lines(out)
    assert {line["result"] for line in lines} == {"failed"}
    assert all("ConnectionRefusedError" in line["error"] for line in lines)
    assert all(line["attempts"] >= 2 for line in lines)
    assert "whk_RefusedKey987" not in out and SECRET not in out


def test_a_poison_record_fails_alone(sink: WebhookSink, capsys: pytest.CaptureFixture[str]) -> None:
    event, _ = batch("good1", "good2")
    event["Records"][1:1] = [
        sqs_record("this is not json", "msg-garbage"),
        sqs_record({"hello": "world"}, "msg-unknown"),
    ]

    result = forwarder.handler(event, LambdaContext(10))

    assert failed_ids(result) == {"msg-garbage", "msg-unknown"}
    assert sorted(r.key for r in sink.received) == ["good1", "good2"]
    errors = {line["messageId"]: line.get("error") for line in log_lines(capsys.readouterr().out)}
    assert errors["msg-garbage"] == "body is not JSON"
    assert "neither a Port entity payload nor an EventBridge event" in errors["msg-unknown"]


def test_requests_are_signed_and_the_server_verifies_them(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with WebhookSink(secret=SECRET) as signed:
        monkeypatch.setenv("PORT_WEBHOOK_URL", signed.url)
        monkeypatch.setenv("PORT_WEBHOOK_SECRET", SECRET)
        event, _ = batch("s1", "s2", "s3")

        result = forwarder.handler(event, LambdaContext(10))

        assert result == {"batchItemFailures": []}
        assert [r.signature_ok for r in signed.received] == [True] * 3
        assert all(r.headers[SIGNATURE_HEADER].startswith("sha256=") for r in signed.received)


def test_a_wrong_secret_is_rejected_by_the_server_and_reported(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with WebhookSink(secret=SECRET) as signed:
        monkeypatch.setenv("PORT_WEBHOOK_URL", signed.url)
        monkeypatch.setenv("PORT_WEBHOOK_SECRET", "not-the-secret")
        event, ids = batch("w1", "w2")

        result = forwarder.handler(event, LambdaContext(10))

        assert failed_ids(result) == set(ids.values())
        assert {r.status for r in signed.received} == {401}


def test_the_signature_header_name_comes_from_the_environment(
    sink: WebhookSink, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PORT_WEBHOOK_SECRET", SECRET)
    monkeypatch.setenv("PORT_SIGNATURE_HEADER", "X-Custom-Signature")
    event, _ = batch("h1")

    forwarder.handler(event, LambdaContext(10))

    assert sink.received[0].headers["x-custom-signature"].startswith("sha256=")


def test_one_json_log_line_per_record_without_secrets(
    sink: WebhookSink, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("PORT_WEBHOOK_SECRET", SECRET)
    event, ids = batch("l1", "l2", "l3")
    sink.script("l2", *[500] * 10)

    forwarder.handler(event, LambdaContext(10))

    out = capsys.readouterr().out
    lines = {line["messageId"]: line for line in log_lines(out)}
    assert set(lines) == set(ids.values())
    ok, failed = lines[ids["l1"]], lines[ids["l2"]]
    assert (ok["eventId"], ok["status"], ok["attempts"], ok["result"]) == ("l1", 202, 1, "forwarded")
    assert ok["latencyMs"] >= 0
    assert (failed["status"], failed["attempts"], failed["result"]) == (500, 4, "failed")
    assert failed["error"] == "HTTP 500"
    assert sink.key not in out and SECRET not in out and sink.url not in out


def test_an_oversized_event_is_trimmed_to_what_mappings_read(
    sink: WebhookSink, capsys: pytest.CaptureFixture[str]
) -> None:
    cloudtrail = eventbridge_event("big", source="aws.s3", **{"detail-type": "AWS API Call via CloudTrail"})
    cloudtrail["detail"] = {
        "eventName": "PutBucketPolicy",
        "requestParameters": {"bucketName": "my-bucket", "policy": "x" * 700_000},
        "responseElements": None,
    }

    result = forwarder.handler({"Records": [sqs_record(cloudtrail, "m")]}, LambdaContext(10))

    assert result == {"batchItemFailures": []}
    sent = sink.received[0]
    assert len(sent.body) <= forwarder.MAX_BODY_BYTES
    body = sent.json()
    assert body["event"]["detail"]["requestParameters"]["bucketName"] == "my-bucket"
    assert body["event"]["detail"]["eventName"] == "PutBucketPolicy"
    assert body["metadata"]["trimmed"] == ["detail.requestParameters.policy"]
    assert log_lines(capsys.readouterr().out)[0]["trimmed"] == ["detail.requestParameters.policy"]


def test_a_long_list_in_an_event_is_shortened(sink: WebhookSink) -> None:
    event = eventbridge_event("list")
    event["detail"]["items"] = [{"instanceId": f"i-{n:08d}", "pad": "y" * 64} for n in range(9000)]

    result = forwarder.handler({"Records": [sqs_record(event, "m")]}, LambdaContext(10))

    assert result == {"batchItemFailures": []}
    body = sink.received[0].json()
    assert len(sink.received[0].body) <= forwarder.MAX_BODY_BYTES
    assert body["event"]["detail"]["items"][0]["instanceId"] == "i-00000000"
    assert body["event"]["detail"]["instance-id"] == "i-list"
    assert body["metadata"]["trimmed"]


def test_an_oversized_entity_payload_fails_with_a_clear_log_line(
    sink: WebhookSink, capsys: pytest.CaptureFixture[str]
) -> None:
    entity = {"blueprint": "b", "identifier": "i", "properties": {"blob": "z" * 600_000}}
    event, _ = batch("small")
    event["Records"].append(sqs_record(entity, "msg-huge"))

    result = forwarder.handler(event, LambdaContext(10))

    assert failed_ids(result) == {"msg-huge"}
    assert [r.key for r in sink.received] == ["small"]
    line = next(x for x in log_lines(capsys.readouterr().out) if x["messageId"] == "msg-huge")
    assert "over the 524288-byte ingest limit" in line["error"]


def test_a_missing_webhook_url_fails_every_record(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("PORT_WEBHOOK_URL", raising=False)
    event, ids = batch("n1", "n2")

    result = forwarder.handler(event, LambdaContext(10))

    assert failed_ids(result) == set(ids.values())
    assert "PORT_WEBHOOK_URL is missing" in capsys.readouterr().out
