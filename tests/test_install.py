"""The non-interactive install end to end: the real CLI against moto's server and the Port emulator."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import httpx
import pytest

from core.emulator import PortEmulator
from core.port.resources import load_blueprints
from tests.support.moto_server import unique_name

ANSWERS = Path(__file__).parent / "answers" / "full-install.yml"
WRITE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}


def cli(args: list[str], env: dict[str, str], cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """Run the installed console entry point as a user would, in a child process."""
    return subprocess.run(
        [sys.executable, "-m", "wizard", *args], env={**os.environ, **env}, cwd=cwd,
        capture_output=True, text=True, timeout=120,
    )


@pytest.fixture
def install_env(port_env: dict[str, str], aws_endpoint: str) -> dict[str, str]:
    return {
        **port_env,
        "TEST_PORT_BASE_URL": port_env["PORT_BASE_URL"],
        "TEST_AWS_ENDPOINT_URL": aws_endpoint,
        "TEST_STACK_NAME": unique_name("port-aws"),
        "TEST_QUEUE_NAME": unique_name("events"),
        "TEST_FUNCTION_NAME": unique_name("forwarder"),
        "PORT_BASE_URL": "",  # the answers file says where Port is
    }


def stack(aws_client: Callable[..., Any], name: str) -> dict[str, Any]:
    return aws_client("cloudformation").describe_stacks(StackName=name)["Stacks"][0]


def port_writes(emulator: PortEmulator, since: int = 0) -> list[tuple[str, str]]:
    return [(r.method, r.path) for r in emulator.requests[since:]
            if r.method in WRITE_METHODS and r.path != "/v1/auth/access_token"]


def test_answers_file_installs_everything_and_a_rerun_changes_nothing(
    install_env: dict[str, str], port_emulator: PortEmulator, aws_client: Callable[..., Any]
) -> None:
    first = cli(["--answers", str(ANSWERS)], install_env)
    assert first.returncode == 0, first.stderr

    # Port: every blueprint, the integration with its mappings, the webhook with its rules.
    store = port_emulator.store
    blueprint_ids = {bp["identifier"] for bp in load_blueprints()}
    with httpx.Client(base_url=port_emulator.base_url) as http:
        token = http.post("/v1/auth/access_token", json={
            "clientId": install_env["PORT_CLIENT_ID"], "clientSecret": install_env["PORT_CLIENT_SECRET"],
        }).json()["accessToken"]
        headers = {"Authorization": f"Bearer {token}"}
        for identifier in blueprint_ids:
            assert http.get(f"/v1/blueprints/{identifier}", headers=headers).status_code == 200
        integration = http.get("/v1/integration/aws-serverless", headers=headers).json()["integration"]
        webhook = http.get("/v1/webhooks/aws_ingest", headers=headers).json()["integration"]
    assert integration["config"]["resources"]
    assert webhook["mappings"] and webhook["enabled"] is True
    assert webhook["security"]["signatureAlgorithm"] == "sha256"
    del store  # only the HTTP view above is asserted on

    # AWS: the stack completed with the template's parameters.
    created = stack(aws_client, install_env["TEST_STACK_NAME"])
    assert created["StackStatus"] == "CREATE_COMPLETE"
    parameters = {p["ParameterKey"]: p["ParameterValue"] for p in created["Parameters"]}
    assert parameters["QueueName"] == install_env["TEST_QUEUE_NAME"]
    assert parameters["LambdaFunctionName"] == install_env["TEST_FUNCTION_NAME"]
    assert "aws.lambda" in parameters["EventSources"] and "aws.rds" not in parameters["EventSources"]
    # The run printed the stack's events as they came, and never the secrets.
    assert "Stack events:" in first.stdout
    assert "CREATE_COMPLETE" in first.stdout
    assert install_env["PORT_CLIENT_SECRET"] not in first.stdout + first.stderr
    assert webhook["security"]["secret"] not in first.stdout + first.stderr
    assert webhook["webhookKey"] not in first.stdout + first.stderr

    # Again: nothing is created twice, nothing is written, and the run says so.
    requests_before = len(port_emulator.requests)
    second = cli(["--answers", str(ANSWERS)], install_env)
    assert second.returncode == 0, second.stderr
    assert port_writes(port_emulator, requests_before) == []
    assert "no changes" in second.stdout
    stacks = [s for s in aws_client("cloudformation").describe_stacks()["Stacks"]
              if s["StackName"] == install_env["TEST_STACK_NAME"]]
    assert len(stacks) == 1 and stacks[0]["StackStatus"] == "CREATE_COMPLETE"


def recorded_aws_actions(aws_endpoint: str) -> list[str]:
    """The API actions moto received while its recorder was on."""
    lines = httpx.get(f"{aws_endpoint}/moto-api/recorder/download-recording").text.splitlines()
    actions = []
    for line in lines:
        entry = json.loads(line)
        target = {k.lower(): v for k, v in entry["headers"].items()}.get("x-amz-target")
        if target:
            actions.append(target.rsplit(".", 1)[-1])
            continue
        body = entry.get("body") or ""
        if entry.get("body_encoded"):
            import base64

            body = base64.b64decode(body).decode()
        action = parse_qs(body).get("Action") or parse_qs(entry["url"].partition("?")[2]).get("Action")
        actions.append(action[0] if action else f"{entry['method']} {entry['url']}")
    return actions


def test_dry_run_plans_every_step_and_changes_nothing(
    install_env: dict[str, str], port_emulator: PortEmulator, aws_endpoint: str
) -> None:
    httpx.post(f"{aws_endpoint}/moto-api/recorder/reset-recording")
    httpx.post(f"{aws_endpoint}/moto-api/recorder/start-recording")
    try:
        result = cli(["--answers", str(ANSWERS), "--dry-run"], install_env)
    finally:
        httpx.post(f"{aws_endpoint}/moto-api/recorder/stop-recording")
    assert result.returncode == 0, result.stderr
    for blueprint in load_blueprints():
        assert f"blueprint    {blueprint['identifier']}" in result.stdout
    assert "webhook      aws_ingest" in result.stdout
    assert f"stack        {install_env['TEST_STACK_NAME']}" in result.stdout
    assert "nothing was changed" in result.stdout
    # Port saw reads only (and a token request); moto saw no request that changes anything.
    assert port_writes(port_emulator) == []
    actions = recorded_aws_actions(aws_endpoint)
    assert actions, "the dry run should have read the stack"
    assert all(a.startswith(("Describe", "Get", "List", "Validate")) for a in actions), actions


def test_port_only_sets_up_port_and_prints_the_deploy_command(
    install_env: dict[str, str], port_emulator: PortEmulator, tmp_path: Path, aws_client: Callable[..., Any]
) -> None:
    result = cli(["--answers", str(ANSWERS), "--port-only"], install_env, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "aws cloudformation deploy" in result.stdout
    assert f"--stack-name {install_env['TEST_STACK_NAME']}" in result.stdout
    assert "CAPABILITY_IAM" in result.stdout
    assert "$PORT_WEBHOOK_URL" in result.stdout
    assert "Then start the first resync" in result.stdout
    assert "--message-body '{\"portAwsResync\":{\"trigger\":\"install\"}}'" in result.stdout
    assert port_emulator.store  # Port objects exist
    env_file = tmp_path / "port-aws-webhook.env"
    assert env_file.stat().st_mode & 0o077 == 0  # secrets readable by the owner only
    names = [s["StackName"] for s in aws_client("cloudformation").describe_stacks()["Stacks"]]
    assert install_env["TEST_STACK_NAME"] not in names


def test_port_failure_midway_lists_what_was_done_and_a_rerun_finishes(
    install_env: dict[str, str], port_emulator: PortEmulator, aws_client: Callable[..., Any]
) -> None:
    port_emulator.fail_next("GET", r"^/v1/webhooks/", count=5, status=503)  # every attempt of one call
    failed = cli(["--answers", str(ANSWERS)], install_env)
    assert failed.returncode == 1
    assert "HTTP 503" in failed.stderr
    assert "Done before the failure" in failed.stderr
    assert "blueprint awsAccount: create" in failed.stderr
    assert "integration aws-serverless: create" in failed.stderr

    rerun = cli(["--answers", str(ANSWERS)], install_env)
    assert rerun.returncode == 0, rerun.stderr
    assert stack(aws_client, install_env["TEST_STACK_NAME"])["StackStatus"] == "CREATE_COMPLETE"


def test_missing_aws_credentials_fail_before_port_is_touched(
    install_env: dict[str, str], port_emulator: PortEmulator, tmp_path: Path
) -> None:
    env = {**install_env, "AWS_ACCESS_KEY_ID": "", "AWS_SECRET_ACCESS_KEY": "", "AWS_SESSION_TOKEN": "",
           "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "none"), "AWS_CONFIG_FILE": str(tmp_path / "none"),
           "AWS_EC2_METADATA_DISABLED": "true"}
    result = cli(["--answers", str(ANSWERS)], env)
    assert result.returncode == 1
    assert "no AWS credentials found" in result.stderr
    assert port_writes(port_emulator) == []


@pytest.mark.parametrize("value", [
    "https://ingest.getport.io/abc'$(touch PWNED)'`touch PWNED`;touch PWNED",
    "it's \"quoted\" $HOME \\ and\na newline",
    "",
])
def test_port_only_env_file_sources_to_the_exact_values_and_runs_nothing(tmp_path: Path, value: str) -> None:
    from core.operations.install import write_webhook_env
    from core.port.setup import WebhookTarget

    env_file = write_webhook_env(tmp_path / "port-aws-webhook.env", WebhookTarget(url=value, secret=value))
    shown = subprocess.run(
        ["bash", "-c", '. "$1" && printf "%s\\0%s" "$PORT_WEBHOOK_URL" "$PORT_WEBHOOK_SECRET"', "-",
         str(env_file)], cwd=tmp_path, capture_output=True, text=True, timeout=10)
    assert shown.returncode == 0, shown.stderr
    assert shown.stdout.split("\0") == [value, value]
    assert not (tmp_path / "PWNED").exists()
