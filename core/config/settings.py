"""One settings model for an install, filled from defaults < answers file < environment < flags.

Secrets are not settings: Port credentials live in `core.config.credentials` and come from the
environment or a prompt only.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from core.config.event_sources import DEFAULT_EVENT_SOURCES, EVENT_SOURCES
from core.config.port_regions import DEFAULT_PORT_BASE_URL
from core.config.resync_schedule import DEFAULT_RESYNC_SCHEDULE, RESYNC_OFF, schedule_problem
from core.config.url_checks import url_problem
from core.config.webhook_ref import WebhookRef, parse_webhook
from core.errors import InputError

LOG_RETENTION_DAYS = (1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096,
                      1827, 2192, 2557, 2922, 3288, 3653)

_REGION = re.compile(r"^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d{1,2}$")
_STACK_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9-]{0,127}$")
# The template's own limits (its AllowedPattern / MinValue / MaxValue; tests/test_template.py
# ties them together): the queue name leaves room for the dead-letter queue's "-dlq".
QUEUE_NAME_PATTERN = "^[A-Za-z0-9_-]{1,76}$"
FUNCTION_NAME_PATTERN = "^[A-Za-z0-9_-]{1,64}$"
BATCH_SIZE_MAX = 100
BATCHING_WINDOW_MAX = 60
_QUEUE_NAME = re.compile(QUEUE_NAME_PATTERN)
_FUNCTION_NAME = re.compile(FUNCTION_NAME_PATTERN)
_PORT_IDENTIFIER = re.compile(r"^[A-Za-z0-9@_.+:=-]{1,100}$")
_ACCOUNT_ID = re.compile(r"^\d{12}$")
_OU_ID = re.compile(r"^(ou-[a-z0-9]{4,32}-[a-z0-9]{8,32}|r-[a-z0-9]{4,32})$")
_ROLE_ARN = re.compile(r"^arn:aws[a-z-]*:iam::\d{12}:role/[\w+=,.@/-]{1,512}$")
_ROLE_NAME = re.compile(r"^[\w+=,.@-]{1,64}$")
_COUNT_OR_PERCENT = re.compile(r"^(\d{1,9})(%?)$")
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")  # as the template's AlarmEmail pattern
LAMBDA_MAX_CONCURRENCY = (2, 1000)  # what AWS allows for an SQS event source mapping
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
    lambda_max_concurrency: int = 5  # the event source mapping's MaximumConcurrency
    alarm_email: str = ""  # told when an alarm fires ("" = no SNS topic)
    rotate_webhook_secret: bool = False  # a new signing secret in Port and the stack together
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
        """The settings, or InputError with every problem, each naming the variable or answers
        file its value came from; the AWS region and profile are checked to exist (offline)."""
        settings = InstallSettings(**self.values)
        problems = _all_problems(settings)
        if problems:
            raise InputError([self._with_origin(problem) for problem in problems])
        return settings

    def _with_origin(self, problem: str) -> str:
        for name, origin in self.origins.items():
            if origin != "command line" and problem in _all_problems(InstallSettings(**{
                    name: self.values[name]})):
                return f"{origin}: {problem}"
        return problem


def _all_problems(settings: InstallSettings) -> list[str]:
    from core.config.aws_checks import offline_aws_problems

    return validate(settings) or offline_aws_problems(settings)


def validate(settings: InstallSettings) -> list[str]:
    """Every problem with the settings, each saying what is wrong and how to fix it."""
    problems: list[str] = []
    problems += _url_problems(settings.port_base_url)
    problems += _endpoint_problems(settings.aws_endpoint_url)
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
            f"queue name {settings.queue_name!r} is invalid: use 1-76 letters, digits, hyphens and "
            "underscores (the dead-letter queue adds -dlq; FIFO queues are not supported) (--queue-name)"
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
    max_batch = 10 if settings.batching_window_seconds == 0 else BATCH_SIZE_MAX
    if not 1 <= settings.batch_size <= max_batch:
        problems.append(
            f"batch size {settings.batch_size} is out of range: 1-{max_batch} "
            "(above 10 needs a batching window of at least 1 second)"
        )
    if not 0 <= settings.batching_window_seconds <= BATCHING_WINDOW_MAX:
        problems.append(f"batching window {settings.batching_window_seconds}s must be "
                        f"0-{BATCHING_WINDOW_MAX} seconds")
    if settings.log_retention_days not in LOG_RETENTION_DAYS:
        problems.append(
            f"log retention {settings.log_retention_days} days is not one CloudWatch allows: "
            + ", ".join(map(str, LOG_RETENTION_DAYS))
        )
    problems += _alarm_and_secret_problems(settings)
    schedule = schedule_problem(settings.resync_schedule)
    if schedule:
        problems.append(schedule)
    problems += stackset_problems(settings)
    return problems


def _alarm_and_secret_problems(settings: InstallSettings) -> list[str]:
    problems = []
    low, high = LAMBDA_MAX_CONCURRENCY
    if not low <= settings.lambda_max_concurrency <= high:
        problems.append(f"Lambda maximum concurrency {settings.lambda_max_concurrency} is out of "
                        f"range: AWS allows {low}-{high} (--lambda-max-concurrency)")
    if settings.alarm_email and not EMAIL.match(settings.alarm_email):
        problems.append(f"alarm e-mail {settings.alarm_email!r} is not an e-mail address; give one "
                        "such as ops@example.com, or leave it empty for no e-mail (--alarm-email)")
    if settings.rotate_webhook_secret and not settings.sign_requests:
        problems.append("--rotate-webhook-secret with request signing off: there is no secret to "
                        "rotate; drop one of them")
    elif settings.rotate_webhook_secret and not _managed_webhook(settings):
        problems.append("--rotate-webhook-secret rotates the secret of a webhook the installer "
                        "manages (--webhook <identifier>); for an ingest URL, set the new secret in "
                        "Port and pass it as PORT_WEBHOOK_SECRET")
    return problems


def _managed_webhook(settings: InstallSettings) -> bool:
    try:
        return settings.webhook_ref.managed
    except InputError:  # reported on its own
        return True


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
    problem = url_problem(url, "Port base URL", example="https://api.getport.io (EU), "
                          "https://api.us.getport.io (US) or http://127.0.0.1:PORT for a local Port")
    return [f"{problem} (--port-base-url)"] if problem else []


def _endpoint_problems(url: str | None) -> list[str]:
    if url is None:
        return []
    problem = url_problem(url, "AWS endpoint URL", example="http://127.0.0.1:4566 for a local AWS",
                          remote_http=True)
    return [f"{problem} (AWS_ENDPOINT_URL)"] if problem else []
