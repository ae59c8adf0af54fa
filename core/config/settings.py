"""One settings model for an install, filled from defaults < answers file < environment < flags.

Secrets are not settings: Port credentials live in `core.config.credentials` and come from the
environment or a prompt only.
"""

from __future__ import annotations

import dataclasses
import ipaddress
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from core.config.event_sources import DEFAULT_EVENT_SOURCES, EVENT_SOURCES
from core.config.resync_schedule import DEFAULT_RESYNC_SCHEDULE, RESYNC_OFF, schedule_problem
from core.config.webhook_ref import WebhookRef, parse_webhook
from core.errors import InputError

DEFAULT_PORT_BASE_URL = "https://api.getport.io"
LOG_RETENTION_DAYS = (1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096,
                      1827, 2192, 2557, 2922, 3288, 3653)

_REGION = re.compile(r"^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d{1,2}$")
_STACK_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9-]{0,127}$")
_QUEUE_NAME = re.compile(r"^[A-Za-z0-9_-]{1,80}$")
_FUNCTION_NAME = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
_PORT_IDENTIFIER = re.compile(r"^[A-Za-z0-9@_.+:=-]{1,100}$")
_ACCOUNT_ID = re.compile(r"^\d{12}$")
_OU_ID = re.compile(r"^(ou-[a-z0-9]{4,32}-[a-z0-9]{8,32}|r-[a-z0-9]{4,32})$")
_ROLE_ARN = re.compile(r"^arn:aws[a-z-]*:iam::\d{12}:role/[\w+=,.@/-]{1,512}$")
_ROLE_NAME = re.compile(r"^[\w+=,.@-]{1,64}$")
_COUNT_OR_PERCENT = re.compile(r"^(\d{1,9})(%?)$")
PERMISSION_MODELS = ("SELF_MANAGED", "SERVICE_MANAGED")


@dataclass(frozen=True)
class InstallSettings:
    """Everything an install needs except secrets. Field names are the answers-file keys."""

    port_base_url: str = DEFAULT_PORT_BASE_URL
    aws_region: str = "us-east-1"
    aws_profile: str | None = None
    aws_endpoint_url: str | None = None
    integration_id: str = "aws-serverless"
    stack_name: str = "port-aws-serverless"
    queue_name: str = "port-aws-events-queue"
    lambda_function_name: str = "port-aws-event-processor"
    webhook: str = "aws_ingest"
    event_sources: tuple[str, ...] = DEFAULT_EVENT_SOURCES
    port_only: bool = False
    dry_run: bool = False
    batch_size: int = 10
    batching_window_seconds: int = 5
    log_retention_days: int = 14
    sign_requests: bool = True
    enrich_events: bool = True  # the Lambda describes each event's resource
    resync_schedule: str = DEFAULT_RESYNC_SCHEDULE  # EventBridge rate/cron expression, or "off"
    # StackSet install (--stackset): one stack per account x region, Port set up once.
    stackset: bool = False
    accounts: tuple[str, ...] = ()
    organizational_units: tuple[str, ...] = ()
    regions: tuple[str, ...] = ()
    permission_model: str = ""  # "" = SERVICE_MANAGED with OUs, SELF_MANAGED with accounts
    failure_tolerance: str = ""  # "N" or "N%"; "" = AWS's default (0)
    max_concurrency: str = ""  # "N" or "N%"; "" = AWS's default (1)
    administration_role_arn: str = ""  # "" = AWSCloudFormationStackSetAdministrationRole here
    execution_role_name: str = ""  # "" = AWSCloudFormationStackSetExecutionRole

    @property
    def webhook_ref(self) -> WebhookRef:
        return parse_webhook(self.webhook)

    @property
    def port_api_url(self) -> str:
        return self.port_base_url.rstrip("/")

    @property
    def stackset_permission_model(self) -> str:
        """The StackSet permission model: as set, else chosen from the kind of targets."""
        if self.permission_model:
            return self.permission_model
        return "SERVICE_MANAGED" if self.organizational_units else "SELF_MANAGED"


