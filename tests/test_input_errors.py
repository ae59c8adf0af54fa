"""Bad input is caught before anything is touched: a clear message and exit code 2."""

from __future__ import annotations

import io
import textwrap
from pathlib import Path

import pytest

from core.config.webhook_ref import parse_webhook
from tests.support.port import UNREACHABLE_PORT_ENV
from wizard.cli.install import build_settings, run_console_install

# No Port or AWS is running on these: any request would fail differently than with exit 2.
ENV = UNREACHABLE_PORT_ENV


def run(flags: dict[str, object], answers: Path | None = None, env: dict[str, str] | None = None
        ) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = run_console_install(str(answers) if answers else None, flags, env or ENV, out=out, err=err)
    return code, out.getvalue(), err.getvalue()


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "answers.yml"
    path.write_text(textwrap.dedent(text))
    return path


@pytest.mark.parametrize(
    ("flags", "expected"),
    [
        ({"aws_region": "useast1"}, "AWS region 'useast1' is malformed"),
        ({"event_sources": "aws.ec2,aws.dynamo"},
         "unknown event source(s): aws.dynamo; valid sources are aws.ec2"),
        ({"queue_name": "q" * 77}, "use 1-76 letters"),
        ({"queue_name": "orders.fifo"}, "FIFO queues are not supported"),
        ({"lambda_function_name": "bad name"}, "Lambda function name 'bad name' is invalid"),
        ({"stack_name": "1stack"}, "CloudFormation needs a letter first"),
        ({"webhook": "w" * 31}, "is 31 characters; Port allows at most 30"),
        ({"webhook": "ftp://ingest.getport.io/abc"}, "--webhook URL 'ftp://ingest.getport.io/abc*"),
        ({"webhook": "some/thing"}, "neither an identifier nor a URL"),
        ({"port_base_url": "api.getport.io"}, "Port base URL 'api.getport.io' is not an http(s) URL"),
        ({"port_base_url": "http://api.getport.io"}, "would send secrets in the clear"),
        ({"lambda_max_concurrency": "1"}, "Lambda maximum concurrency 1 is out of range: AWS allows 2-1000"),
        ({"lambda_max_concurrency": "1001"}, "(--lambda-max-concurrency)"),
        ({"alarm_email": "ops at example"}, "alarm e-mail 'ops at example' is not an e-mail address"),
        ({"rotate_webhook_secret": True, "webhook": "https://ingest.getport.io/key"},
         "for an ingest URL, set the new secret in Port and pass it as PORT_WEBHOOK_SECRET"),
    ],
)
def test_bad_flag_is_named_with_its_fix_and_exit_2(flags: dict[str, object], expected: str) -> None:
    code, _out, err = run(flags)
    assert code == 2
    assert expected in err


def test_every_problem_is_reported_at_once() -> None:
    code, _out, err = run({"aws_region": "nowhere", "event_sources": "aws.nope"})
    assert code == 2
    assert "malformed" in err and "aws.nope" in err


def test_unknown_answers_key_names_its_line(tmp_path: Path) -> None:
    answers = write(tmp_path, """\
        aws_region: eu-west-1
        stack_nmae: my-stack
        """)
    code, _out, err = run({}, answers)
    assert code == 2
    assert f"{answers}:2: unknown key 'stack_nmae'" in err


def test_secret_in_clear_is_rejected_with_the_environment_variable_to_use(tmp_path: Path) -> None:
    answers = write(tmp_path, """\
        port_client_secret: abcdefghijklmnop1234
        """)
    code, _out, err = run({}, answers)
    assert code == 2
    assert "holds a secret in the clear" in err and "PORT_CLIENT_SECRET" in err
    assert "abcdefghijklmnop1234" not in err


def test_malformed_yaml_is_reported_with_its_line(tmp_path: Path) -> None:
    answers = write(tmp_path, """\
        aws_region: eu-west-1
        event_sources: [aws.ec2
        """)
    code, _out, err = run({}, answers)
    assert code == 2
    assert "is not valid YAML" in err and "line" in err


def test_missing_answers_file_is_an_input_error(tmp_path: Path) -> None:
    code, _out, err = run({}, tmp_path / "nope.yml")
    assert code == 2
    assert "cannot read answers file" in err


