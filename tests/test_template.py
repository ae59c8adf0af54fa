"""cloudformation/aws-serverless.template: lint, limits, security properties, moto deploy."""

from __future__ import annotations

import ast
import json
import math
import re
import sys
import time
import types
from collections.abc import Callable
from typing import Any

import pytest
from cfnlint.api import ManualArgs, lint

from core.aws.stack_parameters import PARAMETER_NAMES, SECRET_PARAMETERS, SIGNATURE_HEADER, stack_parameters
from core.config.event_sources import DEFAULT_EVENT_SOURCES
from core.config.resync_schedule import DEFAULT_RESYNC_SCHEDULE
from core.config.settings import (
    FUNCTION_NAME_PATTERN,
    LOG_RETENTION_DAYS,
    QUEUE_NAME_PATTERN,
    InstallSettings,
    validate,
)
from core.lambda_code.__main__ import main
from core.lambda_code.code_strip import same_code, stripped
from core.lambda_code.inlining import (
    APPENDED_PATHS,
    FORWARDER_PATH,
    TEMPLATE_BYTE_BUDGET,
    forwarder_code,
    load_template,
    readable_code,
    with_inline_code,
)
from core.lambda_code.resync import resync_message
from core.resources import template_path
from core.sandbox import moto_fidelity
from tests.support.moto_server import unique_name

pytestmark = pytest.mark.filterwarnings("ignore:Tried to parse AWS..SQS..QueuePolicy:UserWarning")

TEMPLATE_BODY_LIMIT = 51_200  # bytes, CloudFormation's limit for TemplateBody
TEMPLATE_TEXT = template_path().read_text(encoding="utf-8")
TEMPLATE = load_template(TEMPLATE_TEXT)
RESOURCES: dict[str, Any] = TEMPLATE["Resources"]


def of_type(resource_type: str) -> dict[str, dict[str, Any]]:
    return {k: v for k, v in RESOURCES.items() if v["Type"] == resource_type}


# --- static checks -------------------------------------------------------------------


def test_cfn_lint_reports_nothing() -> None:
    matches = lint(TEMPLATE_TEXT, config=ManualArgs(regions=["us-east-1", "eu-west-1"]))
    assert [str(m) for m in matches] == []


def test_template_fits_a_direct_upload_with_room_to_grow() -> None:
    """One template serves every option (conditions switch resources on), so its size is the
    size with every option on; CloudFormation refuses a TemplateBody over 51,200 bytes."""
    assert TEMPLATE_BYTE_BUDGET == 48_000 < TEMPLATE_BODY_LIMIT
    assert len(TEMPLATE_TEXT.encode()) <= TEMPLATE_BYTE_BUDGET


def test_the_templates_code_is_the_repos_code_without_docstrings_and_comments() -> None:
    readable, inline = readable_code(), forwarder_code()
    assert same_code(readable, inline)
    assert '"""' not in inline and not any(line.lstrip().startswith("#") for line in inline.splitlines())
    assert len(inline.encode()) < 0.85 * len(readable.encode())
    assert not same_code(readable, inline.replace("MAX_BODY_BYTES = 512 * 1024", "MAX_BODY_BYTES = 512"))


def test_a_body_that_was_only_a_docstring_keeps_a_statement() -> None:
    source = 'class Rejected(ValueError):\n    """Why."""\n\n\nx = "#"  # a comment\n'
    assert stripped(source) == 'class Rejected(ValueError):\n pass\nx = "#"\n'
    assert same_code(source, stripped(source))


def test_blocks_take_one_space_statements_one_line_and_strings_stay_as_written() -> None:
    source = ('def f(a,\n      b):\n    if a:\n        return {"k": a,\n                "v": """x\n'
              '    y"""}\n    return b\n')
    assert stripped(source) == 'def f(a, b):\n if a:\n  return {"k": a, "v": """x\n    y"""}\n return b\n'
    assert same_code(source, stripped(source))


