"""Is the install working? One check per hop, each with the figure it saw.

`iter_checks(...)` yields `CheckResult`s as they complete (the wizard's troubleshooting
screen shows them one by one); `run_checks(...)` returns the list (`port-aws-wizard status`).
The installed resources are found through `locate_installation`: the stack's outputs and
parameters first, the configured names when the stack is gone.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from typing import Any

import boto3
import botocore.exceptions
from botocore.config import Config

from core.aws.clients import AWS_ERRORS, CLIENT_CONFIG, explain_aws_error, make_session
from core.aws.stack_health import alarm_names, alarms_state, webhook_secret_state
from core.aws.stacks import describe_stack, parse_list_parameter
from core.config.credentials import CLIENT_ID_VARIABLE, CLIENT_SECRET_VARIABLE, PortCredentials
from core.config.event_sources import EVENT_SOURCES
from core.config.settings import InstallSettings
from core.errors import PortApiError, WizardError
from core.operations.logs import ERROR_PATTERN, LogTail, error_lines
from core.port.client import PortClient
from core.port.resources import load_blueprints

HEALTHY_STACK_STATUSES = frozenset({"CREATE_COMPLETE", "UPDATE_COMPLETE", "IMPORT_COMPLETE"})
NOT_INSTALLED = "not installed"
"""The figure of the one check `status` shows when neither the stack nor its resources exist."""
STUCK_MESSAGE_SECONDS = 1800
"""A queued message older than this is not being consumed (retries take ~20 minutes)."""


@dataclass(frozen=True)
class CheckResult:
    """One line of `status`: what was checked, whether it passed, the figure seen, the fix."""

    name: str
    ok: bool
    figure: str
    detail: str = ""
    fix: str = ""
    skipped: bool = False  # not checked (e.g. no Port credentials): neither passed nor failed
    data: dict[str, Any] = field(default_factory=dict)  # figures for --json (e.g. the last resync)

    @property
    def label(self) -> str:
        return "skip" if self.skipped else "ok" if self.ok else "FAIL"

    def to_dict(self) -> dict[str, Any]:
        found = asdict(self)
        if not found["data"]:
            del found["data"]
        return found


def skipped(name: str, reason: str) -> CheckResult:
    return CheckResult(name, True, f"skipped: {reason}", skipped=True)


# -- AWS clients and the installed resources ----------------------------------------------

class AwsClients:
    """boto3 clients for one install's settings, made once per service and config."""

    def __init__(self, settings: InstallSettings, session: boto3.Session | None = None) -> None:
        self.settings = settings
        self._session = session
        self._clients: dict[tuple[str, str], Any] = {}

    @property
    def session(self) -> boto3.Session:
        if self._session is None:
            self._session = make_session(self.settings)
        return self._session

    def __call__(self, service: str, config: Config | None = None, variant: str = "") -> Any:
        """The client for `service`; a `config` needs a `variant` name to cache it under."""
        key = (service, variant)
        if key not in self._clients:
            merged = CLIENT_CONFIG.merge(config) if config is not None else CLIENT_CONFIG
            self._clients[key] = self.session.client(
                service, endpoint_url=self.settings.aws_endpoint_url or None, config=merged)
        return self._clients[key]


@dataclass
class Installation:
    """Where the installed pieces are. Empty strings: not found."""

    stack_name: str
    region: str
    stack_id: str = ""
    stack_status: str = ""
    stack_status_reason: str = ""
    queue_name: str = ""
    queue_url: str = ""
    queue_arn: str = ""
    dlq_url: str = ""
    dlq_arn: str = ""
    function_name: str = ""
    rule_arn: str = ""
    log_group: str = ""
    webhook_url: str = ""  # what the Lambda posts to (holds the webhook key: never print it)
    webhook_secret_arn: str = ""  # the stack's secret with the URL and signing secret
    webhook_secret_problem: str = ""  # why it could not be read
    alarms: dict[str, str] = field(default_factory=dict)  # label -> alarm name
    event_sources: tuple[str, ...] = ()
    sources_origin: str = "settings"  # "stack" when read from the stack's parameter
    resync_schedule: str = ""  # the stack's ResyncSchedule parameter (else the settings')
    stack_created: float | None = None  # epoch seconds of the stack's last create/update
    outputs: dict[str, str] = field(default_factory=dict)

    function_exists: bool = False

    @property
    def stack_exists(self) -> bool:
        return bool(self.stack_status)

    @property
    def nothing_installed(self) -> bool:
        """No stack, and none of its resources found by name either: never installed here."""
        return not (self.stack_exists or self.queue_url or self.dlq_url or self.function_exists)

    @property
    def rule_name(self) -> str:
        return self.rule_arn.rsplit("/", 1)[-1] if self.rule_arn else ""


