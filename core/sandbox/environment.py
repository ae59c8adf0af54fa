"""A local AWS (moto, extended) and a local Port (the emulator), and the settings to use them.

``SandboxEnvironment`` starts both in this process on free loopback ports, points the AWS
SDK at moto with throwaway credentials (restored on stop), generates Port credentials the
emulator accepts, and builds ``InstallSettings`` for the very same install a user runs
against AWS. After the install, ``start_flow()`` starts the event flow
(``core.sandbox.flow.SandboxFlow``), and the flow's controls are available here too:

    with SandboxEnvironment() as sandbox:
        Installer(sandbox.settings, sandbox.credentials, report).run()
        sandbox.start_flow()
        sandbox.send_events(9)
        sandbox.counters(); sandbox.entities(); sandbox.fail_ingest_for(10, 0.5)

The wizard gets a started one: `port-aws-wizard --sandbox` calls
``wizard.app.run_app(sandbox=<SandboxEnvironment>)``. The wizard installs with
``sandbox.settings`` / ``sandbox.credentials`` (the process environment is already set:
``sandbox.environ``), then calls ``start_flow()`` and drives its panel with the calls above.
"""

from __future__ import annotations

import dataclasses
import logging
import os
import random
import secrets
import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from core.config.credentials import PortCredentials
from core.config.settings import InstallSettings, SettingsBuilder
from core.sandbox.counters import CounterSnapshot
from core.sandbox.events import PlannedEvent
from core.sandbox.process_env import ProcessEnvironment

if TYPE_CHECKING:
    from core.sandbox.flow import EntityRow, SandboxFlow

# Install settings the sandbox starts from (an answers file or flags may change them):
# - a short batching window, so a demo does not idle 5 s per batch;
# - no enrichment: the sample events name resources (orders-db, web-cluster...) that do not
#   exist in the sandbox's moto account, so the forwarder would describe them, find them
#   gone and (rightly, as in AWS) forward deletes. Seeding moto with the sample resources
#   would let the sandbox show enrichment too; until then it shows the event mappings.
SANDBOX_DEFAULTS: dict[str, Any] = {"batching_window_seconds": 1, "enrich_events": False}

# Cleared while the sandbox runs, so nothing of the user's AWS setup leaks in.
_CLEARED_AWS_VARIABLES = ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_SQS",
                          "AWS_ENDPOINT_URL_CLOUDFORMATION", "AWS_ENDPOINT_URL_LAMBDA",
                          "AWS_ENDPOINT_URL_EVENTS", "AWS_ENDPOINT_URL_STS", "AWS_ROLE_ARN",
                          "AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_CONTAINER_CREDENTIALS_FULL_URI",
                          "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI")


@dataclass(frozen=True)
class SandboxOptions:
    """How the sandbox paces and compresses things (tests use zeros and short timeouts)."""

    resource_delay: float = 0.3  # seconds each stack resource takes to "create"
    stack_poll_seconds: float = 0.5  # how often the installer polls the stack's events
    visibility_timeout: int = 5  # seconds a received record stays hidden (AWS: the queue's 240)
    function_timeout: float = 4.0  # the forwarder's time budget (AWS: the function's 30 s)
    pollers: int = 1
    batching_window: int | None = None  # None: the deployed mapping's window
    ship_logs: bool = True  # the forwarder's log lines go to CloudWatch Logs (moto)
    quiet: bool = True  # silence moto's request log and warnings
    seed: bool = True  # create a few resources before the install (core/sandbox/seed.py)


def _free_account() -> str:
    return str(random.SystemRandom().randrange(100_000_000_000, 999_999_999_999))


