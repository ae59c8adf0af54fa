"""The wizard's answers in one place, and where they are kept between runs.

`WizardState` survives Back (screens read it when built and write it on Next) and a
failed deploy: the non-secret answers are saved to a state file after every step, in
the `--answers` format, and pre-filled on the next run. Credentials are never saved.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from core.config.answers import dump_answers, load_answers
from core.config.port_regions import region_of
from core.config.settings import InstallSettings, SettingsBuilder, validate
from core.errors import InputError

_DEFAULTS = InstallSettings()  # the wizard's defaults are the settings model's
STEPS: tuple[str, ...] = ("welcome", "port", "aws", "sources", "webhook", "names", "stackset", "review",
                          "deploy", "done")
STEP_TITLES: dict[str, str] = {
    "welcome": "Welcome",
    "port": "Port",
    "aws": "AWS",
    "sources": "Event sources",
    "webhook": "Webhook",
    "names": "Names and advanced",
    "stackset": "Stack or StackSet",
    "review": "Review",
    "deploy": "Deploy",
    "done": "Done",
}
WEBHOOK_MODES = ("create", "reuse", "url")
STACKSET_FIELDS = ("stackset", "accounts", "organizational_units", "regions", "permission_model",
                   "failure_tolerance", "max_concurrency", "administration_role_arn", "execution_role_name")
URL_PLACEHOLDER = "${PORT_WEBHOOK_URL}"


@dataclass
class WizardState:
    """Everything the user answered so far. Secrets live here only for the session."""

    port_base_url: str = _DEFAULTS.port_base_url
    client_id: str = field(default="", repr=False)
    client_secret: str = field(default="", repr=False)
    organization: str = ""  # who answered the last successful Port check
    checked_port: tuple[str, str, str] | None = field(default=None, repr=False)
    aws_profile: str | None = None
    aws_region: str = _DEFAULTS.aws_region
    aws_account: str = ""
    aws_arn: str = ""
    checked_aws: tuple[str | None, str] | None = None
    event_sources: tuple[str, ...] = _DEFAULTS.event_sources
    webhook_mode: str = "create"
    webhook_identifier: str = _DEFAULTS.webhook
    webhook_url: str = field(default="", repr=False)  # holds the webhook key: a secret
    integration_id: str = _DEFAULTS.integration_id
    stack_name: str = _DEFAULTS.stack_name
    queue_name: str = _DEFAULTS.queue_name
    lambda_function_name: str = _DEFAULTS.lambda_function_name
    batch_size: int = _DEFAULTS.batch_size
    batching_window_seconds: int = _DEFAULTS.batching_window_seconds
    log_retention_days: int = _DEFAULTS.log_retention_days
    sign_requests: bool = _DEFAULTS.sign_requests
    enrich_events: bool = _DEFAULTS.enrich_events
    lambda_max_concurrency: int = _DEFAULTS.lambda_max_concurrency
    alarm_email: str = _DEFAULTS.alarm_email
    resync_schedule: str = _DEFAULTS.resync_schedule
    # One stack (stackset False) or a StackSet; the StackSet answers are kept while it is off.
    stackset: bool = False
    accounts: tuple[str, ...] = ()
    organizational_units: tuple[str, ...] = ()
    regions: tuple[str, ...] = ()
    permission_model: str = ""
    failure_tolerance: str = ""
    max_concurrency: str = ""
    administration_role_arn: str = ""
    execution_role_name: str = ""
    step: str = "welcome"  # the furthest step the user reached
    review: Any = field(default=None, repr=False)  # backend.InstallPlan, once reviewed

    # -- settings <-> answers ------------------------------------------------------------
    @property
    def webhook(self) -> str:
        return self.webhook_url.strip() if self.webhook_mode == "url" else self.webhook_identifier.strip()

    @property
    def port_region(self) -> str:
        return region_of(self.port_base_url) or "custom"

    def settings(self, aws_endpoint_url: str | None = None) -> InstallSettings:
        stackset: dict[str, Any] = {}
        if self.stackset:
            stackset = {name: getattr(self, name) for name in STACKSET_FIELDS}
        return InstallSettings(
            port_base_url=self.port_base_url.strip(),
            aws_region=self.aws_region.strip(),
            aws_profile=self.aws_profile or None,
            aws_endpoint_url=aws_endpoint_url,
            integration_id=self.integration_id.strip(),
            stack_name=self.stack_name.strip(),
            queue_name=self.queue_name.strip(),
            lambda_function_name=self.lambda_function_name.strip(),
            webhook=self.webhook,
            event_sources=tuple(self.event_sources),
            batch_size=self.batch_size,
            batching_window_seconds=self.batching_window_seconds,
            log_retention_days=self.log_retention_days,
            sign_requests=self.sign_requests,
            enrich_events=self.enrich_events,
            lambda_max_concurrency=self.lambda_max_concurrency,
            alarm_email=self.alarm_email.strip(),
            resync_schedule=self.resync_schedule.strip(),
            **stackset,
        )

    def problems(self) -> list[str]:
        return validate(self.settings())

    def apply_settings(self, settings: InstallSettings) -> None:
        """Pre-fill from settings (a saved state file or an answers file)."""
        self.port_base_url = settings.port_base_url
        self.aws_region = settings.aws_region
        self.aws_profile = settings.aws_profile
        self.integration_id = settings.integration_id
        self.stack_name = settings.stack_name
        self.queue_name = settings.queue_name
        self.lambda_function_name = settings.lambda_function_name
        self.event_sources = tuple(settings.event_sources)
        self.batch_size = settings.batch_size
        self.batching_window_seconds = settings.batching_window_seconds
        self.log_retention_days = settings.log_retention_days
        self.sign_requests = settings.sign_requests
        self.enrich_events = settings.enrich_events
        self.lambda_max_concurrency = settings.lambda_max_concurrency
        self.alarm_email = settings.alarm_email
        self.resync_schedule = settings.resync_schedule
        for name in STACKSET_FIELDS:
            setattr(self, name, getattr(settings, name))
        try:
            ref = settings.webhook_ref
        except InputError:
            return
        if ref.managed:
            self.webhook_identifier = ref.identifier or ""
        else:
            self.webhook_mode = "url"
            self.webhook_url = ref.ingest_url or ""

    def shareable_answers(self) -> str:
        """YAML for `--answers`: no credentials, and a pasted ingest URL (it holds the key) as ${VAR}."""
        settings = self.settings()
        if self.webhook_mode == "url":
            settings = dataclasses.replace(settings, webhook=URL_PLACEHOLDER)
        text = dump_answers(settings)
        if self.webhook_mode == "url":
            text = text.replace(
                "# Port credentials are not saved",
                "# The ingest URL holds the webhook key: export PORT_WEBHOOK_URL before using this file.\n"
                "# Port credentials are not saved",
            )
        return text


def default_state_dir(environ: Mapping[str, str] | None = None) -> Path:
    environ = os.environ if environ is None else environ
    base = environ.get("XDG_STATE_HOME") or str(Path(environ.get("HOME") or Path.home()) / ".local" / "state")
    return Path(base) / "port-aws-wizard"


class StateStore:
    """Saves the answers (answers.yml, the `--answers` format) and the step reached (session.json)."""

    def __init__(self, directory: Path | None = None) -> None:
        self.directory = directory or default_state_dir()

    @property
    def answers_path(self) -> Path:
        return self.directory / "answers.yml"

    @property
    def session_path(self) -> Path:
        return self.directory / "session.json"

    def save(self, state: WizardState) -> None:
        """Best effort: a state file that cannot be written must not stop an install."""
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            saved = dataclasses.replace(state)
            if state.webhook_mode == "url":  # never write the webhook key to disk
                saved.webhook_mode = "create"
            self.answers_path.write_text(saved.shareable_answers(), encoding="utf-8")
            session = {"step": state.step, "webhook_mode": state.webhook_mode}
            self.session_path.write_text(json.dumps(session), encoding="utf-8")
        except (OSError, InputError):
            pass

    def load(self, state: WizardState) -> bool:
        """Fill `state` from the last run; False when there is nothing (usable) saved."""
        if not self.answers_path.exists():
            return False
        try:
            values, _secrets = load_answers(self.answers_path, {})
            settings = InstallSettings(**SettingsBuilder().apply(values, "saved answers").values)
        except (InputError, TypeError):
            return False
        state.apply_settings(settings)
        try:
            session = json.loads(self.session_path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            session = {}
        step = session.get("step")
        if step in STEPS:
            state.step = step
        if session.get("webhook_mode") in WEBHOOK_MODES:
            state.webhook_mode = session["webhook_mode"]
        return True

    def clear(self) -> None:
        for path in (self.answers_path, self.session_path):
            with contextlib.suppress(OSError):
                path.unlink()
