"""Where an install's pieces are: the stack's outputs and parameters first, the configured
names when the stack is gone (so status, logs, redrive and uninstall find what is left)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import botocore.exceptions

from core.aws.clients import AwsClients, error_code
from core.aws.stack_health import alarm_names, webhook_secret_state
from core.aws.stacks import describe_stack, parse_list_parameter
from core.config.credentials import WEBHOOK_URL_VARIABLE
from core.config.settings import InstallSettings


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
        if error_code(error) != "ResourceNotFoundException":
            raise
    else:
        found.function_exists = True
        logging_config = configuration.get("LoggingConfig") or {}
        found.log_group = logging_config.get("LogGroup") or found.log_group
        variables = (configuration.get("Environment") or {}).get("Variables") or {}
        found.webhook_url = variables.get(WEBHOOK_URL_VARIABLE, "")  # a stack from before the secret
        found.webhook_secret_arn = variables.get("PORT_WEBHOOK_SECRET_ARN", "")
    found.webhook_secret_arn = outputs.get("WebhookSecretArn") or found.webhook_secret_arn
    if found.webhook_secret_arn:
        found.webhook_url, found.webhook_secret_problem = webhook_secret_state(
            aws("secretsmanager"), found.webhook_secret_arn)
    found.alarms = alarm_names(found.stack_name, outputs)
    return found


def _queue_url(sqs: Any, name: str) -> str:
    try:
        return sqs.get_queue_url(QueueName=name)["QueueUrl"]
    except botocore.exceptions.ClientError as error:
        if "NonExistentQueue" in error_code(error) or "QueueDoesNotExist" in error_code(error):
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