def locate_installation(aws: AwsClients, settings: InstallSettings) -> Installation:
    """The installed resources: from the stack's outputs/parameters, else the configured names."""
    found = Installation(settings.stack_name, settings.aws_region, queue_name=settings.queue_name,
                         function_name=settings.lambda_function_name,
                         event_sources=tuple(settings.event_sources))
    stack = describe_stack(aws("cloudformation"), settings.stack_name)
    parameters: dict[str, str] = {}
    if stack is not None:
        found.stack_id = stack["StackId"]
        found.stack_status = stack["StackStatus"]
        found.stack_status_reason = stack.get("StackStatusReason", "")
        found.outputs = {o["OutputKey"]: o.get("OutputValue", "") for o in stack.get("Outputs", [])}
        parameters = {p["ParameterKey"]: p.get("ParameterValue", "") for p in stack.get("Parameters", [])}
        changed = stack.get("LastUpdatedTime") or stack.get("CreationTime")
        found.stack_created = changed.timestamp() if hasattr(changed, "timestamp") else None
    found.resync_schedule = parameters.get("ResyncSchedule") or settings.resync_schedule
    outputs = found.outputs
    found.queue_name = parameters.get("QueueName") or settings.queue_name
    found.function_name = (outputs.get("FunctionName") or parameters.get("LambdaFunctionName")
                           or settings.lambda_function_name)
    if parameters.get("EventSources"):
        found.event_sources = parse_list_parameter(parameters["EventSources"])
        found.sources_origin = "stack"
    sqs = aws("sqs")
    found.queue_url = outputs.get("QueueUrl") or _queue_url(sqs, found.queue_name)
    found.dlq_url = outputs.get("DeadLetterQueueUrl") or _queue_url(sqs, f"{found.queue_name}-dlq")
    found.queue_arn = outputs.get("QueueArn") or _queue_arn(sqs, found.queue_url)
    found.dlq_arn = outputs.get("DeadLetterQueueArn") or _queue_arn(sqs, found.dlq_url)
    found.rule_arn = outputs.get("EventRuleArn") or _rule_for_queue(aws("events"), found.queue_arn)
    found.log_group = outputs.get("LogGroupName") or f"/aws/lambda/{found.function_name}"
    try:
        configuration = aws("lambda").get_function_configuration(FunctionName=found.function_name)
    except botocore.exceptions.ClientError as error:
        if _code(error) != "ResourceNotFoundException":
            raise
    else:
        found.function_exists = True
        logging_config = configuration.get("LoggingConfig") or {}
        found.log_group = logging_config.get("LogGroup") or found.log_group
        variables = (configuration.get("Environment") or {}).get("Variables") or {}
        found.webhook_url = variables.get("PORT_WEBHOOK_URL", "")  # a stack from before the secret
        found.webhook_secret_arn = variables.get("PORT_WEBHOOK_SECRET_ARN", "")
    found.webhook_secret_arn = outputs.get("WebhookSecretArn") or found.webhook_secret_arn
    if found.webhook_secret_arn:
        found.webhook_url, found.webhook_secret_problem = webhook_secret_state(
            aws("secretsmanager"), found.webhook_secret_arn)
    found.alarms = alarm_names(found.stack_name, outputs)
    return found


def _code(error: botocore.exceptions.ClientError) -> str:
    return str(error.response.get("Error", {}).get("Code", ""))


def _queue_url(sqs: Any, name: str) -> str:
    try:
        return sqs.get_queue_url(QueueName=name)["QueueUrl"]
    except botocore.exceptions.ClientError as error:
        if "NonExistentQueue" in _code(error) or "QueueDoesNotExist" in _code(error):
            return ""
        raise


def _queue_arn(sqs: Any, url: str) -> str:
    if not url:
        return ""
    return sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]


def _rule_for_queue(events: Any, queue_arn: str) -> str:
    if not queue_arn:
        return ""
    names = events.list_rule_names_by_target(TargetArn=queue_arn).get("RuleNames", [])
    rules = [events.describe_rule(Name=name) for name in names]
    rules.sort(key=lambda rule: bool(rule.get("ScheduleExpression")))  # the resync schedule last
    return rules[0]["Arn"] if rules else ""


