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
from typing import Any

import botocore.exceptions

from core.aws.clients import AWS_ERRORS, AwsClients, error_code, explain_aws_error
from core.aws.installation import Installation, locate_installation
from core.aws.stack_health import alarms_state
from core.config.credentials import PortCredentials
from core.config.event_sources import EVENT_SOURCES
from core.config.settings import InstallSettings
from core.errors import WizardError
from core.operations.check_result import CheckResult, guarded
from core.operations.logs import ERROR_PATTERN, LogTail, error_lines
from core.operations.port_checks import port_checks
from core.port.client import PortClient

HEALTHY_STACK_STATUSES = frozenset({"CREATE_COMPLETE", "UPDATE_COMPLETE", "IMPORT_COMPLETE"})
NOT_INSTALLED = "not installed"
"""The figure of the one check `status` shows when neither the stack nor its resources exist."""
STUCK_MESSAGE_SECONDS = 1800
"""A queued message older than this is not being consumed (retries take ~20 minutes)."""


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
            yield guarded(name, check)
    yield from port_checks(settings, credentials, installation, port_client_factory)


def not_installed(found: Installation) -> CheckResult:
    return CheckResult("Stack", False, NOT_INSTALLED,
                       f"no stack {found.stack_name} in region {found.region}: install first",
                       f"install with `port-aws-wizard --stack-name {found.stack_name} --aws-region "
                       f"{found.region}`, or pass the --stack-name / --aws-region / --aws-profile "
                       "of your install")


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
            if error_code(error) == "ResourceNotFoundException":
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
            if error_code(error) != "ResourceNotFoundException":
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
            if error_code(error) != "ResourceNotFoundException":
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
            if error_code(error) == "ResourceNotFoundException":
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
