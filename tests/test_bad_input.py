"""Every class of bad input: exit 2, one line on stderr, no traceback, within 2 s, no request.

Each case runs the real console entry point (`wizard.cli.main.main`) in-process with Port
pointing at the emulator and AWS at moto's server, so any request it made would show in
the emulator's log or moto's recorder: both must stay empty. The same table prints as
the issue's closing note with `python -m tests.test_bad_input`.
"""

from __future__ import annotations

import contextlib
import io
import os
import re
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

from core.emulator import PortEmulator
from tests.support.port import EMULATOR_CLIENT_ID, EMULATOR_CLIENT_SECRET

LONG = "q" * 77


@dataclass(frozen=True)
class Case:
    name: str  # the class and what is wrong
    argv: tuple[str, ...]  # {placeholders} name files made by make_inputs; {pipe:TEXT} is a fresh pipe
    expected: str  # a part of the one stderr line
    env: dict[str, str | None] = field(default_factory=dict)  # None unsets a variable


def case(name: str, argv: str | list[str], expected: str, **env: str | None) -> Case:
    return Case(name, tuple(argv.split() if isinstance(argv, str) else argv), expected, env)


CASES: list[Case] = [
    # -- answers files: read once, bounded, safe YAML --------------------------------------
    case("answers: missing file", "--answers {missing} --dry-run", "cannot read answers file"),
    case("answers: a directory", "--answers {dir} --dry-run", "is a directory"),
    case("answers: /dev/zero", "--answers /dev/zero --dry-run", "a device or socket"),
    case("answers: FIFO with no writer", "--answers {fifo} --dry-run", "a pipe that sent nothing"),
    case("answers: 100 MB file", "--answers {huge} --dry-run", "larger than 1 MiB"),
    case("answers: binary", "--answers {binary} --dry-run", "is binary, not YAML text"),
    case("answers: Latin-1 bytes", "--answers {latin1} --dry-run", "is not UTF-8 text (byte 0xe9"),
    case("answers: control character", "--answers {control} --dry-run", "control character U+0007"),
    case("answers: !!python tag", "--answers {python_tag} --dry-run",
         "the tag !!python/object/apply:os.system is not allowed"),
    case("answers: unknown tag", "--answers {unknown_tag} --dry-run", "the tag !vault is not allowed"),
    case("answers: alias bomb", "--answers {alias_bomb} --dry-run", "anchors and aliases"),
    case("answers: duplicate key", "--answers {duplicate} --dry-run",
         "key 'aws_region' appears twice (first on line 1)"),
    case("answers: same key, two spellings", "--answers {duplicate_spelling} --dry-run",
         "sets stack_name again"),
    case("answers: 100k-deep nesting", "--answers {deep} --dry-run", "nested more than 16 levels"),
    case("answers: a list, not a mapping", "--answers {a_list} --dry-run", "must be a mapping"),
    case("answers: unknown key", "--answers {unknown_key} --dry-run", ":1: unknown key 'stack_nmae'"),
    case("answers: secret in the clear", "--answers {secret} --dry-run", "holds a secret in the clear"),
    case("answers: malformed YAML", "--answers {malformed} --dry-run",
         "is not valid YAML: line 3: expected ',' or ']'"),
    case("answers: <(...) pipe, read once", ["--answers", "{pipe:stack_name: 1bad}", "--dry-run"],
         "stack name '1bad' is invalid"),
    case("answers: empty pipe", "--answers {pipe:} --dry-run", "a pipe that held no data"),
    case("answers: a value names the file it came from", "--answers {long_queue} --dry-run",
         "long-queue.yml: queue name 'qqqq"),
    # -- offline checks before any request, in every mode ---------------------------------
    case("region: does not exist (--dry-run)", "--aws-region us-nowhere-1 --dry-run",
         "AWS region 'us-nowhere-1' does not exist"),
    case("region: does not exist (--port-only)", "--aws-region eu-west-9 --port-only",
         "did you mean eu-west-1"),
    case("region: does not exist (install)", "--aws-region ap-nowhere-1", "does not exist"),
    case("region: malformed", "--aws-region useast1 --dry-run", "'useast1' is malformed"),
    case("profile: not in the AWS config", "--aws-profile nosuchprofile --dry-run",
         "AWS profile 'nosuchprofile' is not in your AWS config"),
    case("names: 77-character queue (--port-only)", f"--queue-name {LONG} --port-only", "use 1-76 letters"),
    case("names: 65-character function", f"--lambda-function-name {'f' * 65} --dry-run",
         "Lambda function name"),
    case("names: a 100k-character stack name", f"--stack-name {'s' * 100_000} --dry-run",
         "characters left out)"),
    case("names: stack name", "--stack-name 1stack --dry-run", "CloudFormation needs a letter first"),
    case("names: batch size over the template's 100", "--answers {batch} --dry-run",
         "batch size 101 is out of range: 1-100"),
    case("credentials: missing (no terminal to ask)", "--aws-region eu-west-1",
         "PORT_CLIENT_ID, PORT_CLIENT_SECRET are missing", PORT_CLIENT_ID=None, PORT_CLIENT_SECRET=None),
    case("event sources: unknown", "--event-sources aws.ec2,aws.dynamo --port-only",
         "unknown event source(s): aws.dynamo"),
    case("StackSet: region does not exist",
         "--stackset --accounts 111111111111 --regions us-east-1,eu-nowhere-1 --dry-run",
         "AWS region 'eu-nowhere-1' does not exist"),
    # -- URLs --------------------------------------------------------------------------------
    case("Port URL: plain http to a remote host", "--port-base-url http://api.getport.io --dry-run",
         "uses plain http to a remote host"),
    case("Port URL: user:password@", "--port-base-url https://me:pw@api.getport.io --dry-run",
         "carries a user name or password"),
    case("Port URL: port out of range", "--port-base-url https://api.getport.io:99999 --dry-run",
         "invalid host or port"),
    case("Port URL: no host", "--port-base-url https:///v1 --dry-run", "not an http(s) URL with a host"),
    case("webhook URL: plain http", "--webhook http://ingest.getport.io/SeCrEtKeY --dry-run",
         "'http://ingest.getport.io/SeCr********' uses plain http"),
    case("webhook URL: user:password@", "--webhook https://me:pw@ingest.getport.io/SeCrEtKeY --dry-run",
         "carries a user name or password"),
    case("webhook URL: bad port", "--webhook https://ingest.getport.io:0/SeCrEtKeY --dry-run",
         "has port 0"),
    case("webhook URL: no key", "--webhook https://ingest.getport.io/ --dry-run", "has no webhook key"),
    # -- the environment ---------------------------------------------------------------------
    case("env: PORT_BASE_URL plain http", "--dry-run",
         "environment variable PORT_BASE_URL: Port base URL 'http://api.getport.io' uses plain http",
         PORT_BASE_URL="http://api.getport.io"),
    case("env: AWS_REGION does not exist", "--dry-run",
         "environment variable AWS_REGION: AWS region 'us-nowhere-1' does not exist",
         AWS_REGION="us-nowhere-1"),
    case("env: AWS_DEFAULT_REGION malformed", "--port-only",
         "environment variable AWS_DEFAULT_REGION: AWS region 'europe' is malformed",
         AWS_DEFAULT_REGION="europe"),
    case("env: AWS_PROFILE not configured", "--dry-run",
         "environment variable AWS_PROFILE: AWS profile 'ghost' is not in your AWS config",
         AWS_PROFILE="ghost"),
    case("env: AWS_ENDPOINT_URL without a scheme", "--dry-run",
         "environment variable AWS_ENDPOINT_URL: AWS endpoint URL 'localhost:4566'",
         AWS_ENDPOINT_URL="localhost:4566"),
    # -- the other commands ------------------------------------------------------------------
    case("mapping preview: binary event", "mapping preview {binary}", "is not UTF-8 text"),
    case("mapping preview: 100k-deep JSON", "mapping preview {deep_json}", "nested too deeply"),
    case("mapping preview: 100-deep JSON", "mapping preview {deep100_json}", "nested more than 64 levels"),
    case("mapping preview: not an object", "mapping preview {json_list}", "expected a JSON object"),
    case("mapping preview: /dev/zero", "mapping preview /dev/zero", "a device or socket"),
    case("mapping preview: 100 MB file", "mapping preview {huge}", "larger than 1 MiB"),
    case("status: binary answers file", "status --answers {binary}", "is binary, not YAML text"),
    case("status: unknown region", "status --aws-region us-nowhere-1", "does not exist"),
    case("status: StackSet region unknown",
         "status --stackset --accounts 111111111111 --regions xx-nowhere-1", "'xx-nowhere-1' does not exist"),
    case("sync: unknown region", "sync --aws-region us-nowhere-1", "does not exist"),
    case("sync: unknown --regions", "sync --regions us-east-1,us-east-9", "'us-east-9' does not exist"),
    case("sync: binary answers file", "sync --answers {binary}", "is binary"),
    case("uninstall: alias bomb answers", "uninstall --answers {alias_bomb} --yes", "anchors and aliases"),
    case("uninstall: unknown region", "uninstall --aws-region eu-nowhere-1 --dry-run", "does not exist"),
    case("uninstall: Port objects without Port credentials", "uninstall --remove-port-resources --yes",
         "Port credentials are missing", PORT_CLIENT_ID=None, PORT_CLIENT_SECRET=None),
    case("sync: without Port credentials", "sync", "Port credentials are missing", PORT_CLIENT_SECRET=None),
    case("logs: --since not a duration", "logs --since 10x", "--since '10x' is not a duration"),
    case("logs: unknown region", "logs --aws-region us-nowhere-1", "does not exist"),
    case("redrive: FIFO answers with no writer", "redrive --answers {fifo2} --yes",
         "a pipe that sent nothing"),
    case("redrive: unknown profile", "redrive --aws-profile ghost --yes", "AWS profile 'ghost'"),
]