# -- the checks ----------------------------------------------------------------------------

def run_checks(settings: InstallSettings, credentials: PortCredentials | None, **kwargs: Any
               ) -> list[CheckResult]:
    """Every check, in order (see `iter_checks`)."""
    return list(iter_checks(settings, credentials, **kwargs))


def iter_checks(
    settings: InstallSettings,
    credentials: PortCredentials | None,
    *,
    aws: AwsClients | None = None,
    port_client_factory: Callable[[str, PortCredentials], PortClient] = PortClient,
    now: Callable[[], float] = time.time,
    expected_sources: tuple[str, ...] | None = None,
) -> Iterator[CheckResult]:
    """Yield one CheckResult per hop as each completes: AWS first, then Port.

    The rule is compared with `expected_sources` when given (the user chose them), else with
    the stack's EventSources parameter, else with the settings."""
    aws = aws or AwsClients(settings)
    installation: Installation | None = None
    try:
        installation = locate_installation(aws, settings)
        if expected_sources:
            installation.event_sources, installation.sources_origin = expected_sources, "settings"
    except (*AWS_ERRORS, WizardError) as error:
        message = str(explain_aws_error(error, "read the installed resources")
                      if isinstance(error, AWS_ERRORS) else error)
        yield CheckResult("AWS access", False, "error", message,
                          "fix AWS access (--aws-profile, --aws-region) and run again")
    if installation is not None and installation.nothing_installed:  # say it once, check nothing else
        yield not_installed(installation)
        return
    if installation is not None:
        checks = AwsChecks(aws, installation, settings, now)
        for name, check in checks.all():
            yield _guarded(name, check)
    yield from port_checks(settings, credentials, installation, port_client_factory)


def not_installed(found: Installation) -> CheckResult:
    return CheckResult("Stack", False, NOT_INSTALLED,
                       f"no stack {found.stack_name} in region {found.region}: install first",
                       f"install with `port-aws-wizard --stack-name {found.stack_name} --aws-region "
                       f"{found.region}`, or pass the --stack-name / --aws-region / --aws-profile "
                       "of your install")


def _guarded(name: str, check: Callable[[], CheckResult]) -> CheckResult:
    """A check that raised is a failed check saying why, not a crash."""
    try:
        return check()
    except AWS_ERRORS as error:
        return CheckResult(name, False, "error", str(explain_aws_error(error, f"check {name}")))
    except PortApiError as error:
        return CheckResult(name, False, "error", str(error))


