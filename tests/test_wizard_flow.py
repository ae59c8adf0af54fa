"""The full-screen wizard driven with Pilot: against moto and the Port emulator, and scripted."""

from __future__ import annotations

import re
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml
from textual.widgets import Button, DataTable, Input

from core.config.settings import InstallSettings
from core.emulator import PortEmulator
from tests.aws_fixtures import unique_name
from tests.conftest import EMULATOR_CLIENT_ID, EMULATOR_CLIENT_SECRET
from tests.test_wizard_support import FAILURE_REASON, ScriptedBackend, seen, settle, type_into
from wizard.app import WizardApp
from wizard.backend import Backend
from wizard.cli.install import build_settings
from wizard.components.aws import AwsScreen
from wizard.components.deploy import DeployScreen
from wizard.components.done import DoneScreen
from wizard.components.names import NamesScreen
from wizard.components.port import PortScreen
from wizard.components.review import ReviewScreen
from wizard.components.sources import SourcesScreen
from wizard.components.stackset import StackSetScreen
from wizard.components.webhook import WebhookScreen
from wizard.components.welcome import WelcomeScreen
from wizard.state import StateStore, WizardState

PORT_ENV = {"PORT_CLIENT_ID": EMULATOR_CLIENT_ID, "PORT_CLIENT_SECRET": EMULATOR_CLIENT_SECRET}


def real_app(tmp_path: Path, aws_endpoint: str, environ: dict[str, str] | None = None) -> WizardApp:
    backend = Backend(environ=environ if environ is not None else dict(PORT_ENV),
                      aws_endpoint_url=aws_endpoint, poll_seconds=0.1)
    return WizardApp(backend=backend, store=StateStore(tmp_path / "state"), cwd=tmp_path)


async def test_pilot_installs_end_to_end_against_moto_and_the_port_emulator(
    tmp_path: Path, port_emulator: PortEmulator, aws_endpoint: str, aws_client: Callable[..., Any]
) -> None:
    stack, queue, function = unique_name("wiz-stack"), unique_name("wiz-queue"), unique_name("wiz-fn")
    app = real_app(tmp_path, aws_endpoint)
    async with app.run_test(size=(100, 30)) as pilot:
        assert isinstance(app.screen, WelcomeScreen)
        assert "Nothing changes until you confirm on the Review step" in seen(app)
        await pilot.press("ctrl+n")
        assert isinstance(app.screen, PortScreen)

        # Port: the credentials come from the environment, the secret masked; the URL is typed.
        secret = app.screen.query_one("#client-secret", Input)
        assert secret.password and secret.value == EMULATOR_CLIENT_SECRET
        assert EMULATOR_CLIENT_SECRET not in seen(app)
        await pilot.press("down", "down", "enter")  # the region list has the focus: pick "Custom URL"
        await type_into(pilot, "#custom-url", port_emulator.base_url)
        await pilot.press("ctrl+t")
        await settle(pilot)
        assert "answered at " + port_emulator.base_url in seen(app)
        await pilot.press("ctrl+n")
        await settle(pilot)

        # AWS: Next runs sts get-caller-identity on moto and goes on when it answers.
        assert isinstance(app.screen, AwsScreen)
        await pilot.press("ctrl+n")
        await settle(pilot)
        assert isinstance(app.screen, SourcesScreen)
        assert app.state.aws_account == "123456789012"
        assert "no CloudTrail trail in us-east-1" in seen(app)
        await pilot.press("ctrl+n")
        await settle(pilot)

        assert isinstance(app.screen, WebhookScreen)
        assert "no webhooks in Port yet" in seen(app)
        await pilot.press("ctrl+n")
        assert isinstance(app.screen, NamesScreen)
        await type_into(pilot, "#stack-name", stack)
        await type_into(pilot, "#queue-name", queue)
        await type_into(pilot, "#function-name", function)
        await pilot.press("ctrl+n")

        # One stack (the default) or a StackSet: the StackSet fields stay hidden for one stack.
        assert isinstance(app.screen, StackSetScreen)
        assert "One stack in account 123456789012, us-east-1" in seen(app)
        assert "Accounts" not in seen(app)
        await pilot.press("ctrl+n")
        await settle(pilot)

        # Review: the Port plan and the change set, before anything changed.
        assert isinstance(app.screen, ReviewScreen)
        text = seen(app)
        assert re.search(r"webhook aws_ingest create \d+ mapping rules, signed", text), text
        assert "Add Queue AWS::SQS::Queue" in text
        assert not port_emulator.store.webhooks if hasattr(port_emulator.store, "webhooks") else True
        stacks = aws_client("cloudformation").list_stacks()["StackSummaries"]
        assert all(s["StackStatus"] == "DELETE_COMPLETE" for s in stacks if s["StackName"] == stack)

        await pilot.press("ctrl+n")
        assert isinstance(app.screen, DeployScreen)
        await pilot.resize_terminal(80, 24)  # the deploy keeps going when the terminal changes
        await settle(pilot, rounds=5)
        await pilot.resize_terminal(100, 30)
        await pilot.pause()
        text = seen(app)
        assert "✓ Installed (CREATE_COMPLETE)" in text
        assert "✓ Webhook aws_ingest: created" in text
        assert "Function" in text and "CREATE_COMPLETE" in text

        await pilot.press("ctrl+n")
        assert isinstance(app.screen, DoneScreen)
        text = seen(app)
        key = app.screen.result.webhook.url.rsplit("/", 1)[1]
        assert f"{port_emulator.base_url}/{key[:4]}******** (key masked)" in text
        assert key not in text
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert "saved " in seen(app)

    described = aws_client("cloudformation").describe_stacks(StackName=stack)["Stacks"][0]
    assert described["StackStatus"] == "CREATE_COMPLETE"
    assert aws_client("lambda").get_function(FunctionName=function)
    webhooks = [r for r in port_emulator.requests if r.method == "POST" and r.path == "/v1/webhooks"]
    assert webhooks and webhooks[0].status in (200, 201)

    # "Save these answers": a file --answers accepts, without any secret.
    saved = tmp_path / "port-aws-answers.yml"
    text = saved.read_text()
    assert EMULATOR_CLIENT_SECRET not in text and EMULATOR_CLIENT_ID not in text
    settings, _secrets = build_settings(str(saved), {}, {})
    names = (settings.stack_name, settings.queue_name, settings.lambda_function_name)
    assert names == (stack, queue, function)
    assert settings.port_base_url == port_emulator.base_url


