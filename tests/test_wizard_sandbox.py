"""The sandbox panel: after the wizard's install in `--sandbox`, events through every hop to entities.

The end-to-end test runs a real SandboxEnvironment (moto + the Port emulator in this
process) with zero stack delays, a 2 s visibility timeout and a 1.5 s forwarder budget: room
for a loaded machine, yet shorter than the ingest fault the test makes.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from textual.widgets import DataTable

from core.port.client import PortClient
from core.sandbox.environment import SandboxEnvironment, SandboxOptions
from tests.support.wizard import FakeSandbox, MemoryStore, ScriptedBackend, seen, settle
from wizard.app import WizardApp
from wizard.backend import Backend
from wizard.components import sandbox as sandbox_panel
from wizard.components.deploy import DeployScreen
from wizard.components.done import DoneScreen
from wizard.components.review import ReviewScreen
from wizard.components.sandbox import SandboxScreen
from wizard.state import StateStore, WizardState

FAST = SandboxOptions(resource_delay=0, stack_poll_seconds=0.02, visibility_timeout=2,
                      function_timeout=1.5, batching_window=0)


async def wait_for(pilot: Any, condition: Callable[[], bool], seconds: float = 20.0, what: str = "") -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what or condition}"
        await pilot.pause(0.1)


@pytest.fixture
def sandbox() -> Iterator[SandboxEnvironment]:
    with SandboxEnvironment(FAST, flags={"event_sources": "aws.ec2,aws.s3"}) as environment:
        yield environment


def counters(app: WizardApp) -> Any:
    screen = app.screen
    assert isinstance(screen, SandboxScreen)
    return screen.counters


async def test_after_the_install_the_panel_follows_events_to_entities_and_survives_ingest_failures(
        tmp_path: Path, sandbox: SandboxEnvironment, monkeypatch: pytest.MonkeyPatch) -> None:
    # All ingests fail for 4 s (instead of half of them for 10 s): longer than one invocation's
    # retries, so records certainly fail, and too short for one to use up its 5 receives (2 s apart).
    monkeypatch.setattr(sandbox_panel, "FAIL_SECONDS", 4.0)
    monkeypatch.setattr(sandbox_panel, "FAIL_RATIO", 1.0)
    app = WizardApp(sandbox=sandbox, store=StateStore(tmp_path / "state"), cwd=tmp_path, start_step="review")
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, ReviewScreen)
        await pilot.press("ctrl+n")
        assert isinstance(app.screen, DeployScreen)
        await wait_for(pilot, lambda: "✓ Installed (CREATE_COMPLETE)" in seen(app), 60, "the install")
        await pilot.press("ctrl+n")

        # The panel opens by itself over Done, starts the flow and sends one round of events.
        await wait_for(pilot, lambda: isinstance(app.screen, SandboxScreen), 5, "the panel")
        panel = app.screen
        assert isinstance(panel, SandboxScreen)
        assert isinstance(app.screen_stack[-2], DoneScreen)
        await wait_for(pilot, lambda: panel.started, 10, "the event flow: " + seen(app))
        assert sandbox.flow is not None
        size = sandbox.flow.plan.round_size
        await wait_for(pilot, lambda: counters(app) is not None and counters(app).forwarded == size,
                       what="the first round forwarded")
        assert f"{size} sample events sent" in seen(app)
        await wait_for(pilot, lambda: panel.entity_keys, what="entities")
        first = set(panel.entity_keys)
        assert f"awsAccount/{sandbox.account}" in first
        assert f"Entities in Port ({len(first)})" in seen(app)

        # Send: the counters move on, and the round's new entities appear in the table.
        await pilot.press("ctrl+e")
        await wait_for(pilot, lambda: counters(app).put == 2 * size and counters(app).forwarded == 2 * size,
                       what="the second round forwarded")
        await wait_for(pilot, lambda: set(panel.entity_keys) - first, what="new entities")
        new = sorted(set(panel.entity_keys) - first)
        identifier = new[0].split("/", 1)[1]
        table = panel.query_one("#sb-entities", DataTable)  # it scrolls: not every row is on screen
        assert identifier in {str(table.get_cell(key, column)) for key in table.rows
                              for column in table.columns}
        assert f"{2 * size} sample events sent" in seen(app)
        failed_before = counters(app).failed

        # Fail: ingest refuses requests for a while; the records fail, go back to the queue, and
        # still arrive once the fault is over: nothing reaches the dead-letter queue.
        await pilot.press("ctrl+f")
        await wait_for(pilot, lambda: "Port ingest fails 100% of requests" in seen(app), 5, "the fault line")
        await pilot.press("ctrl+e")
        await wait_for(pilot, lambda: counters(app).failed > failed_before, what="failed records")
        assert "failed (back to the queue)" in seen(app)
        await wait_for(pilot, lambda: counters(app).forwarded == 3 * size, 30, "the third round forwarded")
        assert counters(app).dead_lettered == 0
        await wait_for(pilot, lambda: "Port ingest answers every request" in seen(app), 5, "the fault to end")
        assert len(panel.entity_keys) > len(first)

        # Resync now: the schedule rule fires, and an instance deleted in Port comes back.
        reservations = sandbox.aws_client("ec2").describe_instances()["Reservations"]
        gone = sorted(i["InstanceId"] for r in reservations for i in r["Instances"])[0]
        await wait_for(pilot, lambda: f"ec2Instance/{gone}" in panel.entity_keys, what="the first resync")
        with PortClient(sandbox.port_base_url, sandbox.credentials) as port:
            assert port.delete_entity("ec2Instance", gone)
        await wait_for(pilot, lambda: f"ec2Instance/{gone}" not in panel.entity_keys, what="the deletion")
        pieces = counters(app).resync_pieces
        await pilot.press("ctrl+r")
        await wait_for(pilot, lambda: "resync requested 1×" in seen(app), 5, "the resync request")
        await wait_for(pilot, lambda: f"ec2Instance/{gone}" in panel.entity_keys, 30, "the instance back")
        assert counters(app).resync_pieces > pieces


async def test_the_panel_stops_polling_when_left_and_the_done_screen_opens_it_again(tmp_path: Path) -> None:
    fake = FakeSandbox()
    app = WizardApp(sandbox=fake, backend=ScriptedBackend(), store=MemoryStore(), cwd=tmp_path,
                    state=WizardState(client_id="id", client_secret="secret"), start_step="review")
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+n", "ctrl+n")
        await settle(pilot)
        assert isinstance(app.screen, SandboxScreen)
        await pilot.pause(0.6)
        assert fake.polls >= 1 and fake.sent == [4]  # one round sent when the panel first opened
        await pilot.press("ctrl+f")
        await settle(pilot)
        assert fake.faults == [(10.0, 0.5)]  # ten seconds at 50%, as the button says
        assert "Fail ingest 10 s at 50%" in seen(app)

        await pilot.press("escape")
        assert isinstance(app.screen, DoneScreen)
        polls = fake.polls
        await pilot.pause(1.2)
        assert fake.polls == polls  # no reads while the panel is closed
        assert "Sandbox panel" in seen(app)
        await pilot.press("ctrl+o")
        await settle(pilot)
        assert isinstance(app.screen, SandboxScreen)
        await pilot.pause(0.6)
        assert fake.polls > polls
        assert fake.sent == [4]  # reopening does not send another round


async def test_quitting_during_a_deploy_stops_the_stack_polling_at_once(tmp_path: Path) -> None:
    # The sandbox's stacks take a while to create, and the installer polls them only once a minute:
    # without the cancel hook its thread would sleep on for a minute after the wizard quit.
    options = SandboxOptions(resource_delay=0.3, stack_poll_seconds=60)
    with SandboxEnvironment(options, flags={"event_sources": "aws.ec2"}) as environment:
        returned = threading.Event()

        class Watched(Backend):
            def install(self, *args: Any, **kwargs: Any) -> Any:
                try:
                    return super().install(*args, **kwargs)
                finally:
                    returned.set()

        backend = Watched(poll_seconds=60)
        app = WizardApp(sandbox=environment, backend=backend, store=StateStore(tmp_path / "state"),
                        cwd=tmp_path, start_step="review")
        async with app.run_test(size=(100, 30)) as pilot:
            await settle(pilot)
            await pilot.press("ctrl+n")
            await wait_for(pilot, lambda: "CREATE_IN_PROGRESS" in seen(app), 30, "the stack creating")
            assert "Deploying..." in seen(app)
            await pilot.press("ctrl+q")
        assert returned.wait(5), "the install kept polling after the wizard quit"