class AwsChecks:
    """The AWS hops: stack, rule, CloudTrail, queue, DLQ, mapping, function, metrics, logs."""

    def __init__(self, aws: AwsClients, installation: Installation, settings: InstallSettings,
                 now: Callable[[], float] = time.time) -> None:
        self.aws = aws
        self.found = installation
        self.settings = settings
        self.now = now
        self._region = f"--region {installation.region}"

    def all(self) -> list[tuple[str, Callable[[], CheckResult]]]:
        return [
            ("Stack", self.stack),
            ("EventBridge rule", self.rule),
            ("Rule event sources", self.rule_sources),
            ("CloudTrail", self.cloudtrail),
            ("Queue", self.queue),
            ("Dead-letter queue", self.dead_letter_queue),
            ("Event source mapping", self.event_source_mapping),
            ("Lambda function", self.function),
            ("Lambda last hour", self.function_metrics),
            ("Lambda error lines", self.function_error_lines),
            ("Alarms", self.alarms),
            ("Webhook secret", self.webhook_secret),
            ("Last resync", self.resync),
        ]

    def alarms(self) -> CheckResult:
        ok, figure, detail, fix = alarms_state(self.aws("cloudwatch"), self.aws("sns"), self.found.alarms)
        return CheckResult("Alarms", ok, figure, detail, fix)

    def webhook_secret(self) -> CheckResult:
        found = self.found
        if not found.webhook_secret_arn:
            stale = bool(found.webhook_url)
            return CheckResult("Webhook secret", False, "in the function's environment" if stale
                               else "not found",
                               "the webhook URL and signing secret are readable by anyone who may "
                               "read the function's configuration" if stale else
                               "the stack has no webhook secret",
                               "run the install again: it moves them into Secrets Manager")
        if found.webhook_secret_problem:
            return CheckResult("Webhook secret", False, "unreadable", found.webhook_secret_problem)
        return CheckResult("Webhook secret", True, "in Secrets Manager",
                           f"{found.webhook_secret_arn.rsplit(':', 1)[-1]}; the function's "
                           "environment names it")

    def stack(self) -> CheckResult:
        found = self.found
        if not found.stack_exists:
            return CheckResult("Stack", False, "not found",
                               f"no stack {found.stack_name} in {found.region}",
                               "install it: port-aws-wizard --stack-name "
                               f"{found.stack_name} --aws-region {found.region}")
        ok = found.stack_status in HEALTHY_STACK_STATUSES
        detail = "" if ok else found.stack_status_reason or "the last stack operation did not succeed"
        fix = "" if ok else "run the install again; if it stays broken, run `port-aws-wizard uninstall`"
        return CheckResult("Stack", ok, found.stack_status, detail, fix)

    def _rule(self) -> dict[str, Any] | None:
        if not self.found.rule_name:
            return None
        try:
            return self.aws("events").describe_rule(Name=self.found.rule_name)
        except botocore.exceptions.ClientError as error:
            if _code(error) == "ResourceNotFoundException":
                return None
            raise

    def rule(self) -> CheckResult:
        rule = self._rule()
        if rule is None:
            return CheckResult("EventBridge rule", False, "not found",
                               "no EventBridge rule sends events to the queue",
                               "run the install again to recreate it")
        state = rule.get("State", "")
        name = rule["Name"]
        if state != "ENABLED":
            return CheckResult("EventBridge rule", False, state,
                               f"rule {name} is {state}: no events reach the queue",
                               f"aws events enable-rule --name {name} {self._region}")
        targets = self.aws("events").list_targets_by_rule(Rule=name).get("Targets", [])
        if self.found.queue_arn and not any(t.get("Arn") == self.found.queue_arn for t in targets):
            return CheckResult("EventBridge rule", False, f"{state}, no queue target",
                               f"rule {name} does not target the queue {self.found.queue_name}",
                               "run the install again to restore the target")
        return CheckResult("EventBridge rule", True, f"{state} -> {self.found.queue_name}",
                           f"rule {name}")

    def rule_sources(self) -> CheckResult:
        rule = self._rule()
        if rule is None:
            return CheckResult("Rule event sources", False, "no rule", "the rule is missing")
        try:
            pattern = json.loads(rule.get("EventPattern") or "{}")
        except ValueError:
            pattern = {}
        sources = pattern.get("source") or []
        actual = tuple(sources) if isinstance(sources, list) else (str(sources),)
        expected = self.found.event_sources
        missing = [s for s in expected if s not in actual]
        extra = [s for s in actual if s not in expected]
        figure = f"{len(actual)} source(s): {', '.join(actual) or 'none'}"
        if not missing and not extra:
            return CheckResult("Rule event sources", True, figure)
        problems = []
        if missing:
            problems.append(f"missing {', '.join(missing)}")
        if extra:
            problems.append(f"not selected: {', '.join(extra)}")
        origin = "the stack's EventSources" if self.found.sources_origin == "stack" else "--event-sources"
        return CheckResult("Rule event sources", False, figure,
                           f"the rule does not match {origin} ({'; '.join(problems)})",
                           "run the install again with the --event-sources you want")

    def cloudtrail(self) -> CheckResult:
        needing = [s for s in self.found.event_sources
                   if s in EVENT_SOURCES and EVENT_SOURCES[s].needs_cloudtrail]
        if not needing:
            return CheckResult("CloudTrail", True, "not needed", "the selected sources send service "
                               "events only; no API-call events are expected", skipped=True)
        cloudtrail = self.aws("cloudtrail")
        trails = cloudtrail.describe_trails(includeShadowTrails=True).get("trailList", [])
        usable = [t for t in trails if t.get("IsMultiRegionTrail")
                  or t.get("HomeRegion") == self.found.region]
        logging = []
        for trail in usable:
            try:
                status = cloudtrail.get_trail_status(Name=trail.get("TrailARN") or trail["Name"])
            except AWS_ERRORS:
                continue  # e.g. an organization trail this account cannot read
            if status.get("IsLogging"):
                logging.append(trail.get("Name", ""))
        figure = f"{len(logging)} of {len(usable)} trail(s) logging"
        if logging:
            return CheckResult("CloudTrail", True, figure, f"logging: {', '.join(logging)}")
        return CheckResult(
            "CloudTrail", False, figure,
            "no trail is logging in this region: \"AWS API Call via CloudTrail\" events "
            f"of {', '.join(needing)} (creates, deletes, config changes) will not arrive; "
            "service events still do",
            "create one: aws cloudtrail create-trail --name port-events --s3-bucket-name <bucket> "
            f"--is-multi-region-trail {self._region} && aws cloudtrail start-logging "
            f"--name port-events {self._region}",
        )

    def _depth(self, url: str) -> tuple[int, int]:
        attributes = self.aws("sqs").get_queue_attributes(
            QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages",
                                          "ApproximateNumberOfMessagesNotVisible"])["Attributes"]
        return (int(attributes.get("ApproximateNumberOfMessages", 0)),
                int(attributes.get("ApproximateNumberOfMessagesNotVisible", 0)))

    def queue(self) -> CheckResult:
        if not self.found.queue_url:
            return CheckResult("Queue", False, "not found", f"no queue {self.found.queue_name}",
                               "run the install again")
        waiting, in_flight = self._depth(self.found.queue_url)
        age = self._latest_metric("AWS/SQS", "ApproximateAgeOfOldestMessage", "QueueName",
                                  self.found.queue_name, "Maximum", minutes=15)
        age_text = "oldest: no data" if age is None else f"oldest {_duration(age)}"
        figure = f"{waiting} waiting, {in_flight} in flight, {age_text}"
        if age is not None and age > STUCK_MESSAGE_SECONDS:
            return CheckResult("Queue", False, figure,
                               f"the oldest message has waited {_duration(age)}: the Lambda is not "
                               "consuming the queue",
                               "see the event source mapping and Lambda checks, and "
                               "`port-aws-wizard logs --since 1h`")
        return CheckResult("Queue", True, figure)

    def dead_letter_queue(self) -> CheckResult:
        if not self.found.dlq_url:
            return CheckResult("Dead-letter queue", False, "not found",
                               f"no queue {self.found.queue_name}-dlq", "run the install again")
        waiting, in_flight = self._depth(self.found.dlq_url)
        total = waiting + in_flight
        if total == 0:
            return CheckResult("Dead-letter queue", True, "0 messages")
        return CheckResult(
            "Dead-letter queue", False, f"{total} message(s)",
            f"{total} event(s) were not accepted by Port after retries "
            "(see `port-aws-wizard logs --since 1d --filter failed`)",
            "fix the cause, then move them back: port-aws-wizard redrive "
            f"--stack-name {self.found.stack_name} --aws-region {self.found.region}",
        )

    def event_source_mapping(self) -> CheckResult:
        kwargs = {"FunctionName": self.found.function_name}
        if self.found.queue_arn:
            kwargs["EventSourceArn"] = self.found.queue_arn
        try:
            mappings = self.aws("lambda").list_event_source_mappings(**kwargs)["EventSourceMappings"]
        except botocore.exceptions.ClientError as error:
            if _code(error) != "ResourceNotFoundException":
                raise
            mappings = []
        if not mappings:
            return CheckResult("Event source mapping", False, "not found",
                               "nothing feeds the queue to the Lambda", "run the install again")
        mapping = mappings[0]
        state = mapping.get("State", "")
        result = mapping.get("LastProcessingResult", "")
        figure = state + (f", last result: {result}" if result else "")
        cap = (mapping.get("ScalingConfig") or {}).get("MaximumConcurrency")
        figure += f", at most {cap} at once" if cap else ""
        if state != "Enabled":
            return CheckResult("Event source mapping", False, figure,
                               f"the mapping is {state}: the queue is not read",
                               f"aws lambda update-event-source-mapping --uuid {mapping['UUID']} "
                               f"--enabled {self._region}")
        if result and result not in ("OK", "No records processed"):
            return CheckResult("Event source mapping", False, figure,
                               "Lambda cannot read the queue or run the function",
                               "check the function's role and the queue policy")
        return CheckResult("Event source mapping", True, figure)

    def function(self) -> CheckResult:
        try:
            configuration = self.aws("lambda").get_function(
                FunctionName=self.found.function_name)["Configuration"]
        except botocore.exceptions.ClientError as error:
            if _code(error) != "ResourceNotFoundException":
                raise
            return CheckResult("Lambda function", False, "not found",
                               f"no function {self.found.function_name}", "run the install again")
        state = configuration.get("State") or "Active"
        update = configuration.get("LastUpdateStatus") or "Successful"
        figure = f"{state}, {configuration.get('Runtime', '')}".strip(", ")
        if state != "Active" or update == "Failed":
            reason = configuration.get("StateReason") or configuration.get("LastUpdateStatusReason", "")
            return CheckResult("Lambda function", False, figure, reason or f"state {state}",
                               "run the install again")
        return CheckResult("Lambda function", True, figure, f"function {self.found.function_name}")

    def function_metrics(self) -> CheckResult:
        sums = self._sums("AWS/Lambda", "FunctionName", self.found.function_name,
                          ("Invocations", "Errors", "Throttles"))
        invocations, errors, throttles = (int(sums[name]) for name in ("Invocations", "Errors", "Throttles"))
        figure = f"{invocations} invocations, {errors} errors, {throttles} throttles"
        if errors or throttles:
            return CheckResult("Lambda last hour", False, figure,
                               "the function crashed or timed out" if errors else
                               "Lambda throttled the function (account concurrency?)",
                               "see `port-aws-wizard logs --since 1h`")
        return CheckResult("Lambda last hour", True, figure)

    def function_error_lines(self) -> CheckResult:
        tail = LogTail(self.aws("logs"), self.found.log_group, since_seconds=3600,
                       filter_pattern=ERROR_PATTERN, now_ms=lambda: int(self.now() * 1000))
        try:
            lines = tail.history()
        except botocore.exceptions.ClientError as error:
            if _code(error) == "ResourceNotFoundException":
                return CheckResult("Lambda error lines", True, "no log group yet",
                                   f"{self.found.log_group} does not exist (no invocation yet)")
            raise
        errors = error_lines(lines)
        if not errors:
            return CheckResult("Lambda error lines", True, "none in the last hour")
        last = errors[-3:]
        return CheckResult("Lambda error lines", False, f"{len(errors)} in the last hour",
                           "last: " + " | ".join(line.text for line in last),
                           "port-aws-wizard logs --since 1h --filter failed")

    def resync(self) -> CheckResult:
        from core.operations.resync_status import resync_figures

        found = self.found
        age = self.now() - found.stack_created if found.stack_created else None
        figures = resync_figures(self.aws("logs"), self.aws("events"), found.log_group, found.queue_arn,
                                 found.resync_schedule, age, self._region, self.now)
        return CheckResult("Last resync", figures.ok, figures.figure, figures.detail, figures.fix,
                           data=figures.data)

    def _sums(self, namespace: str, dimension: str, value: str, metrics: tuple[str, ...]
              ) -> dict[str, float]:
        end = self.now()
        queries = [{"Id": f"m{index}", "ReturnData": True, "MetricStat": {
            "Metric": {"Namespace": namespace, "MetricName": name,
                       "Dimensions": [{"Name": dimension, "Value": value}]},
            "Period": 300, "Stat": "Sum"}} for index, name in enumerate(metrics)]
        response = self.aws("cloudwatch").get_metric_data(
            MetricDataQueries=queries, StartTime=end - 3600, EndTime=end)
        values = {result["Id"]: sum(result.get("Values", [])) for result in response["MetricDataResults"]}
        return {name: values.get(f"m{index}", 0.0) for index, name in enumerate(metrics)}

    def _latest_metric(self, namespace: str, metric: str, dimension: str, value: str, stat: str,
                       minutes: int) -> float | None:
        end = self.now()
        response = self.aws("cloudwatch").get_metric_data(
            MetricDataQueries=[{"Id": "m0", "ReturnData": True, "MetricStat": {
                "Metric": {"Namespace": namespace, "MetricName": metric,
                           "Dimensions": [{"Name": dimension, "Value": value}]},
                "Period": 60, "Stat": stat}}],
            StartTime=end - minutes * 60, EndTime=end, ScanBy="TimestampDescending")
        for result in response["MetricDataResults"]:
            if result.get("Values"):
                return float(result["Values"][0])
        return None