def test_missing_credentials_exit_2_before_anything_is_touched() -> None:
    code, _out, err = run({}, env={"PORT_BASE_URL": "http://127.0.0.1:9"})
    assert code == 2
    assert "export PORT_CLIENT_ID and PORT_CLIENT_SECRET" in err


def test_layers_defaults_answers_environment_flags(tmp_path: Path) -> None:
    answers = write(tmp_path, """\
        aws_region: eu-west-1
        stack_name: from-answers
        queue_name: ${QUEUE_FROM_ENV}
        event_sources: [aws.ec2, aws.s3]
        """)
    env = {"AWS_REGION": "eu-central-1", "QUEUE_FROM_ENV": "expanded-queue"}
    settings, _secrets = build_settings(str(answers), {"stack_name": "from-flags", "dry_run": None}, env)
    assert settings.aws_region == "eu-central-1"  # environment over answers
    assert settings.stack_name == "from-flags"  # flags over answers
    assert settings.queue_name == "expanded-queue"  # ${VAR} expanded
    assert settings.event_sources == ("aws.ec2", "aws.s3")
    assert settings.lambda_function_name == "port-aws-event-processor"  # default kept
    assert settings.dry_run is False


def test_secret_as_reference_is_expanded_from_the_environment(tmp_path: Path) -> None:
    answers = write(tmp_path, "port_client_secret: ${MY_PORT_SECRET}\n")
    _settings, secrets = build_settings(str(answers), {}, {"MY_PORT_SECRET": "s3cr3t"})
    assert secrets == {"port_client_secret": "s3cr3t"}


def test_unset_reference_is_an_input_error(tmp_path: Path) -> None:
    answers = write(tmp_path, "queue_name: ${NOT_SET_ANYWHERE}\n")
    code, _out, err = run({}, answers)
    assert code == 2
    assert "${NOT_SET_ANYWHERE} is not set in the environment" in err


@pytest.mark.parametrize(
    ("value", "identifier", "url"),
    [
        ("aws_ingest", "aws_ingest", None),
        ("/v1/webhooks/aws_ingest", "aws_ingest", None),
        ("https://api.getport.io/v1/webhooks/my_hook", "my_hook", None),
        ("https://ingest.getport.io/AbCdEf123", None, "https://ingest.getport.io/AbCdEf123"),
    ],
)
def test_webhook_forms(value: str, identifier: str | None, url: str | None) -> None:
    ref = parse_webhook(value)
    assert ref.identifier == identifier
    assert ref.ingest_url == url
    assert ref.managed == (identifier is not None)


@pytest.mark.parametrize(("argv", "enriched"), [([], "true"), (["--no-enrich"], "false")])
def test_no_enrich_flag_turns_event_enrichment_off_in_the_stack(argv: list[str], enriched: str) -> None:
    from core.aws.stack_parameters import stack_parameters
    from wizard.cli.main import INSTALL_FLAGS, build_parser

    args = build_parser().parse_args(argv)
    settings, _secrets = build_settings(None, {name: getattr(args, name) for name in INSTALL_FLAGS}, {})
    assert stack_parameters(settings, "https://ingest.example/key", "")["EnableEnrichment"] == enriched


@pytest.mark.parametrize(("url", "shown"), [
    ("https://ingest.getport.io/AbCdEf123", "https://ingest.getport.io/AbCd********"),
    ("https://ingest.getport.io/AbCdEf123/", "https://ingest.getport.io/AbCd********"),
    ("https://ingest.getport.io/AbCdEf123//?token=x#y", "https://ingest.getport.io/AbCd********"),
    ("https://me:pw@ingest.getport.io/AbCdEf123", "https://ingest.getport.io/AbCd********"),
    ("http://127.0.0.1:8080/AbCdEf123", "http://127.0.0.1:8080/AbCd********"),
    ("http://[::1]:8080/AbCdEf123", "http://[::1]:8080/AbCd********"),
])
def test_ingest_url_key_is_masked_however_the_url_ends(url: str, shown: str) -> None:
    from core.config.url_checks import mask_url
    from core.operations.install import InstallResult
    from core.port.setup import WebhookTarget
    from wizard.cli.render import print_summary

    assert mask_url(url) == shown
    out = io.StringIO()
    print_summary(InstallResult(webhook=WebhookTarget(url=url)), False, out)
    assert "AbCdEf123" not in out.getvalue() and ":pw@" not in out.getvalue()