async def test_wrong_port_credentials_say_why_and_block_next(tmp_path: Path, port_emulator: PortEmulator,
                                                            aws_endpoint: str) -> None:
    app = real_app(tmp_path, aws_endpoint, {"PORT_CLIENT_ID": EMULATOR_CLIENT_ID,
                                            "PORT_CLIENT_SECRET": "not-the-secret"})
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("ctrl+n")
        await pilot.press("down", "down", "enter")  # the region list has the focus: pick "Custom URL"
        await type_into(pilot, "#custom-url", port_emulator.base_url)
        await pilot.press("ctrl+n")
        await settle(pilot)
        assert isinstance(app.screen, PortScreen)
        assert "✗ Port rejected the client id/secret" in seen(app)


async def test_a_failed_port_step_shows_why_keeps_the_answers_and_a_rerun_resumes(
    tmp_path: Path, port_emulator: PortEmulator, aws_endpoint: str
) -> None:
    stack = unique_name("wiz-fail")
    state = WizardState(port_base_url=port_emulator.base_url, stack_name=stack,
                        queue_name=unique_name("q"), lambda_function_name=unique_name("fn"))
    app = WizardApp(backend=Backend(environ=dict(PORT_ENV), aws_endpoint_url=aws_endpoint, poll_seconds=0.1),
                    state=state, store=StateStore(tmp_path / "state"), cwd=tmp_path, start_step="review")
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, ReviewScreen)
        port_emulator.fail_next("POST", r"^/v1/blueprints$", count=1, status=403)
        await pilot.press("ctrl+n")
        await settle(pilot, rounds=4)
        text = seen(app)
        assert "✗ The install stopped." in text
        assert "HTTP 403" in text and "What to do next:" in text
        assert "✗ Blueprints 0 of 8" in text

    saved = yaml.safe_load((tmp_path / "state" / "answers.yml").read_text())
    assert saved["stack_name"] == stack
    backend = Backend(environ=dict(PORT_ENV), aws_endpoint_url=aws_endpoint, poll_seconds=0.1)
    rerun = WizardApp(backend=backend,
                      store=StateStore(tmp_path / "state"), cwd=tmp_path)
    async with rerun.run_test(size=(100, 30)) as pilot:
        assert "Welcome back." in seen(rerun)
        await pilot.click("#resume")
        await settle(pilot)
        assert isinstance(rerun.screen, ReviewScreen)
        assert rerun.state.stack_name == stack
        assert f"AWS stack {stack}" in seen(rerun)


def scripted_app(backend: ScriptedBackend, tmp_path: Path, start_step: str = "review") -> WizardApp:
    state = WizardState(client_id="id", client_secret="secret", organization="Acme Corp",
                        aws_account="123456789012")
    return WizardApp(backend=backend, state=state, store=StateStore(tmp_path / "state"), cwd=tmp_path,
                     start_step=start_step)