def _duration(seconds: float) -> str:
    seconds = int(seconds)
    if seconds < 120:
        return f"{seconds}s"
    if seconds < 7200:
        return f"{seconds // 60}m"
    return f"{seconds // 3600}h{(seconds % 3600) // 60:02d}m"


# -- Port --------------------------------------------------------------------------------

def blueprint_identifiers() -> list[str]:
    """The blueprints the install creates, relation targets first."""
    return [blueprint["identifier"] for blueprint in load_blueprints()]


PORT_CHECK_NAMES = ("Port webhook", "Port integration", "Port blueprints")


def port_checks(
    settings: InstallSettings,
    credentials: PortCredentials | None,
    installation: Installation | None,
    port_client_factory: Callable[[str, PortCredentials], PortClient] = PortClient,
) -> Iterator[CheckResult]:
    """The Port side: the webhook (enabled, with mappings, the one the Lambda posts to), the
    integration and the blueprints. Skipped, not failed, without credentials."""
    if credentials is None:
        reason = f"no Port credentials ({CLIENT_ID_VARIABLE}/{CLIENT_SECRET_VARIABLE} not set)"
        for name in PORT_CHECK_NAMES:
            yield skipped(name, reason)
        return
    with port_client_factory(settings.port_api_url, credentials) as client:
        try:
            client.authenticate()
        except PortApiError as error:
            yield CheckResult("Port access", False, "error", str(error),
                              f"check {CLIENT_ID_VARIABLE}, {CLIENT_SECRET_VARIABLE} and --port-base-url")
            for name in PORT_CHECK_NAMES:
                yield skipped(name, "Port could not be reached")
            return
        yield _guarded("Port webhook", lambda: _webhook_check(client, settings, installation))
        yield _guarded("Port integration", lambda: _integration_check(client, settings))
        yield _guarded("Port blueprints", lambda: _blueprints_check(client))


