"""How the console writes: plain lines off a terminal (CI, pipes, TERM=dumb), rich on one (NO_COLOR
keeps the layout without colour), --quiet, --json streams, sync progress, and --verbose call lines."""

from __future__ import annotations

import io
import re
from datetime import datetime

import pytest

from core.config.credentials import PortCredentials
from core.config.settings import InstallSettings
from core.emulator import PortEmulator
from core.operations.check_result import CheckResult
from core.port.client import PortClient
from core.progress import Change, Notice, PlanItem, StackEventSeen, StackSettled, StepFinished
from tests.support.port import EMULATOR_CLIENT_ID, EMULATOR_CLIENT_SECRET
from wizard.cli.output import Output, wants_rich
from wizard.cli.progress import NoProgress, PeriodicLines, RichBar, progress_for
from wizard.cli.render import ConsoleReporter
from wizard.cli.status import check_lines
from wizard.cli.verbose import verbose_calls

TERMINAL = {"FORCE_COLOR": "1", "TERM": "xterm-256color", "COLUMNS": "100"}
ANSI = re.compile(r"\x1b\[[0-9;]*m")
COLOUR = re.compile(r"\x1b\[(?:[0-9;]*;)?3[0-9](?:;[0-9;]*)?m")  # a foreground colour


class Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


EVENTS = [
    PlanItem("port", "blueprint", "awsAccount", Change.CREATE),
    PlanItem("aws", "AWS::SQS::Queue", "Queue", Change.NO_CHANGE, "unchanged"),
    StepFinished("blueprint awsAccount", Change.CREATE),
    StackEventSeen("e1", datetime(2026, 1, 2, 3, 4, 5), "Queue", "AWS::SQS::Queue", "CREATE_FAILED",
                   "denied"),
    StackSettled("demo", "ROLLBACK_COMPLETE", False, "Queue (AWS::SQS::Queue): denied"),
    Notice("The stack demo is up to date: no changes to deploy."),
]
PLAIN = (
    "  port blueprint    awsAccount                                           create\n"
    "  aws  resource     Queue (AWS::SQS::Queue)                              no change  (unchanged)\n"
    "  [ok] blueprint awsAccount: created\n"
    "Stack events:\n"
    "  03:04:05  CREATE_FAILED          Queue (AWS::SQS::Queue)  denied\n"
    "Stack demo: ROLLBACK_COMPLETE. First failure: Queue (AWS::SQS::Queue): denied\n"
    "The stack demo is up to date: no changes to deploy.\n"
)


def report(output: Output) -> None:
    reporter = ConsoleReporter(output)
    for event in EVENTS:
        reporter(event)


@pytest.mark.parametrize(("stream", "environ", "rich"), [
    (io.StringIO(), {}, False),  # a pipe, a file, CI
    (Tty(), {}, True),
    (Tty(), {"TERM": "dumb"}, False),
    (io.StringIO(), {"FORCE_COLOR": "1"}, True),
    (io.StringIO(), {"FORCE_COLOR": "1", "TERM": "dumb"}, False),
    (Tty(), {"NO_COLOR": "1"}, True),  # layout stays; colour goes (below)
])
def test_rich_only_on_a_terminal_that_can_take_it(stream: io.StringIO, environ: dict[str, str],
                                                  rich: bool) -> None:
    assert wants_rich(stream, environ) is rich


def test_plain_output_is_the_same_words_without_escape_codes() -> None:
    out = io.StringIO()
    report(Output(out, io.StringIO(), {}))
    assert out.getvalue() == PLAIN


def test_a_terminal_gets_colours_and_marks() -> None:
    out = Tty()
    report(Output(out, io.StringIO(), TERMINAL))
    text = out.getvalue()
    assert "\x1b[32m✓\x1b[0m blueprint awsAccount: \x1b[32mcreated\x1b[0m" in text
    assert "\x1b[1;31mCREATE_FAILED         \x1b[0m Queue" in text  # failures red, column kept
    assert "\x1b[1;31mROLLBACK_COMPLETE\x1b[0m" in text
    assert ANSI.sub("", text) == PLAIN.replace("[ok]", "✓")


def test_no_color_keeps_the_marks_and_drops_the_colours() -> None:
    out = Tty()
    report(Output(out, io.StringIO(), {**TERMINAL, "NO_COLOR": "1"}))
    assert "✓ blueprint awsAccount" in ANSI.sub("", out.getvalue())
    assert not COLOUR.search(out.getvalue())


def test_warnings_and_errors_go_to_stderr_even_when_quiet() -> None:
    out, err = io.StringIO(), io.StringIO()
    reporter = ConsoleReporter(Output(out, err, {}, quiet=True))
    for event in [*EVENTS, Notice("could not check OU ou-1 (access denied)", "warning")]:
        reporter(event)
    assert out.getvalue() == ""
    assert err.getvalue() == "warning: could not check OU ou-1 (access denied)\n"


def test_json_mode_keeps_stdout_for_the_document() -> None:
    out, err = io.StringIO(), io.StringIO()
    output = Output(out, err, {}, json=True)
    report(output)
    output.result("Dry run: nothing was changed in Port or AWS.")
    output.document({"ok": True})
    assert out.getvalue() == '{\n  "ok": true\n}\n'
    assert err.getvalue() == PLAIN + "Dry run: nothing was changed in Port or AWS.\n"


