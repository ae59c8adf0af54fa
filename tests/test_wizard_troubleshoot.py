"""The troubleshooting screen: a live tail of the Lambda's logs (moto) and the hop checks."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from textual.widgets import Input, Log

from core.config.settings import InstallSettings
from tests.aws_fixtures import unique_name
from tests.test_wizard_support import ScriptedBackend, log_line, seen, settle
from wizard.app import WizardApp
from wizard.backend import Backend
from wizard.cli import troubleshoot as troubleshoot_command
from wizard.components.done import DoneScreen
from wizard.components.troubleshoot import TroubleshootScreen
from wizard.state import StateStore, WizardState


async def wait_for(pilot: Any, condition: Callable[[], bool], seconds: float = 10.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        await pilot.pause(0.05)


def log_text(app: WizardApp) -> list[str]:
    return list(app.screen.query_one("#log", Log).lines)


async def test_live_tail_shows_new_lines_once_with_filter_and_pause(
    tmp_path: Path, aws_endpoint: str, aws_client: Callable[..., Any]
) -> None:
    function = unique_name("tail-fn")
    logs = aws_client("logs")
    group = f"/aws/lambda/{function}"
    logs.create_log_group(logGroupName=group)
    logs.create_log_stream(logGroupName=group, logStreamName="s1")
    now = int(time.time() * 1000)
    logs.put_log_events(logGroupName=group, logStreamName="s1", logEvents=[
        {"timestamp": now - 2000, "message": "START RequestId: r-1"},
        {"timestamp": now - 1000, "message": "forwarded m-1"},
    ])
    state = WizardState()
    state.apply_settings(InstallSettings(lambda_function_name=function))
    app = WizardApp(backend=Backend(environ={}, aws_endpoint_url=aws_endpoint, poll_seconds=0.1), state=state,
                    store=StateStore(tmp_path), start_step="troubleshoot")
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_for(pilot, lambda: len(log_text(app)) == 2)
        assert f"Log group {group}" in seen(app)
        assert "no LoggingConfig" in seen(app) or "line(s) received" in seen(app)
        # A line at the same millisecond as the newest one shown: it appears, the old ones do not repeat.
        logs.put_log_events(logGroupName=group, logStreamName="s1", logEvents=[
            {"timestamp": now - 1000, "message": "forwarded m-2 (same millisecond)"},
            {"timestamp": now, "message": "FAILED m-3 status=401"},
        ])
        await wait_for(pilot, lambda: len(log_text(app)) == 4)
        await pilot.pause(0.5)  # a few more polls: still no duplicate
        lines = log_text(app)
        assert len(lines) == 4 and sum("forwarded m-1" in line for line in lines) == 1

        await pilot.press("ctrl+f")
        await pilot.press(*"failed")
        await pilot.pause()
        assert [line for line in log_text(app)] == [lines[3]]
        app.screen.query_one("#filter", Input).value = ""
        await pilot.press("ctrl+p")  # pause: new lines are held, not shown
        logs.put_log_events(logGroupName=group, logStreamName="s1",
                            logEvents=[{"timestamp": now + 1000, "message": "forwarded m-4"}])
        await wait_for(pilot, lambda: len(app.screen.lines) == 5)
        await pilot.pause()
        assert len(log_text(app)) == 4 and "paused: 1 new line(s) held" in seen(app)
        await pilot.press("ctrl+p")  # follow again: the held line shows
        await pilot.pause()
        assert len(log_text(app)) == 5 and "following" in seen(app)
        tail_workers = [w for w in app.screen.workers if w.group == "tail"]
        assert tail_workers and tail_workers[0].is_running


async def test_troubleshooting_opens_from_done_and_its_polling_stops_when_left(tmp_path: Path) -> None:
    backend = ScriptedBackend({})
    backend.log_batches = [[log_line(1, "START RequestId: r-1")]]
    state = WizardState(client_id="id", client_secret="secret")
    app = WizardApp(backend=backend, state=state, store=StateStore(tmp_path), cwd=tmp_path,
                    start_step="review")
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+n")
        await settle(pilot)
        await pilot.press("ctrl+n")
        assert isinstance(app.screen, DoneScreen)
        await pilot.press("ctrl+t")
        assert isinstance(app.screen, TroubleshootScreen)
        await wait_for(pilot, lambda: len(log_text(app)) == 1)
        await wait_for(pilot, lambda: "1 of 4 checks failed" in seen(app))
        assert "dead-letter queue: 3 messages" in seen(app)
        screen = app.screen
        workers = [w for w in app.workers if w.node is screen]
        await pilot.press("escape")
        assert isinstance(app.screen, DoneScreen)
        assert workers and all(worker.is_cancelled for worker in workers)
        await wait_for(pilot, backend.tail_stopped.is_set)


def test_troubleshoot_command_needs_a_terminal(capsys: Any) -> None:
    assert troubleshoot_command.main([], environ={}, interactive=False) == 2
    assert "port-aws-wizard logs --follow" in capsys.readouterr().err
