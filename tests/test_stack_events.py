"""StackEventStream against botocore's Stubber fed DescribeStackEvents pages (newest first)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

from core.aws.stack_events import StackEventStream, first_failure
from core.progress import StackEventSeen

STACK = "port-aws"
STACK_ID = "arn:aws:cloudformation:us-east-1:123456789012:stack/port-aws/6b7c9e50-0000-0000-0000-000000000001"
T0 = datetime(2026, 11, 25, 12, 0, 0, tzinfo=UTC)


def raw_event(
    n: int,
    logical_id: str,
    status: str,
    reason: str = "",
    resource_type: str = "AWS::SQS::Queue",
) -> dict[str, Any]:
    """One documented StackEvents entry; `n` orders them in time (seconds after T0)."""
    event = {
        "StackId": STACK_ID,
        "EventId": f"{logical_id}-{status}-{n}",
        "StackName": STACK,
        "LogicalResourceId": logical_id,
        "PhysicalResourceId": STACK_ID if logical_id == STACK else f"phys-{logical_id}",
        "ResourceType": resource_type,
        "Timestamp": T0 + timedelta(seconds=n),
        "ResourceStatus": status,
    }
    if reason:
        event["ResourceStatusReason"] = reason
    return event


def stack_event(n: int, status: str, reason: str = "") -> dict[str, Any]:
    return raw_event(n, STACK, status, reason, "AWS::CloudFormation::Stack")


def newest_first(*events: dict[str, Any]) -> list[dict[str, Any]]:
    return sorted(events, key=lambda e: e["Timestamp"], reverse=True)


@pytest.fixture
def client() -> Any:
    return boto3.client(
        "cloudformation",
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )


def add_page(stubber: Stubber, events: list[dict[str, Any]], token: str = "", sent: str = "") -> None:
    response: dict[str, Any] = {"StackEvents": events}
    if token:
        response["NextToken"] = token
    expected = {"StackName": STACK_ID}
    if sent:
        expected["NextToken"] = sent
    stubber.add_response("describe_stack_events", response, expected)


def statuses(events: list[StackEventSeen]) -> list[tuple[str, str]]:
    return [(e.logical_id, e.status) for e in events]


HISTORY = [stack_event(-50, "CREATE_IN_PROGRESS"), stack_event(-40, "CREATE_COMPLETE")]


def test_only_events_after_the_start_are_reported_oldest_first_each_once(client: Any) -> None:
    started = stack_event(1, "UPDATE_IN_PROGRESS", "User Initiated")
    queue_started = raw_event(2, "EventsQueue", "UPDATE_IN_PROGRESS")
    queue_done = raw_event(3, "EventsQueue", "UPDATE_COMPLETE")
    finished = stack_event(4, "UPDATE_COMPLETE")
    with Stubber(client) as stubber:
        add_page(stubber, newest_first(*HISTORY))  # mark_start
        add_page(stubber, newest_first(*HISTORY, started, queue_started))
        add_page(stubber, newest_first(*HISTORY, started, queue_started))  # nothing new
        add_page(stubber, newest_first(*HISTORY, started, queue_started, queue_done, finished))
        stream = StackEventStream(client, STACK_ID)
        stream.mark_start()
        polls = [stream.poll(), stream.poll(), stream.poll()]
        stubber.assert_no_pending_responses()

    assert statuses(polls[0]) == [(STACK, "UPDATE_IN_PROGRESS"), ("EventsQueue", "UPDATE_IN_PROGRESS")]
    assert polls[1] == []
    assert statuses(polls[2]) == [("EventsQueue", "UPDATE_COMPLETE"), (STACK, "UPDATE_COMPLETE")]
    assert polls[0][0].reason == "User Initiated"
    assert polls[0][1].physical_id == "phys-EventsQueue"
    assert stream.stack_statuses == ["UPDATE_IN_PROGRESS", "UPDATE_COMPLETE"]


def test_follows_pages_until_it_reaches_a_seen_event_and_no_further(client: Any) -> None:
    first = [stack_event(1, "CREATE_IN_PROGRESS"), raw_event(2, "DeadLetterQueue", "CREATE_IN_PROGRESS")]
    burst = [raw_event(n, f"Queue{n}", "CREATE_COMPLETE") for n in range(3, 8)]
    with Stubber(client) as stubber:
        add_page(stubber, newest_first(stack_event(0, "REVIEW_IN_PROGRESS")))
        add_page(stubber, newest_first(*first))
        # Five new events arrive between polls; the API splits them over two pages.
        everything = newest_first(*first, *burst)
        add_page(stubber, everything[:3], token="page-2")
        add_page(stubber, everything[3:6], token="page-3", sent="page-2")
        # No request for page-3: page 2 already reached an event reported before.
        stream = StackEventStream(client, STACK_ID)
        stream.mark_start()
        stream.poll()
        new = stream.poll()
        stubber.assert_no_pending_responses()

    assert [e.logical_id for e in new] == ["Queue3", "Queue4", "Queue5", "Queue6", "Queue7"]
    assert [e.logical_id for e in stream.events] == [STACK, "DeadLetterQueue"] + [
        f"Queue{n}" for n in range(3, 8)
    ]


def test_events_older_than_since_are_ignored_without_a_marker(client: Any) -> None:
    with Stubber(client) as stubber:
        add_page(
            stubber,
            newest_first(*HISTORY, stack_event(1, "UPDATE_IN_PROGRESS")),
            token="older",
        )
        stream = StackEventStream(client, STACK_ID, since=T0)
        new = stream.poll()
        stubber.assert_no_pending_responses()

    assert statuses(new) == [(STACK, "UPDATE_IN_PROGRESS")]


def seen(raw: dict[str, Any]) -> StackEventSeen:
    from core.aws.stack_events import to_event

    return to_event(raw)


FAILED_CREATE = [
    seen(stack_event(1, "CREATE_IN_PROGRESS", "User Initiated")),
    seen(raw_event(2, "EventsQueue", "CREATE_IN_PROGRESS")),
    seen(raw_event(3, "ForwarderRole", "CREATE_IN_PROGRESS", resource_type="AWS::IAM::Role")),
    seen(
        raw_event(
            4,
            "ForwarderRole",
            "CREATE_FAILED",
            "Resource handler returned message: \"User is not authorized to perform: iam:CreateRole\"",
            "AWS::IAM::Role",
        )
    ),
    seen(raw_event(5, "EventsQueue", "CREATE_FAILED", "Resource creation cancelled")),
    seen(
        stack_event(
            6,
            "ROLLBACK_IN_PROGRESS",
            "The following resource(s) failed to create: [EventsQueue, ForwarderRole]. "
            "Rollback requested by user.",
        )
    ),
    seen(raw_event(7, "EventsQueue", "DELETE_COMPLETE")),
    seen(stack_event(8, "ROLLBACK_COMPLETE")),
]


def test_first_failure_names_the_resource_that_failed_and_why() -> None:
    assert first_failure(FAILED_CREATE, STACK) == (
        'ForwarderRole (AWS::IAM::Role): Resource handler returned message: '
        '"User is not authorized to perform: iam:CreateRole"'
    )


def test_first_failure_skips_cancellations_even_when_they_come_first() -> None:
    cancelled_first = [FAILED_CREATE[4], FAILED_CREATE[3]]
    assert first_failure(cancelled_first, STACK).startswith("ForwarderRole (AWS::IAM::Role): ")


def test_first_failure_falls_back_to_the_stack_then_to_any_failure() -> None:
    stack_failed = seen(stack_event(9, "UPDATE_ROLLBACK_FAILED", "Role is in use"))
    assert first_failure([FAILED_CREATE[4], stack_failed], STACK) == (
        f"{STACK} (AWS::CloudFormation::Stack): Role is in use"
    )
    assert first_failure([FAILED_CREATE[4]], STACK) == (
        "EventsQueue (AWS::SQS::Queue): Resource creation cancelled"
    )
    assert first_failure(FAILED_CREATE[:3], STACK) == ""