class SandboxEnvironment:
    """moto + the Port emulator in this process, with settings and credentials for an install."""

    def __init__(self, options: SandboxOptions | None = None, *, answers: str | None = None,
                 flags: Mapping[str, Any] | None = None, account: str | None = None) -> None:
        self.options = options or SandboxOptions()
        self.account = account or _free_account()
        self._answers = answers
        self._flags = dict(flags or {})
        self._process_env = ProcessEnvironment()
        self._moto: Any = None
        self.emulator: Any = None
        self.aws_endpoint = ""
        self.port_base_url = ""
        self.credentials = PortCredentials(f"sandbox-{secrets.token_hex(6)}", secrets.token_urlsafe(24))
        self.settings: InstallSettings | None = None
        self.environ: dict[str, str] = {}
        self.flow: SandboxFlow | None = None
        self.seeded: list[str] = []  # what was in AWS before the install

    # ---- lifecycle ----------------------------------------------------------------------
    def start(self) -> SandboxEnvironment:
        from moto.server import ThreadedMotoServer

        from core.emulator import PortEmulator
        from core.sandbox import moto_fidelity

        if self.options.quiet:
            _quiet_moto()
        moto_fidelity.apply(self.options.resource_delay)
        try:
            self._moto = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
            self._moto.start()
            host, port = self._moto.get_host_and_port()
            self.aws_endpoint = f"http://{host}:{port}"
            self.emulator = PortEmulator(self.credentials.client_id, self.credentials.client_secret)
            self.port_base_url = self.emulator.start()
            self.settings = self._build_settings()
            self._set_environment()
            if self.options.seed:
                from core.sandbox.seed import seed_resources

                self.seeded = seed_resources(self.aws_client, self.account)
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        from core.sandbox import moto_fidelity

        if self.flow is not None:
            self.flow.stop()
            self.flow = None
        if self.emulator is not None:
            self.emulator.stop()
            self.emulator = None
        if self._moto is not None:
            self._moto.stop()
            self._moto = None
            moto_fidelity.restore()
        elif moto_fidelity.is_applied():
            moto_fidelity.restore()
        self._process_env.restore()

    def __enter__(self) -> SandboxEnvironment:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    # ---- AWS ----------------------------------------------------------------------------
    def aws_client(self, service: str) -> Any:
        """A boto3 client on the sandbox's moto, with the sandbox's credentials."""
        import boto3

        assert self.settings is not None, "start() the sandbox first"
        return boto3.client(service, region_name=self.settings.aws_region, endpoint_url=self.aws_endpoint,
                            aws_access_key_id=self.environ["AWS_ACCESS_KEY_ID"],
                            aws_secret_access_key=self.environ["AWS_SECRET_ACCESS_KEY"])

    # ---- the event flow (after the install) ------------------------------------------------
    def start_flow(self) -> SandboxFlow:
        """Start the queue runner for the installed stack; returns the ``SandboxFlow``."""
        from core.sandbox.flow import SandboxFlow

        if self.flow is None:
            assert self.settings is not None, "start() the sandbox first"
            self.flow = SandboxFlow(self, self.settings, self.options)
            self.flow.start()
        return self.flow

    def send_events(self, count: int) -> list[PlannedEvent]:
        return self._require_flow().send_events(count)

    def counters(self) -> CounterSnapshot:
        return self._require_flow().counters()

    def entities(self) -> list[EntityRow]:
        return self._require_flow().entities()

    def fail_ingest_for(self, seconds: float, ratio: float = 1.0, status: int = 503) -> None:
        self._require_flow().fail_ingest_for(seconds, ratio, status)

    def resync_now(self) -> None:
        """Start a resync, as the schedule (and the install) does: a request on the queue."""
        self._require_flow().resync_now()

    def _require_flow(self) -> SandboxFlow:
        if self.flow is None:
            raise RuntimeError("the sandbox's event flow is not running: install, then call start_flow()")
        return self.flow

    # ---- helpers ------------------------------------------------------------------------
    def _build_settings(self) -> InstallSettings:
        from core.config.answers import load_answers

        builder = SettingsBuilder().apply(SANDBOX_DEFAULTS, "sandbox defaults")
        if self._answers:
            values, _secrets = load_answers(Path(self._answers), os.environ)
            builder.apply(values, f"answers file {self._answers}")
        builder.apply(self._flags, "command line")
        # The sandbox follows one stack in its own account: no dry run, Port-only or StackSet.
        builder.apply({"port_base_url": self.port_base_url, "aws_endpoint_url": self.aws_endpoint,
                       "dry_run": False, "port_only": False, "stackset": False}, "sandbox")
        return dataclasses.replace(builder.build(), aws_profile=None)

    def _set_environment(self) -> None:
        assert self.settings is not None
        self.environ = {
            "AWS_ACCESS_KEY_ID": "AKIASANDBOX" + secrets.token_hex(4).upper(),
            "AWS_SECRET_ACCESS_KEY": secrets.token_urlsafe(30),
            "AWS_SESSION_TOKEN": "sandbox",
            "AWS_DEFAULT_REGION": self.settings.aws_region,
            "AWS_REGION": self.settings.aws_region,
            "AWS_CONFIG_FILE": os.devnull,
            "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
            # Any SDK call made in this process (the forwarder's enrichment, for one) goes to moto.
            "AWS_ENDPOINT_URL": self.aws_endpoint,
            "MOTO_ACCOUNT_ID": self.account,  # this sandbox's own account in moto
            "PORT_CLIENT_ID": self.credentials.client_id,
            "PORT_CLIENT_SECRET": self.credentials.client_secret,
            "PORT_BASE_URL": self.port_base_url,
        }
        self._process_env.unset(_CLEARED_AWS_VARIABLES)
        self._process_env.set(self.environ)


def _quiet_moto() -> None:
    """moto logs every request and warns about unmodelled types; the sandbox prints its own."""
    for name in ("werkzeug", "moto", "moto.cloudformation.parsing"):
        logging.getLogger(name).setLevel(logging.ERROR)
    warnings.filterwarnings("ignore", module=r"moto\..*")
    warnings.filterwarnings("ignore", message=r".*not supported by moto.*")
