"""`--json` on the install, sync, uninstall and redrive, through the real console entry point against
moto and the Port emulator: one document on stdout, progress on stderr, the usual exit codes."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.support.moto_server import unique_name
from wizard.cli import main as cli


@pytest.fixture
def console_env(port_env: dict[str, str], aws_endpoint: str, monkeypatch: pytest.MonkeyPatch
                ) -> dict[str, str]:
    """The process environment the console reads: Port credentials and moto as AWS."""
    env = {**port_env, "AWS_ENDPOINT_URL": aws_endpoint}
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return env


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, dict[str, Any], str]:
    code = cli.main(list(argv))
    captured = capsys.readouterr()
    return code, json.loads(captured.out), captured.err


def test_install_plan_then_result_then_no_change(console_env: dict[str, str],
                                                capsys: pytest.CaptureFixture[str]) -> None:
    names = ["--stack-name", unique_name("stack"), "--queue-name", unique_name("q"),
             "--lambda-function-name", unique_name("fn"), "--event-sources", "aws.sqs"]

    code, plan, err = run(capsys, *names, "--dry-run", "--json")
    assert code == 0, err
    assert (plan["ok"], plan["dry_run"], plan["changed"]) == (True, True, True)
    assert {"target": "port", "kind": "blueprint", "name": "awsAccount", "change": "create",
            "detail": ""} in plan["items"]
    assert plan["stack"] == {"name": names[1], "region": "us-east-1", "status": None, "outputs": {}}
    assert err.startswith("Plan:\n") and "Dry run: nothing was changed" in err

    code, done, err = run(capsys, "--json", *names)
    assert code == 0, err
    assert (done["ok"], done["dry_run"], done["changed"]) == (True, False, True)
    assert done["stack"]["status"] == "CREATE_COMPLETE"
    assert isinstance(done["stack"]["outputs"], dict)  # plain moto leaves a stack's Outputs out
    url = done["webhook"]["url"]
    assert url.endswith("/" + url.rsplit("/", 1)[1][:4] + "*" * 8), url  # the key is masked
    assert "Stack events:" in err and "Webhook ingest URL" in err
    assert set(done) == set(plan)  # one shape for the plan and the result

    code, again, _err = run(capsys, *names, "--json", "--quiet")
    assert code == 0 and again["changed"] is False
    assert {item["change"] for item in again["items"]} == {"no change"}

    code, moved, err = run(capsys, "redrive", *names[:6], "--json", "--yes")
    assert code == 0, err
    assert moved == {"ok": True, "dead_letter_queue": names[3] + "-dlq", "queue": names[3], "found": 0,
                     "moved": 0, "failed": 0, "method": None, "status": None, "note": "",
                     "cancelled": False}

    code, synced, err = run(capsys, "sync", "--event-sources", "aws.sqs", "--json")
    assert code == 0, err
    assert synced["ok"] is True and synced["regions"] == ["us-east-1"]
    assert synced["counts"].get("AWS::SQS::Queue", 0) >= 2  # the install's queue and its DLQ at least
    assert synced["errors"] == [] and "Synced" in err

    code, planned, err = run(capsys, "uninstall", *names[:6], "--dry-run", "--json")
    assert code == 0, err
    assert planned["dry_run"] is True and planned["removed"] == []
    rows = [(item["target"], item["kind"], item["name"], item["change"]) for item in planned["plan"]]
    assert ("aws", "stack", names[1], "delete") in rows, rows

    code, removed, err = run(capsys, "--json", "uninstall", "--yes", *names[:6])
    assert code == 0, err
    assert removed["ok"] is True and any(names[1] in entry for entry in removed["removed"])


def test_bad_input_is_the_failure_document_and_exit_2(console_env: dict[str, str],
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    code, document, err = run(capsys, "--json", "--dry-run", "--aws-region", "nowhere",
                              "--event-sources", "aws.nope")
    assert code == 2
    assert document["ok"] is False and document["exit_code"] == 2
    assert document["error"]["type"] == "InputError"
    problems = document["error"]["problems"]
    assert len(problems) == 2 and "nowhere" in problems[0] and "aws.nope" in problems[1]
    assert err.splitlines() == [f"error: {problem}" for problem in problems]


def test_a_failed_install_lists_what_was_done(console_env: dict[str, str],
                                             capsys: pytest.CaptureFixture[str]) -> None:
    code, document, err = run(capsys, "--port-only", "--json", "--port-base-url",
                              "https://no-such-host.invalid")
    assert code == 1
    assert document["error"]["type"] == "PortUnreachableError"
    assert document["completed"] == [] and "--port-base-url" in document["error"]["message"]
    assert "\nerror: could not reach Port at https://no-such-host.invalid" in err


def test_the_same_commands_without_json_print_no_document(console_env: dict[str, str],
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    code = cli.main(["redrive", "--stack-name", unique_name("none"), "--yes"])
    captured = capsys.readouterr()
    assert code == 2 and captured.out == ""
    assert captured.err.startswith("error: ")