SETTING_NAMES: tuple[str, ...] = tuple(f.name for f in dataclasses.fields(InstallSettings))
_BOOL_FIELDS = {f.name for f in dataclasses.fields(InstallSettings) if f.type == "bool"}
_INT_FIELDS = {f.name for f in dataclasses.fields(InstallSettings) if f.type == "int"}
_LIST_FIELDS = {f.name for f in dataclasses.fields(InstallSettings) if f.type == "tuple[str, ...]"}

# Environment variables that fill settings (the AWS ones as boto3 reads them).
ENVIRONMENT_SETTINGS: dict[str, str] = {
    "PORT_BASE_URL": "port_base_url",
    "AWS_PROFILE": "aws_profile",
    "AWS_DEFAULT_REGION": "aws_region",
    "AWS_REGION": "aws_region",  # after AWS_DEFAULT_REGION: boto3 prefers AWS_REGION too
    "AWS_ENDPOINT_URL": "aws_endpoint_url",
}


def coerce(name: str, value: Any, origin: str) -> Any:
    """Turn a raw value (YAML, env text or flag text) into the field's type, or raise InputError."""
    if name in _LIST_FIELDS:
        if isinstance(value, str):
            items = [part.strip() for part in value.split(",")]
        elif isinstance(value, list | tuple):
            items = [str(part).strip() for part in value]
        else:
            raise InputError(f"{origin}: {name} must be a list or a comma-separated string")
        return tuple(dict.fromkeys(item for item in items if item))  # drop blanks and repeats
    if name == "resync_schedule" and value is False:  # YAML 1.1 reads a bare `off` as false
        return RESYNC_OFF
    if name == "permission_model" and isinstance(value, str):
        return value.strip().upper().replace("-", "_")
    if name in _BOOL_FIELDS:
        if isinstance(value, bool):
            return value
        text = str(value).strip().lower()
        if text in ("1", "true", "yes", "on"):
            return True
        if text in ("0", "false", "no", "off"):
            return False
        raise InputError(f"{origin}: {name} must be true or false, not {value!r}")
    if name in _INT_FIELDS:
        try:
            if isinstance(value, bool):
                raise ValueError
            return int(str(value).strip())
        except ValueError:
            raise InputError(f"{origin}: {name} must be a whole number, not {value!r}") from None
    if value is None:
        return None
    if not isinstance(value, str | int | float):
        raise InputError(f"{origin}: {name} must be a single value, not {type(value).__name__}")
    return str(value).strip()


@dataclass
class SettingsBuilder:
    """Collects layers in order; later layers win. Remembers where each value came from."""

    values: dict[str, Any] = field(default_factory=dict)
    origins: dict[str, str] = field(default_factory=dict)

    def apply(self, layer: Mapping[str, Any], origin: str) -> SettingsBuilder:
        for name, value in layer.items():
            if value is None:
                continue
            self.values[name] = coerce(name, value, f"{origin} ({name})")
            self.origins[name] = origin
        return self

    def apply_environment(self, environ: Mapping[str, str]) -> SettingsBuilder:
        for variable, name in ENVIRONMENT_SETTINGS.items():
            if environ.get(variable):
                self.apply({name: environ[variable]}, f"environment variable {variable}")
        return self

    def build(self) -> InstallSettings:
        settings = InstallSettings(**self.values)
        problems = validate(settings)
        if problems:
            raise InputError(problems)
        return settings