async def test_a_failed_stack_shows_the_first_failing_resource_and_what_to_do(tmp_path: Path) -> None:
    backend = ScriptedBackend(fail_stack=True)
    app = scripted_app(backend, tmp_path)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+n")
        await settle(pilot)
        text = seen(app)
        assert "First failure: Function (AWS::Lambda::Function): Resource handler returned message" in text
        assert "iam:PassRole" in text
        assert "What to do next: Fix the cause named above in AWS" in text
        table = app.screen.query_one("#resources", DataTable)
        assert str(table.get_cell("Function", "status")) == "CREATE_FAILED"
        assert app.screen.query_one("#next", Button).disabled  # no Finish after a failure
        backend.fail_stack = False
        await pilot.press("ctrl+r")  # Retry runs the install again, in place
        await settle(pilot)
        assert backend.installs == 2
        assert "✓ Installed (CREATE_COMPLETE)" in seen(app)
        assert FAILURE_REASON not in seen(app)


async def test_deploy_keeps_going_while_the_terminal_is_resized(tmp_path: Path) -> None:
    gate = threading.Event()
    backend = ScriptedBackend(gate=gate)
    app = scripted_app(backend, tmp_path)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+n")
        await pilot.pause(0.2)
        assert "Deploying..." in seen(app)
        await pilot.resize_terminal(80, 24)
        await pilot.pause()
        await pilot.resize_terminal(140, 40)
        gate.set()
        await settle(pilot)
        text = seen(app)
        assert "✓ Installed (CREATE_COMPLETE)" in text
        assert "stack 7/7 resources done" in text


async def test_back_keeps_answers(tmp_path: Path) -> None:
    app = scripted_app(ScriptedBackend(), tmp_path, start_step="names")
    async with app.run_test(size=(100, 30)) as pilot:
        await type_into(pilot, "#stack-name", "my-stack")
        await pilot.press("ctrl+b")
        assert isinstance(app.screen, WebhookScreen)
        await pilot.press("ctrl+n")
        assert app.screen.query_one("#stack-name", Input).value == "my-stack"
        await type_into(pilot, "#batch-size", "0")
        await pilot.press("ctrl+n")
        assert isinstance(app.screen, NamesScreen)
        assert "batch size 0 is out of range" in seen(app)


async def test_sandbox_prefills_the_local_port_and_keeps_its_own_answers(tmp_path: Path,
                                                                        monkeypatch: Any) -> None:
    class Sandbox:  # what `--sandbox` hands over (core/sandbox/environment.py)
        settings = InstallSettings(port_base_url="http://127.0.0.1:9", stack_name="sandbox-stack")

    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path))
    app = WizardApp(sandbox=Sandbox(), backend=ScriptedBackend({}), start_step="port")
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        assert app.screen.query_one("#custom-url", Input).value == "http://127.0.0.1:9"
        assert app.state.stack_name == "sandbox-stack"
        assert app.store.directory == tmp_path / "port-aws-wizard" / "sandbox"


async def test_sync_on_the_done_screen_brings_in_a_resource_created_before_the_install(
    tmp_path: Path, port_emulator: PortEmulator, aws_endpoint: str, aws_client: Callable[..., Any]
) -> None:
    region = "ap-southeast-1"  # no other test uses it: the sync lists only this instance
    ec2 = aws_client("ec2", region)
    image = ec2.describe_images()["Images"][0]["ImageId"]
    instance = ec2.run_instances(ImageId=image, MinCount=1, MaxCount=1, InstanceType="t3.micro",
                                 )["Instances"][0]["InstanceId"]
    state = WizardState(port_base_url=port_emulator.base_url, aws_region=region, event_sources=("aws.ec2",),
                        stack_name=unique_name("wiz-sync"), queue_name=unique_name("q"),
                        lambda_function_name=unique_name("fn"))
    backend = Backend(environ=dict(PORT_ENV), aws_endpoint_url=aws_endpoint, poll_seconds=0.1)
    app = WizardApp(backend=backend, state=state, store=StateStore(tmp_path / "state"), cwd=tmp_path,
                    start_step="review")
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+n")
        await settle(pilot, rounds=5)
        assert "✓ Installed (CREATE_COMPLETE)" in seen(app)
        await pilot.press("ctrl+n")
        assert isinstance(app.screen, DoneScreen)
        assert "Sync existing resources now" in seen(app)
        assert instance not in port_emulator.store.entities.get("ec2Instance", {})  # events only so far

        await pilot.press("ctrl+y")
        await settle(pilot)
        text = seen(app)
        assert re.search(r"✓ synced 2 resource\(s\) with \d+ ingest request\(s\)", text), text
        assert "AWS::EC2::Instance: 1" in text and "AWS::Account::Info: 1" in text
        assert app.screen.query_one("#sync-progress").percentage == 1.0

    properties = port_emulator.store.entities["ec2Instance"][instance]["properties"]
    assert properties["state"] == "running" and properties["instanceType"] == "t3.micro"
