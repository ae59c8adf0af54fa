"""The webhook secret's one home: the stack's Secrets Manager secret, never Port's answer.

Against an emulated Port that never returns a webhook's secret (as Port does not promise
to), the real install, a re-run, `sync` and a rotation run into moto; the forwarder is the
deployed function's own code (the template's inline code), run as Lambda would run it.
"""

from __future__ import annotations

import io
import json
import types
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from core.emulator import PortEmulator
from core.sandbox import moto_fidelity
from tests.support.moto_server import unique_name
from tests.support.port import EMULATOR_CLIENT_ID, EMULATOR_CLIENT_SECRET
from wizard.cli.install import run_console_install
from wizard.cli.sync import main as sync_main

ACCOUNT = "123456789012"
REGION = "us-east-1"


@pytest.fixture
def hiding_port() -> Iterator[PortEmulator]:
    """A Port that answers every webhook read without security.secret."""
    with PortEmulator(EMULATOR_CLIENT_ID, EMULATOR_CLIENT_SECRET, return_webhook_secret=False) as emulator:
        yield emulator


@dataclass
class Install:
    emulator: PortEmulator
    client: Callable[..., Any]
    env: dict[str, str]
    flags: dict[str, object]

    def run(self, **extra: object) -> tuple[int, str]:
        out, err = io.StringIO(), io.StringIO()
        code = run_console_install(None, {**self.flags, **extra}, self.env, out, err)
        return code, out.getvalue() + err.getvalue()

    @property
    def port_secret(self) -> str | None:
        return self.emulator.store.webhook_secret("aws_ingest")

    @property
    def webhook_key(self) -> str:
        return self.emulator.store.webhooks["aws_ingest"]["webhookKey"]

    def function(self) -> dict[str, Any]:
        name = self.flags["lambda_function_name"]
        return self.client("lambda").get_function_configuration(FunctionName=name)

    def stored(self) -> dict[str, str]:
        """The stack's secret, read as a user would (the function names it; moto shows no
        outputs for a stack made through a change set)."""
        arn = self.function()["Environment"]["Variables"]["PORT_WEBHOOK_SECRET_ARN"]
        return json.loads(self.client("secretsmanager").get_secret_value(SecretId=arn)["SecretString"])

    def container(self, monkeypatch: pytest.MonkeyPatch, aws_endpoint: str,
                  **changed: str) -> types.ModuleType:
        """A fresh execution environment of the deployed function: its code and environment."""
        function = self.function()
        for name, value in {**function["Environment"]["Variables"], **changed}.items():
            monkeypatch.setenv(name, value)
        monkeypatch.setenv("PORT_ENRICH", "false")
        monkeypatch.setenv("AWS_ENDPOINT_URL", aws_endpoint)  # its boto3 reaches moto
        index = types.ModuleType("index")
        code = moto_fidelity.deployed_function_code(ACCOUNT, REGION, function["FunctionName"])
        exec(compile(code, "index.py", "exec"), index.__dict__)  # noqa: S102 - the deployed code
        return index

    def forward(self, monkeypatch: pytest.MonkeyPatch, aws_endpoint: str) -> dict[str, Any]:
        """One EC2 event through the deployed function's code, in a fresh container."""
        return self.container(monkeypatch, aws_endpoint).handler(ec2_event(), None)


def ec2_event() -> dict[str, Any]:
    """An SQS event holding one EC2 state change."""
    event = {"version": "0", "id": uuid.uuid4().hex, "source": "aws.ec2", "account": ACCOUNT,
             "detail-type": "EC2 Instance State-change Notification", "region": REGION,
             "time": "2026-11-25T00:00:00Z", "resources": [],
             "detail": {"instance-id": "i-0123456789abcdef0", "state": "running"}}
    return {"Records": [{"messageId": uuid.uuid4().hex, "body": json.dumps(event), "awsRegion": REGION,
                         "eventSourceARN": f"arn:aws:sqs:{REGION}:{ACCOUNT}:q"}]}


@pytest.fixture
def install(hiding_port: PortEmulator, aws_endpoint: str, aws_client: Callable[..., Any]) -> Install:
    env = {"PORT_CLIENT_ID": EMULATOR_CLIENT_ID, "PORT_CLIENT_SECRET": EMULATOR_CLIENT_SECRET,
           "PORT_BASE_URL": hiding_port.base_url, "AWS_ENDPOINT_URL": aws_endpoint}
    flags = {"stack_name": unique_name("port-aws"), "queue_name": unique_name("events"),
             "lambda_function_name": unique_name("forwarder"), "event_sources": "aws.ec2,aws.s3"}
    installed = Install(hiding_port, aws_client, env, flags)
    code, output = installed.run()
    assert code == 0, output
    return installed


def ingest_statuses(emulator: PortEmulator, key: str) -> list[int]:
    return [r.status for r in emulator.requests if r.method == "POST" and r.path == f"/{key}"]