def test_status_lines_plain_and_marked() -> None:
    failed = CheckResult("dead-letter queue", False, "3 messages", detail="oldest 2h",
                         fix="port-aws-wizard redrive")
    lines = [line for result in (CheckResult("queue", True, "0 messages"), failed)
             for line in check_lines(result)]
    out = io.StringIO()
    for line in lines:
        Output(out, io.StringIO(), {}).write(line)
    assert out.getvalue() == (
        "  ok    queue                  0 messages\n"
        "  FAIL  dead-letter queue      3 messages\n"
        "                               oldest 2h\n"
        "                               fix: port-aws-wizard redrive\n")
    tty = Tty()
    for line in lines:
        Output(tty, io.StringIO(), TERMINAL).write(line)
    assert ANSI.sub("", tty.getvalue()).splitlines()[:2] == [
        "  ✓     queue                  0 messages", "  ✗     dead-letter queue      3 messages"]


def test_tables_plain_and_rich() -> None:
    out = io.StringIO()
    Output(out, io.StringIO(), {}).table(["hop", "count"], [["queued", "3"], ["forwarded", "12"]])
    assert out.getvalue() == "  hop        count\n  ---------  -----\n  queued     3\n  forwarded  12\n"
    tty = Tty()
    Output(tty, io.StringIO(), TERMINAL).table(["hop", "count"], [["queued", "3"]])
    assert ANSI.sub("", tty.getvalue()).splitlines()[0].split() == ["hop", "count"]


def test_periodic_progress_lines_the_first_one_per_interval_and_the_last() -> None:
    now = [0.0]
    out = io.StringIO()
    lines = PeriodicLines(Output(out, io.StringIO(), {}), "sync", interval=5.0, clock=lambda: now[0])
    for done, at in [(1, 0.0), (2, 1.0), (3, 4.9), (4, 5.1), (5, 6.0), (6, 9.0), (10, 9.5)]:
        now[0] = at
        lines.update(done, 10, f"{done * 10} sent")
    lines.update(10, 10, "100 sent")  # the same figures again: not repeated
    assert out.getvalue() == ("sync: 1/10 (10%) 10 sent\n"
                              "sync: 4/10 (40%) 40 sent\n"
                              "sync: 10/10 (100%) 100 sent\n")


def test_progress_display_fits_the_output() -> None:
    assert isinstance(progress_for(Output(io.StringIO(), io.StringIO(), {}, quiet=True), "sync"), NoProgress)
    assert isinstance(progress_for(Output(io.StringIO(), io.StringIO(), {}), "sync"), PeriodicLines)
    tty = Tty()
    bar = progress_for(Output(tty, io.StringIO(), TERMINAL), "sync")
    assert isinstance(bar, RichBar)
    bar.update(3, 10, "30 sent, aws.ec2 us-east-1")
    bar.close()
    assert "3/10" in ANSI.sub("", tty.getvalue())


def test_verbose_shows_port_calls_and_retries_but_no_secret(port_emulator: PortEmulator) -> None:
    err = io.StringIO()
    port_emulator.fail_next("GET", r"^/v1/blueprints/", count=1, status=503)
    credentials = PortCredentials(EMULATOR_CLIENT_ID, EMULATOR_CLIENT_SECRET)
    with verbose_calls(Output(io.StringIO(), err, {}, verbose=True)), \
            PortClient(port_emulator.base_url, credentials, sleep=lambda _s: None) as client:
        client.get_blueprint("awsAccount")
        token = client._token
    text = err.getvalue()
    assert re.search(r"^verbose: Port POST /v1/auth/access_token -> 200 in \d+ ms$", text, re.M), text
    assert re.search(r"^verbose: Port GET /v1/blueprints/awsAccount: HTTP 503; retry 1 of 4 in [\d.]+ s$",
                     text, re.M), text
    assert "verbose: Port GET /v1/blueprints/awsAccount -> 404" in text
    for secret in (EMULATOR_CLIENT_SECRET, EMULATOR_CLIENT_ID, token, "Bearer", "Authorization"):
        assert secret not in text


def test_without_verbose_the_call_lines_go_nowhere(port_emulator: PortEmulator,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    err = io.StringIO()
    credentials = PortCredentials(EMULATOR_CLIENT_ID, EMULATOR_CLIENT_SECRET)
    with verbose_calls(Output(io.StringIO(), err, {})), \
            PortClient(port_emulator.base_url, credentials) as client:
        client.get_blueprint("awsAccount")
    assert err.getvalue() == "" and capsys.readouterr() == ("", "")


def test_verbose_shows_aws_calls_without_parameters(aws_endpoint: str) -> None:
    from core.aws.clients import make_client, make_session

    err = io.StringIO()
    settings = InstallSettings(aws_endpoint_url=aws_endpoint, aws_region="eu-west-1")
    with verbose_calls(Output(io.StringIO(), err, {}, verbose=True)):
        session = make_session(settings)
        make_client(session, "sts", settings).get_caller_identity()
        sqs = make_client(session, "sqs", settings)
        with pytest.raises(sqs.exceptions.QueueDoesNotExist):
            sqs.get_queue_url(QueueName="no-such-queue-secret-name")
    text = err.getvalue()
    assert re.search(r"^verbose: AWS sts.GetCallerIdentity \(eu-west-1\) -> 200 in \d+ ms$", text, re.M), text
    assert re.search(r"^verbose: AWS sqs.GetQueueUrl \(eu-west-1\) -> 400 \S+ in \d+ ms$", text, re.M), text
    assert "no-such-queue-secret-name" not in text  # parameters are never shown


def test_errors_keep_their_word_in_colour_on_a_terminal() -> None:
    err = Tty()
    output = Output(Tty(), err, TERMINAL)
    output.problem("bad region")
    output.warning("trail not logging")
    assert err.getvalue() == "\x1b[1;31merror:\x1b[0m bad region\n\x1b[33mwarning:\x1b[0m trail not logging\n"