def validate(settings: InstallSettings) -> list[str]:
    """Every problem with the settings, each saying what is wrong and how to fix it."""
    problems: list[str] = []
    problems += _url_problems(settings.port_base_url)
    if not _REGION.match(settings.aws_region):
        problems.append(
            f"AWS region {settings.aws_region!r} is malformed; use a region code such as "
            "us-east-1 or eu-west-1 (--aws-region)"
        )
    unknown = [s for s in settings.event_sources if s not in EVENT_SOURCES]
    if unknown:
        problems.append(
            f"unknown event source(s): {', '.join(unknown)}; valid sources are "
            f"{', '.join(EVENT_SOURCES)} (--event-sources)"
        )
    elif not settings.event_sources:
        problems.append(f"no event sources selected; choose from {', '.join(EVENT_SOURCES)}")
    if not _STACK_NAME.match(settings.stack_name):
        problems.append(
            f"stack name {settings.stack_name!r} is invalid: CloudFormation needs a letter first, "
            "then letters, digits or hyphens, at most 128 characters (--stack-name)"
        )
    if not _QUEUE_NAME.match(settings.queue_name):
        problems.append(
            f"queue name {settings.queue_name!r} is invalid: SQS allows 1-80 letters, digits, "
            "hyphens and underscores (FIFO queues are not supported) (--queue-name)"
        )
    if not _FUNCTION_NAME.match(settings.lambda_function_name):
        problems.append(
            f"Lambda function name {settings.lambda_function_name!r} is invalid: use 1-64 letters, "
            "digits, hyphens or underscores (--lambda-function-name)"
        )
    if not _PORT_IDENTIFIER.match(settings.integration_id):
        problems.append(
            f"integration id {settings.integration_id!r} is invalid: use 1-100 letters, digits "
            "and _ - . : @ + = (--integration-id)"
        )
    try:
        settings.webhook_ref  # noqa: B018 - parsing is the validation
    except InputError as error:
        problems += error.problems
    max_batch = 10 if settings.batching_window_seconds == 0 else 10000
    if not 1 <= settings.batch_size <= max_batch:
        problems.append(
            f"batch size {settings.batch_size} is out of range: 1-{max_batch} "
            "(above 10 needs a batching window of at least 1 second)"
        )
    if not 0 <= settings.batching_window_seconds <= 300:
        problems.append(f"batching window {settings.batching_window_seconds}s must be 0-300 seconds")
    if settings.log_retention_days not in LOG_RETENTION_DAYS:
        problems.append(
            f"log retention {settings.log_retention_days} days is not one CloudWatch allows: "
            + ", ".join(map(str, LOG_RETENTION_DAYS))
        )
    schedule = schedule_problem(settings.resync_schedule)
    if schedule:
        problems.append(schedule)
    problems += stackset_problems(settings)
    return problems


def count_or_percentage(text: str) -> tuple[int, bool] | None:
    """"3" -> (3, False), "25%" -> (25, True); None when malformed."""
    match = _COUNT_OR_PERCENT.match(text.strip())
    return (int(match.group(1)), bool(match.group(2))) if match else None