def test_the_function_names_the_secret_and_its_events_verify_against_ports_secret(
        install: Install, monkeypatch: pytest.MonkeyPatch, aws_endpoint: str) -> None:
    secret, key = install.port_secret, install.webhook_key
    assert secret and install.emulator.store.get_webhook("aws_ingest")["security"].get("secret") is None

    variables = json.dumps(install.function()["Environment"]["Variables"])
    assert key not in variables and secret not in variables
    assert install.stored() == {"url": f"{install.emulator.base_url}/{key}", "secret": secret}

    assert install.forward(monkeypatch, aws_endpoint) == {"batchItemFailures": []}
    assert ingest_statuses(install.emulator, key) == [202]  # a bad signature answers 401
    assert install.emulator.entities["ec2Instance"]["i-0123456789abcdef0"]


def test_a_rerun_and_sync_sign_with_the_stored_secret_when_port_never_returns_it(
        install: Install, aws_client: Callable[..., Any]) -> None:
    secret = install.port_secret
    before = len(install.emulator.requests)

    code, output = install.run()

    assert code == 0, output
    assert install.port_secret == secret and install.stored()["secret"] == secret
    writes = [(r.method, r.path) for r in install.emulator.requests[before:]
              if r.method in ("POST", "PATCH", "PUT") and r.path.startswith("/v1/webhooks")]
    assert writes == []  # the webhook, secret included, is left as it is
    assert secret not in output and install.webhook_key not in output
    code, plan = install.run(dry_run=True)
    assert code == 0 and "signed: secret kept from secret arn:aws:secretsmanager:" in plan

    aws_client("ec2").run_instances(ImageId="ami-12c6146b", MinCount=1, MaxCount=1)
    out, err = io.StringIO(), io.StringIO()
    code = sync_main(["--stack-name", str(install.flags["stack_name"]), "--event-sources", "aws.ec2"],
                     environ=install.env, out=out, err=err)

    assert code == 0, err.getvalue()
    assert ingest_statuses(install.emulator, install.webhook_key)[-1:] == [202]
    assert install.emulator.entities.get("ec2Instance")
    assert install.port_secret == secret


def test_sync_refuses_to_send_unsigned_requests_port_would_drop(install: Install) -> None:
    out, err = io.StringIO(), io.StringIO()
    code = sync_main(["--stack-name", "no-such-stack", "--event-sources", "aws.ec2"],
                     environ=install.env, out=out, err=err)

    assert code == 2
    assert "checks signatures, but its secret was found neither" in err.getvalue()
    assert ingest_statuses(install.emulator, install.webhook_key) == []


def test_rotation_updates_port_and_the_stack_together_and_names_the_window(
        install: Install, monkeypatch: pytest.MonkeyPatch, aws_endpoint: str) -> None:
    old, version = install.port_secret, install.function()["Environment"]["Variables"]["PORT_WEBHOOK_VERSION"]

    with moto_fidelity.extended():  # moto corrupts an updated inline function without it
        code, output = install.run(rotate_webhook_secret=True)

    assert code == 0, output
    new = install.port_secret
    assert new and new != old and install.stored()["secret"] == new
    assert install.function()["Environment"]["Variables"]["PORT_WEBHOOK_VERSION"] != version
    assert "webhook secret rotated in Port at" in output
    assert "may have been dropped by Port" in output and "port-aws-wizard sync" in output
    assert old not in output and new not in output

    assert install.forward(monkeypatch, aws_endpoint) == {"batchItemFailures": []}
    assert ingest_statuses(install.emulator, install.webhook_key) == [202]


def test_the_forwarder_reads_the_secret_once_per_container_and_says_when_it_cannot(
        install: Install, monkeypatch: pytest.MonkeyPatch, aws_endpoint: str,
        capsys: pytest.CaptureFixture[str]) -> None:
    warm = install.container(monkeypatch, aws_endpoint)
    assert warm.handler(ec2_event(), None) == {"batchItemFailures": []}
    arn = install.function()["Environment"]["Variables"]["PORT_WEBHOOK_SECRET_ARN"]
    secrets = install.client("secretsmanager")
    secrets.put_secret_value(SecretId=arn, SecretString=json.dumps(
        {"url": install.stored()["url"], "secret": "changed-behind-the-stacks-back"}))

    assert warm.handler(ec2_event(), None) == {"batchItemFailures": []}  # read once: cached
    fresh = install.container(monkeypatch, aws_endpoint)
    assert fresh.handler(ec2_event(), None)["batchItemFailures"]  # Port checks its own secret
    assert ingest_statuses(install.emulator, install.webhook_key)[-1] == 401

    capsys.readouterr()
    unreadable = install.container(monkeypatch, aws_endpoint, PORT_WEBHOOK_SECRET_ARN=arn + "-gone")
    assert unreadable.handler(ec2_event(), None)["batchItemFailures"]
    [line] = [json.loads(text) for text in capsys.readouterr().out.splitlines()]
    assert (line["result"], line["error"]) == (
        "failed", "cannot read the webhook secret: ResourceNotFoundException")


def test_a_saved_answers_file_never_rotates_again() -> None:
    """Rotation is a one-off: an answers file written from the settings leaves it out."""
    from core.config.answers import dump_answers
    from core.config.settings import InstallSettings

    text = dump_answers(InstallSettings(rotate_webhook_secret=True, alarm_email="ops@example.com",
                                        lambda_max_concurrency=7))
    assert "rotate_webhook_secret" not in text
    assert "alarm_email: ops@example.com" in text and "lambda_max_concurrency: 7" in text