def make_inputs(directory: Path) -> dict[str, str]:
    """The bad files the cases name, made once."""
    def write(name: str, data: bytes | str) -> str:
        path = directory / name
        path.write_bytes(data if isinstance(data, bytes) else data.encode())
        return str(path)

    huge = directory / "huge.yml"
    with huge.open("wb") as handle:  # sparse: 100 MB without writing them
        handle.truncate(100 * 1024 * 1024)
    for fifo in ("answers.fifo", "answers2.fifo"):  # a pipe is read once per process: one per case
        os.mkfifo(directory / fifo)
    (directory / "a-directory").mkdir()
    return {
        "missing": str(directory / "nope.yml"), "dir": str(directory / "a-directory"),
        "fifo": str(directory / "answers.fifo"), "fifo2": str(directory / "answers2.fifo"),
        "huge": str(huge),
        "binary": write("binary.yml", bytes(range(256)) * 4),
        "latin1": write("latin1.yml", "stack_name: caf\u00e9\n".encode("latin-1")),
        "control": write("control.yml", "stack_name: a\x07b\n"),
        "python_tag": write("python.yml", 'aws_region: !!python/object/apply:os.system ["touch PWNED"]\n'),
        "unknown_tag": write("tag.yml", "aws_region: !vault eu-west-1\n"),
        "alias_bomb": write("bomb.yml", "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
            f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join([f'*{chr(97 + i)}'] * 9)}]\n" for i in range(8))),
        "duplicate": write("duplicate.yml", "aws_region: eu-west-1\naws_region: us-east-1\n"),
        "duplicate_spelling": write("spelling.yml", "stack-name: a\nstack_name: b\n"),
        "deep": write("deep.yml", "event_sources: " + "[" * 100_000 + "]" * 100_000 + "\n"),
        "a_list": write("list.yml", "- aws_region: eu-west-1\n"),
        "unknown_key": write("unknown.yml", "stack_nmae: my-stack\n"),
        "secret": write("secret.yml", "port_client_secret: abcdefghijklmnop1234\n"),
        "malformed": write("malformed.yml", "aws_region: eu-west-1\nevent_sources: [aws.ec2\n"),
        "long_queue": write("long-queue.yml", f"queue_name: {LONG}\n"),
        "batch": write("batch.yml", "batch_size: 101\n"),
        "deep_json": write("deep.json", "[" * 100_000 + "]" * 100_000),
        "deep100_json": write("deep100.json", '{"a": ' * 100 + "1" + "}" * 100),
        "json_list": write("list.json", "[1, 2]"),
    }


