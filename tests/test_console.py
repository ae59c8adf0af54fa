"""Console conventions: --version, no abbreviations, AWS CLI aliases, "did you mean", options on either
side of the subcommand, and the --json failure document for a refused command line."""

from __future__ import annotations

import argparse
import importlib
import json
import re
import subprocess
import sys
from typing import Any

import pytest

from wizard.cli import main as cli
from wizard.cli.main import INSTALL_FLAGS, SUBCOMMANDS, build_parser
from wizard.cli.parsing import locate_subcommand, option_takes_value


def parsers() -> list[tuple[str, argparse.ArgumentParser]]:
    """The main parser, every subcommand's and their own subparsers (mapping preview)."""
    found = [("port-aws-wizard", build_parser())]
    for name, (target, _help) in SUBCOMMANDS.items():
        module = importlib.import_module(target.partition(":")[0])
        found.append((name, module.build_parser()))
    for _name, parser in list(found):
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                found += list(action.choices.items())
    return found


def exit_of(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    try:
        code = cli.main(argv)
    except SystemExit as stop:
        code = int(stop.code or 0)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _err = exit_of(["--version"], capsys)
    assert code == 0
    assert re.fullmatch(r"port-aws-wizard \d+\.\d+\.\d+ \(Python 3\.\d+\.\d+\)\n", out), out
    assert exit_of(["status", "--version"], capsys)[1] == out  # every command knows it


def test_no_parser_takes_abbreviations() -> None:
    for name, parser in parsers():
        assert parser.allow_abbrev is False, name


def test_every_command_takes_the_console_options() -> None:
    for name, parser in parsers():
        if name == "mapping":  # its options live on `mapping preview`; --version/-v/-q are on both
            continue
        options = parser._option_string_actions
        assert {"--version", "-v", "--verbose", "-q", "--quiet"} <= set(options), name


@pytest.mark.parametrize("name", ["port-aws-wizard", "status", "sync", "uninstall", "redrive"])
def test_json_on_the_commands_with_a_result(name: str) -> None:
    assert "--json" in dict(parsers())[name]._option_string_actions


def test_a_prefix_is_refused_with_the_option_it_resembles(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = exit_of(["--regio", "eu-west-1", "--dry-run"], capsys)
    assert (code, out) == (2, "")
    assert err == ("usage: port-aws-wizard [options]\n"
                   "port-aws-wizard: error: unrecognized arguments: --regio eu-west-1 "
                   "(did you mean --region?)\n"
                   "Run `port-aws-wizard --help` for the options.\n")


def test_region_and_profile_are_aliases_never_stackset_regions() -> None:
    args = build_parser().parse_args(["--region", "eu-west-1", "--profile", "dev"])
    assert (args.aws_region, args.aws_profile, args.regions) == ("eu-west-1", "dev", None)
    for name in ("status", "sync", "logs", "uninstall", "redrive", "troubleshoot"):
        args = dict(parsers())[name].parse_args(["--region", "eu-west-1", "--profile", "dev"])
        assert (args.aws_region, args.aws_profile) == ("eu-west-1", "dev"), name


def test_unknown_subcommand_names_the_closest_and_the_list(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = exit_of(["statsu"], capsys)
    assert (code, out) == (2, "")
    assert err == ("port-aws-wizard: error: unknown subcommand 'statsu'; did you mean 'status'?\n"
                   "subcommands: mapping, status, logs, redrive, uninstall, troubleshoot, sync, sandbox\n"
                   "Run `port-aws-wizard --help` for the options.\n")
    code, _out, err = exit_of(["--aws-region", "eu-west-1", "frobnicate"], capsys)
    assert code == 2 and err.startswith("port-aws-wizard: error: unknown subcommand 'frobnicate'\n")


@pytest.fixture
def calls(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, list[str]]]:
    """The subcommand each command line reached, with the argv it got (nothing runs)."""
    seen: list[tuple[str, list[str]]] = []

    def fake(name: str, argv: list[str]) -> int:
        seen.append((name, argv))
        return 0
    monkeypatch.setattr(cli, "_run_subcommand", fake)
    return seen


def parsed(name: str, argv: list[str]) -> dict[str, Any]:
    return vars(dict(parsers())[name].parse_args(argv))


@pytest.mark.parametrize(("before", "after"), [
    (["--aws-region", "eu-west-1", "status"], ["status", "--aws-region", "eu-west-1"]),
    (["--region=eu-west-1", "-q", "status", "--json"], ["status", "--json", "--region", "eu-west-1", "-q"]),
    (["--stack-name", "status", "--json", "uninstall", "--yes"],
     ["uninstall", "--yes", "--json", "--stack-name", "status"]),
    (["--since", "10m", "logs", "--follow"], ["logs", "--follow", "--since", "10m"]),
    (["-v", "mapping", "preview", "event.json"], ["mapping", "preview", "event.json", "-v"]),
])
def test_options_before_or_after_the_subcommand_are_the_same_command(
        calls: list[tuple[str, list[str]]], before: list[str], after: list[str]) -> None:
    assert cli.main(before) == 0 and cli.main(after) == 0
    (first, first_argv), (second, second_argv) = calls
    assert first == second
    assert parsed(first, first_argv) == parsed(second, second_argv)


def test_a_value_that_looks_like_a_subcommand_stays_a_value(monkeypatch: pytest.MonkeyPatch,
                                                              calls: list[Any]) -> None:
    installs: list[dict[str, object]] = []
    monkeypatch.setattr(cli, "run_install", lambda answers, flags, output: installs.append(flags) or 0)
    assert cli.main(["--stack-name", "status", "--dry-run"]) == 0
    assert calls == [] and installs[0]["stack_name"] == "status"


def test_locate_subcommand_skips_option_values() -> None:
    takes_value = option_takes_value(build_parser())
    assert locate_subcommand(["--answers", "sync", "status"], SUBCOMMANDS, takes_value) == (2, None)
    assert locate_subcommand(["--dry-run", "statsu"], SUBCOMMANDS, takes_value) == (None, 1)
    assert locate_subcommand(["--regoin", "x"], SUBCOMMANDS, takes_value) == (None, None)  # its value
    assert locate_subcommand(["--", "status"], SUBCOMMANDS, takes_value) == (None, None)


def test_refused_command_lines_with_json_also_print_the_failure_document(
        capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = exit_of(["--json", "statsu"], capsys)
    assert code == 2 and "did you mean 'status'" in err
    message = "unknown subcommand 'statsu'"
    assert json.loads(out) == {"ok": False, "exit_code": 2,
                               "error": {"type": "UsageError", "message": message, "problems": [message]}}
    code, out, _err = exit_of(["sync", "--json", "--prnue"], capsys)
    document = json.loads(out)
    assert code == 2 and document["exit_code"] == 2 and document["error"]["type"] == "UsageError"
    assert document["error"]["message"] == "unrecognized arguments: --prnue (did you mean --prune?)"


def test_verbose_and_quiet_exclude_each_other(capsys: pytest.CaptureFixture[str]) -> None:
    code, _out, err = exit_of(["-v", "-q", "--dry-run"], capsys)
    assert code == 2 and "not allowed with argument" in err


def test_help_names_the_subcommands_and_imports_neither_rich_nor_boto3() -> None:
    heavy = "('rich', 'textual', 'boto3', 'botocore', 'questionary', 'httpx')"
    probe = ("import sys\nfrom wizard.cli.main import main\ntry:\n    main(['--help'])\nexcept SystemExit:\n"
             f"    pass\nprint(sorted(m for m in {heavy} if m in sys.modules), file=sys.stderr)")
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60)
    assert result.stderr.strip() == "[]"
    assert "subcommands:" in result.stdout and "  status " in result.stdout
    assert "--region" in result.stdout and "--json" in result.stdout and "--quiet" in result.stdout


def test_install_flags_are_the_parser_dests() -> None:
    args = build_parser().parse_args([])
    assert set(INSTALL_FLAGS) <= set(vars(args))


def test_mapping_preview_json_errors_are_the_failure_document(tmp_path: Any,
                                                              capsys: pytest.CaptureFixture[str]) -> None:
    broken = tmp_path / "event.json"
    broken.write_text("{not json")
    code, out, err = exit_of(["mapping", "preview", str(broken), "--json"], capsys)
    document = json.loads(out)
    assert code == 2 and err.startswith("error: ") and err.count("\n") == 1
    assert document["ok"] is False and document["error"]["type"] == "PreviewInputError"
    assert document["error"]["message"] == err[len("error: "):].strip()