def stackset_problems(settings: InstallSettings) -> list[str]:
    """Problems with the StackSet settings (--stackset and the options that go with it)."""
    given = [flag for flag, value in (
        ("--accounts", settings.accounts), ("--organizational-units", settings.organizational_units),
        ("--regions", settings.regions), ("--permission-model", settings.permission_model),
        ("--failure-tolerance", settings.failure_tolerance),
        ("--max-concurrency", settings.max_concurrency),
        ("--administration-role-arn", settings.administration_role_arn),
        ("--execution-role-name", settings.execution_role_name)) if value]
    if not settings.stackset:
        if given:
            return [f"StackSet options given without --stackset ({', '.join(given)}): add "
                    "--stackset (answers file: stackset: true), or remove them to deploy one stack"]
        return []
    problems: list[str] = []
    if settings.port_only:
        problems.append("--port-only and --stackset do not go together: --port-only prints the "
                        "single-stack deploy command; drop one of them")
    if not settings.regions:
        problems.append("--stackset needs the regions to deploy to: --regions us-east-1,eu-west-1")
    bad_regions = [region for region in settings.regions if not _REGION.match(region)]
    if bad_regions:
        problems.append(f"region(s) {', '.join(map(repr, bad_regions))} are malformed; use region "
                        "codes such as us-east-1 or eu-west-1 (--regions)")
    if not settings.accounts and not settings.organizational_units:
        problems.append("--stackset needs targets: --accounts 111111111111,222222222222 "
                        "(self-managed) or --organizational-units ou-abcd-12345678 (service-managed)")
    elif settings.accounts and settings.organizational_units:
        problems.append("give either --accounts or --organizational-units, not both: accounts go "
                        "with SELF_MANAGED permissions, organizational units with SERVICE_MANAGED")
    bad_accounts = [account for account in settings.accounts if not _ACCOUNT_ID.match(account)]
    if bad_accounts:
        problems.append(f"account id(s) {', '.join(map(repr, bad_accounts))} are not 12 digits "
                        "(--accounts; in an answers file quote them so leading zeros survive)")
    bad_units = [unit for unit in settings.organizational_units if not _OU_ID.match(unit)]
    if bad_units:
        problems.append(f"organizational unit id(s) {', '.join(map(repr, bad_units))} are malformed: "
                        "use ids such as ou-abcd-12345678 (or a root, r-abcd) (--organizational-units)")
    problems += _permission_problems(settings)
    for flag, value, low in (("--failure-tolerance", settings.failure_tolerance, 0),
                             ("--max-concurrency", settings.max_concurrency, 1)):
        parsed = count_or_percentage(value) if value else (low, False)
        if parsed is None or parsed[0] < low or (parsed[1] and parsed[0] > 100):
            example = "0, 2 or 10%" if low == 0 else "1, 5 or 25%"
            problems.append(f"{flag} {value!r} must be a count or a percentage "
                            f"({low}-100%), e.g. {example}")
    return problems


def _permission_problems(settings: InstallSettings) -> list[str]:
    model = settings.permission_model
    if model and model not in PERMISSION_MODELS:
        return [f"permission model {model!r} is unknown: use SELF_MANAGED (--accounts, with the "
                "StackSet administration and execution roles) or SERVICE_MANAGED "
                "(--organizational-units, with AWS Organizations) (--permission-model)"]
    problems = []
    if model == "SERVICE_MANAGED" and settings.accounts:
        problems.append("--permission-model SERVICE_MANAGED deploys to organizational units, not to "
                        "a list of accounts: use --organizational-units ou-..., or "
                        "--permission-model SELF_MANAGED to keep --accounts")
    if model == "SELF_MANAGED" and settings.organizational_units:
        problems.append("--permission-model SELF_MANAGED deploys to a list of accounts, not to "
                        "organizational units: use --accounts 111111111111,..., or "
                        "--permission-model SERVICE_MANAGED to keep --organizational-units")
    if settings.stackset_permission_model == "SERVICE_MANAGED" and (
            settings.administration_role_arn or settings.execution_role_name):
        problems.append("--administration-role-arn and --execution-role-name are for SELF_MANAGED "
                        "StackSets; SERVICE_MANAGED ones use roles AWS Organizations creates: "
                        "remove them")
    if settings.administration_role_arn and not _ROLE_ARN.match(settings.administration_role_arn):
        problems.append(f"administration role ARN {settings.administration_role_arn!r} is malformed: "
                        "use arn:aws:iam::111111111111:role/AWSCloudFormationStackSetAdministrationRole")
    if settings.execution_role_name and not _ROLE_NAME.match(settings.execution_role_name):
        problems.append(f"execution role name {settings.execution_role_name!r} is invalid: a role "
                        "name, not an ARN (e.g. AWSCloudFormationStackSetExecutionRole)")
    return problems


def _url_problems(url: str) -> list[str]:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return [
            f"Port base URL {url!r} is malformed; use https://api.getport.io (EU), "
            "https://api.us.getport.io (US) or http://127.0.0.1:PORT for a local Port"
        ]
    if parts.scheme == "http" and not _is_loopback(parts.hostname):
        return [
            f"Port base URL {url!r} uses plain http to a remote host, which would send the "
            "client secret in the clear; use https (plain http only for 127.0.0.1/localhost)"
        ]
    return []


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