@dataclass
class Outcome:
    code: int
    out: str
    err: str
    seconds: float


def run_case(item: Case, inputs: dict[str, str], base_env: dict[str, str]) -> Outcome:
    """Run one case in this process with its environment; pipes are made fresh."""
    from wizard.cli.main import main

    pipes: list[int] = []
    argv = []
    for argument in item.argv:
        if argument.startswith("{pipe:"):
            read_end, write_end = os.pipe()
            os.write(write_end, argument[len("{pipe:"):-1].encode())
            os.close(write_end)
            pipes.append(read_end)
            argv.append(f"/dev/fd/{read_end}")
        else:
            argv.append(argument.format(**inputs))
    env = {**base_env, **item.env}
    saved = dict(os.environ)
    os.environ.clear()
    os.environ.update({name: value for name, value in env.items() if value is not None})
    out, err = io.StringIO(), io.StringIO()
    started = time.monotonic()
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                code = main(argv)
            except SystemExit as stop:  # argparse
                code = int(stop.code or 0)
    finally:
        seconds = time.monotonic() - started
        os.environ.clear()
        os.environ.update(saved)
        for descriptor in pipes:
            os.close(descriptor)
    return Outcome(code, out.getvalue(), err.getvalue(), seconds)


def base_environment(port_url: str, aws_endpoint: str, directory: Path) -> dict[str, str]:
    """Credentials set, Port and AWS local; no AWS profile or region from this machine."""
    (directory / "aws-config").write_text("")
    keep = {name: value for name, value in os.environ.items()
            if not name.startswith(("AWS_", "PORT_"))}
    return {**keep, "PORT_CLIENT_ID": EMULATOR_CLIENT_ID, "PORT_CLIENT_SECRET": EMULATOR_CLIENT_SECRET,
            "PORT_BASE_URL": port_url, "AWS_ENDPOINT_URL": aws_endpoint,
            "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_DEFAULT_REGION": "us-east-1", "AWS_EC2_METADATA_DISABLED": "true",
            "AWS_CONFIG_FILE": str(directory / "aws-config"),
            "AWS_SHARED_CREDENTIALS_FILE": str(directory / "aws-config")}