def _webhook_check(client: PortClient, settings: InstallSettings,
                   installation: Installation | None) -> CheckResult:
    name = "Port webhook"
    ref = settings.webhook_ref
    lambda_url = installation.webhook_url if installation else ""
    if ref.managed:
        webhook = client.get_webhook(ref.identifier or "")
        if webhook is None:
            return CheckResult(name, False, "not found",
                               f"webhook {ref.identifier} does not exist in Port: every event the "
                               "Lambda forwards is rejected",
                               "run the install again to recreate it (the stack is updated with "
                               "the new ingest URL)")
    else:
        webhook = next((w for w in client.list_webhooks() if w.get("url") == ref.ingest_url), None)
        if webhook is None:
            return CheckResult(name, False, "not found", f"no webhook in Port has the {ref.describe()}",
                               "check --webhook")
    identifier = webhook.get("identifier", ref.describe())
    enabled = bool(webhook.get("enabled", True))
    mappings = len(webhook.get("mappings") or [])
    figure = f"{'enabled' if enabled else 'DISABLED'}, {mappings} mapping(s)"
    if not enabled:
        return CheckResult(name, False, figure, f"webhook {identifier} is disabled: Port drops events",
                           "enable it in Port (Data sources) or run the install again")
    if mappings == 0:
        return CheckResult(name, False, figure, f"webhook {identifier} has no mappings: nothing "
                           "becomes an entity", "run the install again")
    if lambda_url and not _same_webhook(webhook, lambda_url):
        return CheckResult(name, False, figure + ", other URL",
                           "the Lambda posts to a different ingest URL (was the webhook recreated?)",
                           "run the install again to update the stack")
    return CheckResult(name, True, figure, f"webhook {identifier}")


def _same_webhook(webhook: dict[str, Any], lambda_url: str) -> bool:
    key = webhook.get("webhookKey")
    if key:
        return lambda_url.rstrip("/").endswith("/" + key)
    url = webhook.get("url")
    return not url or url.rstrip("/") == lambda_url.rstrip("/")


def _integration_check(client: PortClient, settings: InstallSettings) -> CheckResult:
    integration = client.get_integration(settings.integration_id)
    if integration is None:
        return CheckResult("Port integration", False, "not found",
                           f"integration {settings.integration_id} does not exist in Port",
                           "run the install again")
    return CheckResult("Port integration", True, "exists", f"integration {settings.integration_id}")


def _blueprints_check(client: PortClient) -> CheckResult:
    wanted = blueprint_identifiers()
    missing = [identifier for identifier in wanted if client.get_blueprint(identifier) is None]
    figure = f"{len(wanted) - len(missing)} of {len(wanted)} present"
    if missing:
        return CheckResult("Port blueprints", False, figure, f"missing: {', '.join(missing)}",
                           "run the install again")
    return CheckResult("Port blueprints", True, figure)
