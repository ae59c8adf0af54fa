"""The wizard's StackSet step and a StackSet deploy, against moto and the Port emulator.

moto runs self-managed StackSets in-process; the fixtures in tests/support/stackset.py give it
the StackSet roles and the instance-stack naming the template's unnamed queues need.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from textual.widgets import DataTable

from core.emulator import PortEmulator
from tests.support.moto_server import unique_name
from tests.support.port import EMULATOR_CLIENT_ID, EMULATOR_CLIENT_SECRET
from tests.support.stackset import ADMIN, OTHER
from tests.support.wizard import seen, settle, type_into
from wizard.app import WizardApp
from wizard.backend import Backend
from wizard.components.deploy import DeployScreen
from wizard.components.done import DoneScreen
from wizard.components.review import ReviewScreen
from wizard.components.stackset import StackSetScreen
from wizard.state import StateStore, WizardState

PORT_ENV = {"PORT_CLIENT_ID": EMULATOR_CLIENT_ID, "PORT_CLIENT_SECRET": EMULATOR_CLIENT_SECRET}
REGIONS = ("us-east-1", "eu-west-1")


@pytest.mark.usefixtures("stackset_stack_names", "stackset_roles")
async def test_stackset_step_checks_the_answers_then_deploys_a_row_per_account_and_region(
        tmp_path: Path, port_emulator: PortEmulator, aws_endpoint: str,
        aws_client: Callable[..., Any]) -> None:
    name = unique_name("wiz-set")
    state = WizardState(port_base_url=port_emulator.base_url, stack_name=name, aws_account=ADMIN,
                        queue_name=unique_name("wiz-q"), lambda_function_name=unique_name("wiz-fn"))
    backend = Backend(environ=dict(PORT_ENV), aws_endpoint_url=aws_endpoint, poll_seconds=0.1)
    app = WizardApp(backend=backend, state=state, store=StateStore(tmp_path / "state"), cwd=tmp_path,
                    start_step="stackset")
    async with app.run_test(size=(100, 30)) as pilot:
        assert isinstance(app.screen, StackSetScreen)
        assert "Accounts" not in seen(app)  # one stack is the default: no StackSet fields
        await pilot.press("down", "enter")  # the choice has the focus: pick "A StackSet"
        assert "Accounts" in seen(app) and "Failure tolerance" in seen(app)

        # Next without targets: core's own validation message, and no step forward.
        await pilot.press("ctrl+n")
        assert isinstance(app.screen, StackSetScreen)
        assert "--stackset needs targets: --accounts" in seen(app)
        await type_into(pilot, "#accounts", f"{ADMIN}, 12345")
        await pilot.press("ctrl+n")
        assert "'12345' are not 12 digits" in seen(app)

        await type_into(pilot, "#accounts", f"{ADMIN}, {OTHER}")
        await type_into(pilot, "#regions", ", ".join(REGIONS))
        await type_into(pilot, "#max-concurrency", "2")
        await pilot.press("ctrl+n")
        await settle(pilot)

        # Review: the StackSet and one instance per account x region, nothing created yet.
        assert isinstance(app.screen, ReviewScreen)
        text = seen(app)
        assert f"AWS StackSet {name} (administered from account {ADMIN}, us-east-1): create" in text
        for account in (ADMIN, OTHER):
            for region in REGIONS:
                assert f"Add {account}/{region} stack instance" in text
        cloudformation = aws_client("cloudformation")
        with pytest.raises(cloudformation.exceptions.StackSetNotFoundException):
            cloudformation.describe_stack_set(StackSetName=name)

        await pilot.press("ctrl+n")
        assert isinstance(app.screen, DeployScreen)
        await settle(pilot, rounds=6)
        text = seen(app)
        assert "✓ Installed (StackSet created, 4 instance(s))" in text, text
        assert "StackSet 4/4 accounts x regions succeeded" in text
        table = app.screen.query_one("#instances", DataTable)
        for account in (ADMIN, OTHER):
            for region in REGIONS:
                assert str(table.get_cell(f"{account}/{region}", "status")) == "SUCCEEDED"
                assert str(table.get_cell(f"{account}/{region}", "action")) == "create"

        await pilot.press("ctrl+n")
        assert isinstance(app.screen, DoneScreen)
        assert f"StackSet {name}: created, 4 instance(s)" in seen(app)

    described = cloudformation.describe_stack_set(StackSetName=name)["StackSet"]
    assert described["PermissionModel"] == "SELF_MANAGED"
    instances = cloudformation.list_stack_instances(StackSetName=name)["Summaries"]
    assert sorted((i["Account"], i["Region"]) for i in instances) == sorted(
        (account, region) for account in (ADMIN, OTHER) for region in REGIONS)