@pytest.fixture(scope="module")
def inputs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    return make_inputs(tmp_path_factory.mktemp("bad-input"))


@pytest.fixture
def recording(aws_endpoint: str) -> Iterator[httpx.Client]:
    """moto's recorder on: what it holds after a case is every AWS request the case made."""
    with httpx.Client(base_url=f"{aws_endpoint}/moto-api/recorder", timeout=10) as recorder:
        recorder.post("/reset-recording")
        recorder.post("/start-recording")
        yield recorder
        recorder.post("/stop-recording")


@pytest.mark.parametrize("item", CASES, ids=[c.name for c in CASES])
def test_bad_input_is_refused_at_once_in_one_line_touching_nothing(
        item: Case, inputs: dict[str, str], port_emulator: PortEmulator, aws_endpoint: str,
        recording: httpx.Client, tmp_path: Path) -> None:
    before = len(port_emulator.requests)

    outcome = run_case(item, inputs, base_environment(port_emulator.base_url, aws_endpoint, tmp_path))

    lines = outcome.err.splitlines()
    assert outcome.code == 2, outcome.err
    assert len(lines) == 1 and lines[0].startswith("error: "), outcome.err
    assert item.expected in lines[0]
    assert "Traceback" not in outcome.err + outcome.out
    assert "SeCrEtKeY" not in outcome.err and ":pw@" not in outcome.err
    assert outcome.seconds < 2.0, f"{outcome.seconds:.2f} s"
    assert port_emulator.requests[before:] == []
    assert recording.get("/download-recording").text.strip() == ""
    assert not Path("PWNED").exists()


def test_every_class_of_the_issue_has_cases() -> None:
    classes = {c.name.split(":")[0] for c in CASES}
    assert {"answers", "region", "profile", "names", "event sources", "StackSet", "Port URL",
            "webhook URL", "env", "mapping preview", "status", "sync", "uninstall", "logs",
            "redrive"} <= classes


def test_answers_from_process_substitution_are_read_once_and_used(
        port_emulator: PortEmulator, aws_endpoint: str, tmp_path: Path) -> None:
    """`--answers <(cat file)`: the prompts' look and the install read the same bytes."""
    answers = tmp_path / "answers.yml"
    answers.write_text("stack_name: from-the-pipe\nqueue_name: piped-queue\nevent_sources: [aws.ec2]\n")
    env = base_environment(port_emulator.base_url, aws_endpoint, tmp_path)
    done = __import__("subprocess").run(
        ["bash", "-c", '"$0" -m wizard --answers <(cat "$1") --dry-run', sys.executable, str(answers)],
        env=env, capture_output=True, text=True, timeout=60, cwd=Path(__file__).parent.parent)
    assert done.returncode == 0, done.stderr
    assert re.search(r"stack\s+from-the-pipe", done.stdout), done.stdout


def _short(argument: str) -> str:
    return argument if len(argument) <= 80 else f"{argument[:8]}...({len(argument)} characters)"


def print_table() -> None:
    """The closing note's table: each input, its exit code and the line it printed."""
    import tempfile

    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    try:
        with PortEmulator(EMULATOR_CLIENT_ID, EMULATOR_CLIENT_SECRET) as emulator, \
                tempfile.TemporaryDirectory() as scratch:
            directory = Path(scratch)
            inputs = make_inputs(directory)
            env = base_environment(emulator.base_url, f"http://{host}:{port}", directory)
            print("| class: input | command line | exit | seconds | stderr |")
            print("|---|---|---|---|---|")
            for item in CASES:
                outcome = run_case(item, inputs, env)
                arguments = (a if a.startswith("{pipe:") else a.format(**inputs) for a in item.argv)
                shown = " ".join(map(_short, arguments)).replace(str(directory) + "/", "")
                if item.env:
                    shown = " ".join(f"{k}={v}" for k, v in item.env.items()) + " " + shown
                line = outcome.err.strip().replace("|", "\\|").replace("\n", " / ")
                print(f"| {item.name} | `{shown}` | {outcome.code} | {outcome.seconds:.2f} | {line} |")
    finally:
        server.stop()


if __name__ == "__main__":
    print_table()
