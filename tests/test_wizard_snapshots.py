"""Snapshots of every step's screen (pytest-textual-snapshot), from a scripted backend.

Deterministic frames: fixed terminal sizes, a fixed clock, a fake state path, no ports,
no random keys. Update after a deliberate change with `pytest --snapshot-update` and look
at the SVGs in tests/__snapshots__/ before committing them.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from textual.widgets import Input

from core.config.settings import InstallSettings
from tests.test_wizard_support import FakeSandbox, MemoryStore, ScriptedBackend, log_line, settle
from wizard.app import WizardApp
from wizard.state import WizardState

ENVIRON = {"PORT_CLIENT_ID": "client-id-from-env", "PORT_CLIENT_SECRET": "secret-from-env"}
FIXED_NOW = 1_795_000_000.0


def make_app(start_step: str = "welcome", *, fail_stack: bool = False, state: WizardState | None = None,
             backend: ScriptedBackend | None = None, sandbox: FakeSandbox | None = None) -> WizardApp:
    return WizardApp(backend=backend or ScriptedBackend(ENVIRON, fail_stack=fail_stack),
                     state=state or WizardState(organization="Acme Corp", aws_account="123456789012"),
                     store=MemoryStore(), clock=lambda: FIXED_NOW, cwd=Path("/home/user/project"),
                     start_step=start_step, sandbox=sandbox)


def _steady_cursors(pilot: Any) -> None:
    """A blinking cursor is on or off depending on timing: keep it on."""
    for widget in pilot.app.screen.query(Input):
        widget.cursor_blink = False


async def _settled(pilot: Any) -> None:
    await settle(pilot)
    _steady_cursors(pilot)
    await pilot.pause()


def _then(*keys: str):  # noqa: ANN202
    async def run(pilot: Any) -> None:
        await settle(pilot)
        await pilot.press(*keys)
        await settle(pilot)
        _steady_cursors(pilot)
        await pilot.pause()

    return run


def test_welcome(snap_compare: Any) -> None:
    assert snap_compare(make_app(), terminal_size=(100, 30), run_before=_settled)


def test_welcome_at_80x24(snap_compare: Any) -> None:
    assert snap_compare(make_app(), terminal_size=(80, 24), run_before=_settled)


def test_port_after_check(snap_compare: Any) -> None:
    assert snap_compare(make_app("port"), terminal_size=(100, 30), run_before=_then("ctrl+t"))


def test_aws_after_check_warns_about_a_missing_permission(snap_compare: Any) -> None:
    assert snap_compare(make_app("aws"), terminal_size=(100, 30), run_before=_then("ctrl+t"))


def test_event_sources(snap_compare: Any) -> None:
    assert snap_compare(make_app("sources"), terminal_size=(100, 30), run_before=_settled)


def test_webhook_reuse_lists_port_webhooks(snap_compare: Any) -> None:
    assert snap_compare(make_app("webhook"), terminal_size=(100, 30), run_before=_then("down", "enter"))


def test_names_and_advanced(snap_compare: Any) -> None:
    assert snap_compare(make_app("names"), terminal_size=(100, 30), run_before=_settled)


def test_stackset_step_with_accounts_and_regions(snap_compare: Any) -> None:
    state = WizardState(organization="Acme Corp", aws_account="123456789012", stackset=True,
                        accounts=("123456789012", "111111111111"), regions=("us-east-1", "eu-west-1"),
                        failure_tolerance="1", max_concurrency="25%")
    assert snap_compare(make_app("stackset", state=state), terminal_size=(100, 30), run_before=_settled)


def test_review(snap_compare: Any) -> None:
    assert snap_compare(make_app("review"), terminal_size=(100, 30), run_before=_settled)


def test_review_at_80x24(snap_compare: Any) -> None:
    assert snap_compare(make_app("review"), terminal_size=(80, 24), run_before=_settled)


def test_deploy_finished(snap_compare: Any) -> None:
    assert snap_compare(make_app("review"), terminal_size=(100, 30), run_before=_then("ctrl+n"))


def test_deploy_failed_shows_the_first_failure(snap_compare: Any) -> None:
    assert snap_compare(make_app("review", fail_stack=True), terminal_size=(100, 30),
                        run_before=_then("ctrl+n"))


def test_done(snap_compare: Any) -> None:
    assert snap_compare(make_app("review"), terminal_size=(100, 30), run_before=_then("ctrl+n", "ctrl+n"))


def test_sandbox_panel_at_80x24_while_ingest_fails(snap_compare: Any) -> None:
    # Frozen counters and entities (FakeSandbox) and a fixed clock: the fault line says 10 s.
    assert snap_compare(make_app("review", sandbox=FakeSandbox()), terminal_size=(80, 24),
                        run_before=_then("ctrl+n", "ctrl+n", "ctrl+f"))


def test_troubleshooting(snap_compare: Any) -> None:
    backend = ScriptedBackend(ENVIRON)
    forwarded = ('{"result": "forwarded", "messageId": "m-1", "eventId": "e-1", "status": 202, '
                 '"attempts": 1, "latencyMs": 84}')
    failed = ('{"result": "failed", "messageId": "m-2", "eventId": "e-2", "status": 401, '
              '"attempts": 3, "error": "signature rejected"}')
    backend.log_batches = [[log_line(1, "START RequestId: r-1 Version: $LATEST"), log_line(2, forwarded),
                            log_line(3, failed), log_line(4, "END RequestId: r-1")]]
    state = WizardState()
    state.apply_settings(InstallSettings())

    async def lines_shown(pilot: Any) -> None:  # the tail never completes: wait for what it shows
        screen = pilot.app.screen
        for _ in range(100):
            if len(screen.lines) == 4 and "checks failed" in str(screen.query_one("#checks").content):
                break
            await pilot.pause(0.05)
        _steady_cursors(pilot)
        await pilot.pause()

    assert snap_compare(make_app("troubleshoot", state=state, backend=backend), terminal_size=(100, 30),
                        run_before=lines_shown)
