"""The deploy screen's resource rows: a reason belongs to the status it came with."""

from __future__ import annotations

from tests.support.wizard import T0


def test_deploy_rows_drop_a_reason_their_status_has_left_but_keep_a_failure() -> None:
    from core.progress import StackEventSeen
    from wizard.components.deploy import DeployScreen

    screen = DeployScreen()

    def seen(logical_id: str, status: str, reason: str = "") -> tuple[str, str]:
        screen._stack_event(StackEventSeen(status, T0, logical_id, "AWS::SQS::Queue", status, reason))
        row = screen.rows[logical_id]
        return row.status, row.reason

    assert seen("Queue", "CREATE_IN_PROGRESS", "Resource creation Initiated") == (
        "CREATE_IN_PROGRESS", "Resource creation Initiated")
    assert seen("Queue", "CREATE_COMPLETE") == ("CREATE_COMPLETE", "")
    assert seen("Dlq", "CREATE_IN_PROGRESS", "Resource creation Initiated")[1]
    assert seen("Dlq", "CREATE_FAILED", "Queue already exists") == ("CREATE_FAILED", "Queue already exists")
    assert seen("Dlq", "DELETE_IN_PROGRESS") == ("DELETE_IN_PROGRESS", "Queue already exists")
    assert seen("Dlq", "DELETE_COMPLETE") == ("DELETE_COMPLETE", "Queue already exists")