def test_check_fails_when_the_template_is_stale_or_over_budget(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Any, capsys: pytest.CaptureFixture[str]) -> None:
    import core.lambda_code.__main__ as inline_tool

    copy = tmp_path / "aws-serverless.template"
    monkeypatch.setattr(inline_tool, "template_path", lambda: copy)
    copy.write_text(TEMPLATE_TEXT, encoding="utf-8")
    assert main(["--check"]) == 0
    copy.write_text(with_inline_code(TEMPLATE_TEXT, readable_code()), encoding="utf-8")
    assert main(["--check"]) == 1
    assert "differs" in capsys.readouterr().err
    monkeypatch.setattr(inline_tool, "TEMPLATE_BYTE_BUDGET", len(TEMPLATE_TEXT.encode()) - 1)
    assert main(["--write"]) == 1
    assert "over the budget" in capsys.readouterr().err


def test_inline_code_is_exactly_core_forwarder() -> None:
    function = RESOURCES["Function"]["Properties"]
    assert function["Handler"] == "index.handler"
    assert function["Code"]["ZipFile"] == forwarder_code()
    assert with_inline_code(TEMPLATE_TEXT, forwarder_code()) == TEMPLATE_TEXT


def test_inline_code_runs_as_one_file_with_the_describers_appended(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """In the Lambda there is no `core` package: index.py alone must define everything."""
    for path in APPENDED_PATHS:  # importing them now fails
        monkeypatch.setitem(sys.modules, f"core.lambda_code.{path.stem}", None)
    index = types.ModuleType("index")
    exec(compile(forwarder_code(), "index.py", "exec"), index.__dict__)  # noqa: S102
    event = {"detail-type": "EC2 Instance State-change Notification",
             "detail": {"instance-id": "i-0abc", "state": "running"}}
    assert index.event_resource(event, "123456789012", "us-east-1") == ("AWS::EC2::Instance", "i-0abc")
    assert index.describe is not None and callable(index.handler)
    assert index.resync_request({"body": index.resync_message("schedule")}) == {"trigger": "schedule"}
    assert callable(index.run_piece) and callable(index.batches) and callable(index.kinds_for)


def test_the_modules_in_index_py_define_no_name_twice() -> None:
    """index.py is one namespace: a name a later module defines again would replace the first."""
    defined: dict[str, str] = {}
    for path in (FORWARDER_PATH, *APPENDED_PATHS):
        for node in ast.parse(path.read_text(encoding="utf-8")).body:
            if isinstance(node, ast.FunctionDef | ast.ClassDef):
                names = [node.name]
            elif isinstance(node, ast.Assign | ast.AnnAssign):
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                names = [t.id for t in targets if isinstance(t, ast.Name)]
            else:
                continue
            for name in names:
                assert name not in defined, f"{name} is defined in {defined[name]} and {path.name}"
                defined[name] = path.name


def test_regenerating_replaces_only_the_inline_code() -> None:
    changed = with_inline_code(TEMPLATE_TEXT, "def handler(event, context):\n    return {}\n")
    reloaded = load_template(changed)
    assert reloaded["Resources"]["Function"]["Properties"]["Code"]["ZipFile"] == (
        "def handler(event, context):\n    return {}\n"
    )
    assert reloaded["Outputs"] == TEMPLATE["Outputs"]
    assert with_inline_code(changed, forwarder_code()) == TEMPLATE_TEXT


def test_parameters_match_the_installer_both_ways() -> None:
    parameters = TEMPLATE["Parameters"]
    assert set(parameters) - set(PARAMETER_NAMES) == set(), "template-only parameters"
    assert set(PARAMETER_NAMES) - set(parameters) == set(), "installer-only parameters"
    assert all(p.get("Description") for p in parameters.values())
    assert {name for name, p in parameters.items() if p.get("NoEcho")} == SECRET_PARAMETERS
    assert parameters["EventSources"]["Default"] == ",".join(DEFAULT_EVENT_SOURCES)
    assert parameters["PortWebhookSignatureHeader"]["Default"] == SIGNATURE_HEADER
    assert parameters["PortWebhookSecret"]["Default"] == ""
    assert "Default" not in parameters["PortWebhookUrl"]
    assert parameters["ResyncSchedule"]["Default"] == DEFAULT_RESYNC_SCHEDULE


def _allowed_by_template(name: str, value: str) -> bool:
    """Does the template's own constraint on parameter `name` accept `value`?"""
    spec = TEMPLATE["Parameters"][name]
    if "AllowedPattern" in spec and not re.fullmatch(spec["AllowedPattern"], value):
        return False
    if "AllowedValues" in spec and value not in [str(v) for v in spec["AllowedValues"]]:
        return False
    if not spec.get("MinLength", 0) <= len(value) <= spec.get("MaxLength", len(value)):
        return False
    if spec["Type"] == "Number":
        return spec.get("MinValue", -math.inf) <= float(value) <= spec.get("MaxValue", math.inf)
    return True


# Settings at and just past each template limit: the installer must refuse exactly what the
# template would (an 80-character queue name used to pass here and fail in CloudFormation).
_LIMIT_CASES: list[tuple[str, dict[str, Any]]] = [
    ("QueueName", {"queue_name": "q" * 76}), ("QueueName", {"queue_name": "q" * 77}),
    ("QueueName", {"queue_name": "orders.fifo"}),
    ("LambdaFunctionName", {"lambda_function_name": "f" * 64}),
    ("LambdaFunctionName", {"lambda_function_name": "f" * 65}),
    ("BatchSize", {"batch_size": 1}), ("BatchSize", {"batch_size": 0}),
    ("BatchSize", {"batch_size": 100}), ("BatchSize", {"batch_size": 101}),
    ("MaximumBatchingWindowInSeconds", {"batching_window_seconds": 0}),
    ("MaximumBatchingWindowInSeconds", {"batching_window_seconds": 60}),
    ("MaximumBatchingWindowInSeconds", {"batching_window_seconds": 61}),
    ("LogRetentionInDays", {"log_retention_days": 3653}),
    ("LogRetentionInDays", {"log_retention_days": 2}),
    ("EnableEnrichment", {"enrich_events": False}),
    ("PortWebhookUrl", {"webhook": "https://ingest.getport.io/abc"}),
    ("PortWebhookSignatureHeader", {}), ("PortWebhookSecret", {}), ("WebhookVersion", {}),
    ("LambdaMaxConcurrency", {"lambda_max_concurrency": 2}),
    ("LambdaMaxConcurrency", {"lambda_max_concurrency": 1}),
    ("LambdaMaxConcurrency", {"lambda_max_concurrency": 1000}),
    ("LambdaMaxConcurrency", {"lambda_max_concurrency": 1001}),
    ("AlarmEmail", {"alarm_email": ""}), ("AlarmEmail", {"alarm_email": "ops@example.com"}),
    ("AlarmEmail", {"alarm_email": "ops at example.com"}), ("AlarmEmail", {"alarm_email": "ops@example"}),
    ("ResyncSchedule", {"resync_schedule": "rate(6 hours)"}), ("ResyncSchedule", {"resync_schedule": "off"}),
    ("ResyncSchedule", {"resync_schedule": "cron(0 3 * * ? *)"}),
]


@pytest.mark.parametrize(("parameter", "values"), _LIMIT_CASES)
def test_settings_refuse_exactly_what_the_template_refuses(parameter: str, values: dict[str, Any]) -> None:
    settings = InstallSettings(**values)
    url = values.get("webhook", "https://ingest.getport.io/key")
    value = stack_parameters(settings, url, "")[parameter]
    assert (validate(settings) == []) == _allowed_by_template(parameter, value), (parameter, value)


def test_every_constrained_parameter_has_limit_cases() -> None:
    constrained = {name for name, spec in TEMPLATE["Parameters"].items()
                   if set(spec) & {"AllowedPattern", "AllowedValues", "MinValue", "MaxValue",
                                   "MinLength", "MaxLength"}}
    assert constrained <= {parameter for parameter, _values in _LIMIT_CASES}
    assert TEMPLATE["Parameters"]["QueueName"]["AllowedPattern"] == QUEUE_NAME_PATTERN
    assert TEMPLATE["Parameters"]["LambdaFunctionName"]["AllowedPattern"] == FUNCTION_NAME_PATTERN
    assert TEMPLATE["Parameters"]["LogRetentionInDays"]["AllowedValues"] == list(LOG_RETENTION_DAYS)


def test_the_lambda_names_the_secret_and_never_holds_the_url_or_the_key() -> None:
    """The environment is readable by every read-only principal: it only names the secret."""
    variables = RESOURCES["Function"]["Properties"]["Environment"]["Variables"]
    assert variables == {
        "PORT_WEBHOOK_SECRET_ARN": {"Ref": "WebhookSecret"},
        "PORT_WEBHOOK_VERSION": {"Ref": "WebhookVersion"},
        "PORT_SIGNATURE_HEADER": {"Ref": "PortWebhookSignatureHeader"},
        "PORT_ENRICH": {"Ref": "EnableEnrichment"},
        "PORT_QUEUE_URL": {"Ref": "Queue"},  # where a resync piece queues the next one
        "PORT_RESYNC_SOURCES": {"Fn::Join": [",", {"Ref": "EventSources"}]},
    }
    assert TEMPLATE["Parameters"]["EnableEnrichment"]["Default"] == "true"
    secret = RESOURCES["WebhookSecret"]
    assert secret["Type"] == "AWS::SecretsManager::Secret"
    assert secret["Properties"]["SecretString"] == {"Fn::Join": ["", [
        '{"url":"', {"Ref": "PortWebhookUrl"}, '","secret":"', {"Ref": "PortWebhookSecret"}, '"}']]}
    used = json.dumps({k: v for k, v in RESOURCES.items() if k != "WebhookSecret"})
    assert "PortWebhookUrl" not in used and "PortWebhookSecret" not in used
    assert "PortWebhook" not in json.dumps(TEMPLATE["Outputs"])


def test_queue_is_encrypted_and_redrives_to_a_14_day_dead_letter_queue() -> None:
    queue = RESOURCES["Queue"]["Properties"]
    dlq = RESOURCES["DeadLetterQueue"]["Properties"]
    assert queue["SqsManagedSseEnabled"] is True and dlq["SqsManagedSseEnabled"] is True
    assert queue["RedrivePolicy"]["deadLetterTargetArn"] == {"Fn::GetAtt": ["DeadLetterQueue", "Arn"]}
    assert 3 <= queue["RedrivePolicy"]["maxReceiveCount"] <= 10
    assert dlq["MessageRetentionPeriod"] == 14 * 24 * 3600


def test_visibility_timeout_covers_six_function_timeouts_and_the_batching_window() -> None:
    timeout = RESOURCES["Function"]["Properties"]["Timeout"]
    longest_window = TEMPLATE["Parameters"]["MaximumBatchingWindowInSeconds"]["MaxValue"]
    assert RESOURCES["Queue"]["Properties"]["VisibilityTimeout"] >= 6 * timeout + longest_window


@pytest.mark.parametrize(
    ("policy", "queue"), [("QueuePolicy", "Queue"), ("DeadLetterQueuePolicy", "DeadLetterQueue")]
)
def test_only_this_stacks_rules_may_send_to_each_queue(policy: str, queue: str) -> None:
    properties = RESOURCES[policy]["Properties"]
    assert properties["Queues"] == [{"Ref": queue}]
    allows = [s for s in properties["PolicyDocument"]["Statement"] if s["Effect"] == "Allow"]
    event_rule = {"Fn::GetAtt": ["EventRule", "Arn"]}
    sources = event_rule if queue == "DeadLetterQueue" else {"Fn::If": [  # the schedule: the queue only
        "Resync", [event_rule, {"Fn::GetAtt": ["ResyncRule", "Arn"]}], event_rule]}
    assert allows == [
        {
            "Sid": "OnlyThisStacksRule",
            "Effect": "Allow",
            "Principal": {"Service": "events.amazonaws.com"},
            "Action": "sqs:SendMessage",
            "Resource": {"Fn::GetAtt": [queue, "Arn"]},
            "Condition": {"ArnEquals": {"aws:SourceArn": sources}},
        }
    ]


def test_the_resync_schedule_puts_a_resync_request_on_the_queue_unless_off() -> None:
    rule = RESOURCES["ResyncRule"]
    assert rule["Condition"] == "Resync"
    assert TEMPLATE["Conditions"]["Resync"] == {"Fn::Not": [{"Fn::Equals": [{"Ref": "ResyncSchedule"},
                                                                            "off"]}]}
    assert rule["Properties"]["ScheduleExpression"] == {"Ref": "ResyncSchedule"}
    assert rule["Properties"].get("State", "ENABLED") == "ENABLED"
    (target,) = rule["Properties"]["Targets"]
    assert target["Arn"] == {"Fn::GetAtt": ["Queue", "Arn"]}
    assert target["Input"] == resync_message("schedule")  # what the forwarder knows as a resync


def test_rule_matches_the_chosen_sources_and_dead_letters_undeliverable_events() -> None:
    rule = RESOURCES["EventRule"]["Properties"]
    assert rule["EventPattern"] == {"source": {"Ref": "EventSources"}}
    (target,) = rule["Targets"]
    assert target["Arn"] == {"Fn::GetAtt": ["Queue", "Arn"]}
    assert target["DeadLetterConfig"] == {"Arn": {"Fn::GetAtt": ["DeadLetterQueue", "Arn"]}}
    assert target["RetryPolicy"]["MaximumRetryAttempts"] > 0


def test_role_has_no_fixed_name_and_reaches_only_this_queue_log_group_and_secret() -> None:
    role = RESOURCES["FunctionRole"]["Properties"]
    assert "RoleName" not in role
    assert "ManagedPolicyArns" not in role
    statements = [s for p in role["Policies"] for s in p["PolicyDocument"]["Statement"]]
    resources = {json.dumps(s["Resource"], sort_keys=True) for s in statements}
    assert resources == {
        json.dumps({"Fn::GetAtt": ["Queue", "Arn"]}),
        json.dumps({"Fn::GetAtt": ["LogGroup", "Arn"]}),
        json.dumps({"Ref": "WebhookSecret"}),
    }
    secret_statement = next(s for s in statements if s["Resource"] == {"Ref": "WebhookSecret"})
    assert secret_statement["Action"] == "secretsmanager:GetSecretValue"
    actions = {a for s in statements for a in (
        [s["Action"]] if isinstance(s["Action"], str) else s["Action"])}
    assert not any("*" in a for a in actions)
    assert "logs:CreateLogGroup" not in actions
    # A resync piece queues the next piece: on its own queue only.
    senders = [s for s in statements if "sqs:SendMessage" in s["Action"]]
    assert [s["Resource"] for s in senders] == [{"Fn::GetAtt": ["Queue", "Arn"]}]


def test_enrichment_and_resync_read_only_the_chosen_sources_and_only_when_on() -> None:
    """One read-only policy per source, each created only with enrichment or resync and its source."""
    assert TEMPLATE["Conditions"]["Enrich"] == {"Fn::Equals": [{"Ref": "EnableEnrichment"}, "true"]}
    assert TEMPLATE["Conditions"]["Read"] == {"Fn::Or": [{"Condition": "Enrich"}, {"Condition": "Resync"}]}
    sources = set()
    for policy in of_type("AWS::IAM::Policy").values():
        assert policy["Properties"]["Roles"] == [{"Ref": "FunctionRole"}]
        (statement,) = policy["Properties"]["PolicyDocument"]["Statement"]
        assert all(a.split(":")[1].startswith(("Describe", "Get", "List")) for a in statement["Action"])
        condition = TEMPLATE["Conditions"][policy["Condition"]]["Fn::And"]
        assert condition[0] == {"Condition": "Read"}
        sources.add(condition[1]["Fn::Not"][0]["Fn::Equals"][0]["Fn::Select"][1]["Fn::Split"][0])
    assert sources == set(DEFAULT_EVENT_SOURCES)


def test_function_logs_to_its_own_log_group_with_retention() -> None:
    log_group = RESOURCES["LogGroup"]["Properties"]
    assert log_group["RetentionInDays"] == {"Ref": "LogRetentionInDays"}
    assert log_group["LogGroupName"] == {"Fn::Sub": "/aws/lambda/${LambdaFunctionName}"}
    assert RESOURCES["Function"]["DependsOn"] == "LogGroup"
    assert RESOURCES["Function"]["Properties"]["Runtime"].startswith("python3.")


def test_event_source_mapping_reports_batch_item_failures_and_caps_concurrency() -> None:
    (mapping,) = of_type("AWS::Lambda::EventSourceMapping").values()
    assert mapping["Properties"]["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert mapping["Properties"]["BatchSize"] == {"Ref": "BatchSize"}
    assert mapping["Properties"]["ScalingConfig"] == {
        "MaximumConcurrency": {"Ref": "LambdaMaxConcurrency"}}
    cap = TEMPLATE["Parameters"]["LambdaMaxConcurrency"]
    assert (cap["Default"], cap["MinValue"], cap["MaxValue"]) == (5, 2, 1000)


def test_readers_of_the_function_never_read_other_functions_code() -> None:
    """lambda:GetFunction answers a link to download the code: the role has no such right."""
    actions = json.dumps([p["Properties"]["PolicyDocument"] for p in of_type("AWS::IAM::Policy").values()])
    assert "lambda:GetFunction\"" not in actions and "lambda:GetFunctionConfiguration" in actions


def test_alarms_on_dead_letters_and_errors_mail_only_when_an_address_is_given() -> None:
    alarms = of_type("AWS::CloudWatch::Alarm")
    watched = {(a["Properties"]["Namespace"], a["Properties"]["MetricName"]) for a in alarms.values()}
    assert watched == {("AWS/SQS", "ApproximateNumberOfMessagesVisible"), ("AWS/Lambda", "Errors")}
    dlq = RESOURCES["DeadLetterAlarm"]["Properties"]
    assert dlq["Dimensions"] == [
        {"Name": "QueueName", "Value": {"Fn::GetAtt": ["DeadLetterQueue", "QueueName"]}}]
    for alarm in alarms.values():
        properties = alarm["Properties"]
        assert (properties["ComparisonOperator"], properties["Threshold"]) == ("GreaterThanThreshold", 0)
        assert properties["AlarmActions"] == {"Fn::If": ["AlarmByEmail", [{"Ref": "AlarmTopic"}],
                                                         {"Ref": "AWS::NoValue"}]}
    topic = RESOURCES["AlarmTopic"]
    assert topic["Condition"] == "AlarmByEmail"
    assert topic["Properties"]["Subscription"] == [{"Protocol": "email", "Endpoint": {"Ref": "AlarmEmail"}}]
    assert TEMPLATE["Conditions"]["AlarmByEmail"] == {
        "Fn::Not": [{"Fn::Equals": [{"Ref": "AlarmEmail"}, ""]}]}


# --- deployed on moto ----------------------------------------------------------------

EXPECTED_OUTPUTS = {
    "QueueUrl",
    "QueueArn",
    "DeadLetterQueueUrl",
    "DeadLetterQueueArn",
    "FunctionName",
    "EventRuleArn",
    "LogGroupName",
    "WebhookSecretArn",
    "DeadLetterAlarmName",
    "ErrorAlarmName",
}


def deploy(
    aws_client: Callable[..., Any], region: str = "us-east-1", sources: str = "aws.ec2,aws.s3"
) -> tuple[str, dict[str, str]]:
    """Create a stack the way the installer does (every parameter explicit); its outputs."""
    cloudformation = aws_client("cloudformation", region)
    stack = unique_name("port-aws")
    cloudformation.create_stack(
        StackName=stack,
        TemplateBody=TEMPLATE_TEXT,
        Capabilities=["CAPABILITY_IAM"],
        Parameters=[
            {"ParameterKey": k, "ParameterValue": v}
            for k, v in {
                "PortWebhookUrl": "https://ingest.getport.io/whk_key",
                "PortWebhookSecret": "",
                "PortWebhookSignatureHeader": SIGNATURE_HEADER,
                "QueueName": unique_name("port-q"),
                "LambdaFunctionName": unique_name("port-fn"),
                "EventSources": sources,
                "BatchSize": "10",
                "MaximumBatchingWindowInSeconds": "5",
                "LogRetentionInDays": "14",
                "EnableEnrichment": "true",
                "WebhookVersion": "0a1b",
                "LambdaMaxConcurrency": "5",
                "AlarmEmail": "",
            }.items()
        ],
    )
    described = cloudformation.describe_stacks(StackName=stack)["Stacks"][0]
    assert described["StackStatus"] == "CREATE_COMPLETE"
    return stack, {o["OutputKey"]: o["OutputValue"] for o in described["Outputs"]}


def receive_bodies(sqs: Any, queue_url: str, wait: float = 3.0) -> list[dict[str, Any]]:
    bodies: list[dict[str, Any]] = []
    end = time.monotonic() + wait
    while time.monotonic() < end:
        messages = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=1).get(
            "Messages", []
        )
        bodies += [json.loads(m["Body"]) for m in messages]
        if bodies:
            break
    return bodies


def test_template_deploys_with_every_resource_and_output(aws_client: Callable[..., Any]) -> None:
    stack, outputs = deploy(aws_client)

    cloudformation = aws_client("cloudformation")
    summaries = cloudformation.list_stack_resources(StackName=stack)["StackResourceSummaries"]
    created = {s["LogicalResourceId"] for s in summaries if s.get("LogicalResourceId")}
    # moto has no model for AWS::SQS::QueuePolicy nor AWS::IAM::Policy (checked statically);
    # the alarm topic exists only with an AlarmEmail
    assert created >= set(RESOURCES) - set(of_type("AWS::SQS::QueuePolicy")) - set(
        of_type("AWS::IAM::Policy")) - {"AlarmTopic"}
    assert set(outputs) == EXPECTED_OUTPUTS

    attributes = aws_client("sqs").get_queue_attributes(QueueUrl=outputs["QueueUrl"], AttributeNames=["All"])[
        "Attributes"
    ]
    assert attributes["SqsManagedSseEnabled"] == "true"
    assert json.loads(attributes["RedrivePolicy"])["deadLetterTargetArn"] == (outputs["DeadLetterQueueArn"])
    function = aws_client("lambda").get_function_configuration(FunctionName=outputs["FunctionName"])
    assert function["Handler"] == "index.handler"
    variables = function["Environment"]["Variables"]
    assert variables["PORT_SIGNATURE_HEADER"] == SIGNATURE_HEADER
    assert variables["PORT_WEBHOOK_SECRET_ARN"] == outputs["WebhookSecretArn"]
    stored = aws_client("secretsmanager").get_secret_value(SecretId=outputs["WebhookSecretArn"])
    assert json.loads(stored["SecretString"]) == {"url": "https://ingest.getport.io/whk_key", "secret": ""}
    assert "whk_key" not in json.dumps(variables)
    alarms = aws_client("cloudwatch").describe_alarms(
        AlarmNames=[outputs["DeadLetterAlarmName"], outputs["ErrorAlarmName"]])["MetricAlarms"]
    assert {a["MetricName"] for a in alarms} == {"ApproximateNumberOfMessagesVisible", "Errors"}
    retention = aws_client("logs").describe_log_groups(logGroupNamePrefix=outputs["LogGroupName"])[
        "logGroups"
    ][0]["retentionInDays"]
    assert retention == 14


def test_events_of_chosen_sources_land_in_the_queue(aws_client: Callable[..., Any]) -> None:
    _, outputs = deploy(aws_client, sources="aws.ec2,aws.s3")
    events, sqs = aws_client("events"), aws_client("sqs")
    rule_name = outputs["EventRuleArn"].rsplit("/", 1)[-1]
    bus_events = [
        ("aws.ec2", "EC2 Instance State-change Notification", {"instance-id": "i-1"}),
        ("aws.s3", "AWS API Call via CloudTrail", {"eventName": "CreateBucket"}),
        ("aws.rds", "RDS DB Instance Event", {"SourceIdentifier": "db-1"}),  # not chosen
    ]
    with moto_fidelity.extended():  # plain moto also delivers every event to the schedule rule
        for source, detail_type, detail in bus_events:
            events.put_events(
                Entries=[{"Source": source, "DetailType": detail_type, "Detail": json.dumps(detail)}]
            )
    assert events.list_targets_by_rule(Rule=rule_name)["Targets"][0]["Arn"] == (outputs["QueueArn"])

    received: list[dict[str, Any]] = []
    end = time.monotonic() + 5
    while len(received) < 2 and time.monotonic() < end:
        received += receive_bodies(sqs, outputs["QueueUrl"], wait=1)

    assert sorted((b["source"], b["detail-type"]) for b in received) == [
        ("aws.ec2", "EC2 Instance State-change Notification"),
        ("aws.s3", "AWS API Call via CloudTrail"),
    ]


def test_a_second_region_deploys_beside_the_first(aws_client: Callable[..., Any]) -> None:
    first_stack, _ = deploy(aws_client, region="us-east-1")
    second_stack, _ = deploy(aws_client, region="eu-west-1")

    roles = []
    for region, stack in (("us-east-1", first_stack), ("eu-west-1", second_stack)):
        summaries = aws_client("cloudformation", region).list_stack_resources(StackName=stack)[
            "StackResourceSummaries"
        ]
        roles += [s["PhysicalResourceId"] for s in summaries if s.get("ResourceType") == "AWS::IAM::Role"]
    assert len(set(roles)) == 2  # IAM is global: a fixed role name would collide


def evaluate(node: Any, parameters: dict[str, Any]) -> Any:
    """CloudFormation's condition functions, as the service evaluates them (moto has no IAM::Policy)."""
    if not isinstance(node, dict):
        return [evaluate(n, parameters) for n in node] if isinstance(node, list) else node
    ((name, argument),) = node.items()
    if name == "Condition":
        return evaluate(TEMPLATE["Conditions"][argument], parameters)
    if name == "Ref":
        return parameters[argument]
    values = evaluate(argument, parameters)
    functions: dict[str, Callable[..., Any]] = {
        "Fn::Equals": lambda a, b: a == b, "Fn::Not": lambda a: not a,
        "Fn::And": lambda *a: all(a), "Fn::Or": lambda *a: any(a),
        "Fn::Select": lambda i, items: items[int(i)],
        "Fn::Split": lambda sep, text: text.split(sep), "Fn::Join": lambda sep, items: sep.join(items)}
    return functions[name](*values)


@pytest.mark.parametrize(("sources", "enrich", "schedule", "policies"), [
    ("aws.ec2,aws.sqs", "true", "off", {"DescribeEc2", "DescribeSqs"}),
    (",".join(DEFAULT_EVENT_SOURCES), "true", "off", set(of_type("AWS::IAM::Policy"))),
    ("aws.lambda", "true", "off", {"DescribeLambda"}),
    (",".join(DEFAULT_EVENT_SOURCES), "false", "off", set()),
    ("aws.ec2,aws.s3", "false", DEFAULT_RESYNC_SCHEDULE, {"DescribeEc2", "DescribeS3"}),  # the resync
])
def test_the_role_may_describe_only_the_chosen_sources(sources: str, enrich: str, schedule: str,
                                                        policies: set[str]) -> None:
    parameters = {"EventSources": sources.split(","), "EnableEnrichment": enrich,
                  "ResyncSchedule": schedule}
    created = {name for name, policy in of_type("AWS::IAM::Policy").items()
               if evaluate(TEMPLATE["Conditions"][policy["Condition"]], parameters)}
    assert created == policies


def test_the_templates_copy_puts_each_statement_on_one_line_without_signature_annotations() -> None:
    source = ('def send(url: str,\n         body: bytes = b"",\n         retries: int = 3) -> int:\n'
              '    total = (1 +\n             2)\n    return total\n')
    assert stripped(source) == 'def send(url, body=b"", retries=3):\n total = (1 + 2)\n return total\n'
    assert same_code(source, stripped(source))
    assert not same_code(source, stripped(source).replace("retries=3", "retries=4"))
