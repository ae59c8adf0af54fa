"""The sample events the sandbox puts on EventBridge, and the order it sends them in.

The samples are copies of cases from the mapping corpus (tests/events/): real AWS event
shapes with the entities they must produce. They are copied into the package because
tests/ is not in the wheel and the sandbox must run from an installed package too; a test
(tests/test_sandbox_events.py) keeps each copy identical to its corpus case.

Each round sends, for every selected source, an event that creates an entity; then a
delete of one of the entities made in that round, and an API call that failed (which every
mapping filter rejects, on purpose). Rounds after the first rename the entities
(``orders-db`` -> ``orders-db-2``), so each round makes entities of its own.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Any

SAMPLE_ACCOUNT = "123456789012"  # the account the corpus events were written for
_PACKAGE = "core.sandbox.sample_events"


@dataclass(frozen=True)
class SourceSamples:
    create: str
    delete: str
    rejected: str | None
    token: str  # the entity's name in the events; varied per round


SAMPLES: dict[str, SourceSamples] = {
    "aws.ec2": SourceSamples("ec2-state-running", "ec2-state-terminated", None, "i-1234567890abcdef0"),
    "aws.s3": SourceSamples("s3-create-bucket", "s3-delete-bucket", "s3-create-bucket-failed",
                            "example-logs-bucket"),
    "aws.rds": SourceSamples("rds-create-db-instance", "rds-delete-db-instance",
                             "rds-delete-db-instance-failed", "orders-db"),
    "aws.sqs": SourceSamples("sqs-create-queue", "sqs-delete-queue", "sqs-delete-queue-failed",
                             "orders-queue"),
    "aws.ecs": SourceSamples("ecs-create-cluster", "ecs-delete-cluster", "ecs-create-cluster-failed",
                             "web-cluster"),
    "aws.eks": SourceSamples("eks-create-cluster", "eks-delete-cluster", "eks-create-cluster-failed",
                             "platform-eks"),
    "aws.lambda": SourceSamples("lambda-create-function", "lambda-delete-function",
                                "lambda-create-function-failed", "order-processor"),
}


@dataclass(frozen=True)
class PlannedEvent:
    """One event to put: its EventBridge entry fields and what it should do in Port."""

    sequence: int
    sample: str
    source: str
    detail_type: str
    detail: dict[str, Any]
    resources: list[str]
    expect: str  # "change" (entities written or deleted) | "rejected" (filters say no)
    expected_entities: tuple[tuple[str, str, str], ...] = ()  # (blueprint, operation, identifier)
    after: int | None = None  # sequence of the event that must have landed first
    description: str = field(default="", compare=False)

    def entry(self, event_bus: str = "default") -> dict[str, Any]:
        """The PutEvents entry (EventBridge adds id, account, time and region)."""
        return {"Source": self.source, "DetailType": self.detail_type,
                "Detail": json.dumps(self.detail), "Resources": self.resources,
                "EventBusName": event_bus}


@cache
def load_sample(name: str) -> dict[str, Any]:
    """A corpus case as shipped: {"description", "event", "expect"}."""
    text = resources.files(_PACKAGE).joinpath(f"{name}.json").read_text(encoding="utf-8")
    return json.loads(text)


def sample_names() -> list[str]:
    names = []
    for samples in SAMPLES.values():
        names += [samples.create, samples.delete] + ([samples.rejected] if samples.rejected else [])
    return names


def vary(token: str, round_number: int) -> str:
    """The entity name for a round: round 0 keeps the corpus name."""
    if round_number == 0:
        return token
    if re.fullmatch(r"i-[0-9a-f]{17}", token):  # keep an instance id's shape
        suffix = f"{round_number:x}"
        return token[: len(token) - len(suffix)] + suffix
    return f"{token}-{round_number + 1}"


def build_event(sequence: int, name: str, token: str, round_number: int, account: str,
                after: int | None = None) -> PlannedEvent:
    case = load_sample(name)
    text = json.dumps(case).replace(token, vary(token, round_number)).replace(SAMPLE_ACCOUNT, account)
    case = json.loads(text)
    event = case["event"]
    expected = tuple((e["blueprint"], e["operation"], e["identifier"]) for e in case["expect"])
    return PlannedEvent(sequence, name, event["source"], event["detail-type"], event["detail"],
                        list(event.get("resources") or []), "change" if expected else "rejected",
                        expected, after, case.get("description", ""))


class EventPlan:
    """Hands out events round-robin over the selected sources, continuing across calls."""

    def __init__(self, sources: tuple[str, ...] | list[str], account: str = SAMPLE_ACCOUNT) -> None:
        self.sources = [source for source in sources if source in SAMPLES]
        if not self.sources:
            raise ValueError(f"no sample events for the sources {list(sources)}; "
                             f"samples exist for {', '.join(SAMPLES)}")
        self.account = account
        self._sequence = 0
        self._pending: list[tuple[str, str, int, int | None]] = []  # (sample, token, round, after)
        self._round_number = 0

    @property
    def round_size(self) -> int:
        """Events in one round: a create per source, one delete, one rejected (if any)."""
        return len(self._round(0, 0))

    def next(self, count: int) -> list[PlannedEvent]:
        events = []
        for _ in range(count):
            if not self._pending:
                self._pending = self._round(self._round_number, self._sequence)
                self._round_number += 1
            name, token, round_number, after = self._pending.pop(0)
            self._sequence += 1
            events.append(build_event(self._sequence, name, token, round_number, self.account, after))
        return events

    def _round(self, round_number: int, base: int) -> list[tuple[str, str, int, int | None]]:
        """(sample, token, round, sequence it waits for); sequences continue from ``base``."""
        items: list[tuple[str, str, int, int | None]] = [
            (SAMPLES[source].create, SAMPLES[source].token, round_number, None) for source in self.sources]
        deleted = round_number % len(self.sources)
        samples = SAMPLES[self.sources[deleted]]
        items.append((samples.delete, samples.token, round_number, base + deleted + 1))
        with_rejection = [source for source in self.sources if SAMPLES[source].rejected]
        if with_rejection:
            samples = SAMPLES[with_rejection[round_number % len(with_rejection)]]
            items.append((samples.rejected, samples.token, round_number, None))
        return items
