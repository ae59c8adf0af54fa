"""The sandbox's sample events and its command line."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from core.config.event_sources import EVENT_SOURCES
from core.sandbox.events import SAMPLES, EventPlan, load_sample, sample_names
from wizard.cli import main as cli

CORPUS = Path(__file__).parent / "events"


@pytest.mark.parametrize("name", sample_names())
def test_packaged_samples_are_the_corpus_cases(name: str) -> None:
    """The wheel ships copies (tests/ is not in it); they must not drift from the corpus."""
    assert load_sample(name) == json.loads((CORPUS / f"{name}.json").read_text(encoding="utf-8"))


def test_every_event_source_the_installer_offers_has_samples() -> None:
    assert set(SAMPLES) == set(EVENT_SOURCES)


def test_a_round_creates_per_source_then_deletes_one_of_them_and_sends_a_rejected_call() -> None:
    plan = EventPlan(("aws.s3", "aws.ecs"), account="210987654321")
    first, second = plan.next(plan.round_size), plan.next(plan.round_size)

    assert [e.sample for e in first] == ["s3-create-bucket", "ecs-create-cluster", "s3-delete-bucket",
                                        "s3-create-bucket-failed"]
    assert [e.expect for e in first] == ["change", "change", "change", "rejected"]
    delete = first[2]
    assert delete.after == first[0].sequence  # sent once its bucket exists
    assert delete.expected_entities[-1] == ("s3Bucket", "delete", "arn:aws:s3:::example-logs-bucket")
    assert ("awsAccount", "create", "210987654321") in first[0].expected_entities

    # the next round makes entities of its own and deletes the other source's
    assert second[0].expected_entities[-1] == ("s3Bucket", "create", "arn:aws:s3:::example-logs-bucket-2")
    assert second[2].sample == "ecs-delete-cluster" and second[2].after == second[1].sequence
    assert [e.sequence for e in first + second] == list(range(1, 9))


def test_instance_ids_keep_their_shape_across_rounds() -> None:
    plan = EventPlan(("aws.ec2",))
    ids = [e.detail["instance-id"] for e in plan.next(3 * plan.round_size) if e.sample == "ec2-state-running"]
    assert ids == ["i-1234567890abcdef0", "i-1234567890abcdef1", "i-1234567890abcdef2"]


def test_put_events_entry_is_the_eventbridge_shape() -> None:
    [event] = EventPlan(("aws.lambda",)).next(1)
    entry = event.entry()
    assert set(entry) == {"Source", "DetailType", "Detail", "Resources", "EventBusName"}
    assert entry["Source"] == "aws.lambda" and entry["DetailType"] == "AWS API Call via CloudTrail"
    assert json.loads(entry["Detail"])["eventName"] == "CreateFunction20150331"


def test_sandbox_subcommand_runs_the_headless_sandbox(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[Any] = []
    monkeypatch.setattr("wizard.cli.sandbox.run_headless", lambda *a, **k: calls.append((a, k)) or 0)
    assert cli.main(["sandbox", "--events", "3", "--event-sources", "aws.s3", "--resource-delay", "0"]) == 0
    [(args, _)] = calls
    answers, flags, events, _timeout, options = args
    assert (answers, flags, events, options.resource_delay) == (None, {"event_sources": "aws.s3"}, 3, 0.0)


def test_sandbox_flag_without_a_terminal_runs_headless_with_the_install_flags(
        monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[Any] = []
    monkeypatch.setattr("wizard.cli.sandbox.run_headless", lambda *a, **k: calls.append(a) or 0)
    monkeypatch.setattr(cli, "_interactive", lambda: False)
    assert cli.main(["--sandbox", "--stack-name", "demo"]) == 0
    [(answers, flags, events, _timeout, _options)] = calls
    assert answers is None and events is None and flags["stack_name"] == "demo"
