"""`port-aws-wizard status | logs | redrive | uninstall`: argparse and plain-text output.

Each takes the install's settings flags (and `--answers`), so it finds the resources the
install made. Port credentials come from PORT_CLIENT_ID / PORT_CLIENT_SECRET. The work is
done by UI-free modules the wizard uses too: status_checks, log_tail, redrive, uninstall.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import threading
from collections.abc import Callable, Mapping, Sequence
from typing import Any, TextIO

from core.config.credentials import credentials_from
from core.config.settings import InstallSettings
from core.errors import InputError, WizardError, print_error
from wizard.cli.flags import add_settings_flags, settings_flags


def _settings_parser() -> argparse.ArgumentParser:
    parent = argparse.ArgumentParser(add_help=False)
    group = parent.add_argument_group("where the install is (same flags as the install)")
    add_settings_flags(group, answers_help="the install's YAML answers file", overrides={
        "queue_name": "SQS queue name, used when the stack is gone",
        "lambda_function_name": "Lambda function name, used when the stack is gone",
        "event_sources": "comma-separated event sources the rule should match (default: the stack's own)",
    })
    return parent


def _parser(prog: str, description: str) -> argparse.ArgumentParser:
    return argparse.ArgumentParser(prog=f"port-aws-wizard {prog}", description=description,
                                   parents=[_settings_parser()])


class Context:
    """What every command needs: settings, Port credentials, output streams."""

    def __init__(self, args: argparse.Namespace, environ: Mapping[str, str],
                 out: TextIO, err: TextIO) -> None:
        from wizard.cli.install import build_settings

        flags = settings_flags(args)
        self.settings: InstallSettings
        self.settings, secrets = build_settings(args.answers, flags, environ)
        self.credentials = credentials_from(environ, secrets)
        self.out, self.err = out, err

    def print(self, text: str = "") -> None:
        print(text, file=self.out, flush=True)


def _run(main: Callable[[Context, argparse.Namespace], int], parser: argparse.ArgumentParser,
         argv: Sequence[str], environ: Mapping[str, str] | None, out: TextIO | None,
         err: TextIO | None) -> int:
    out, err = out or sys.stdout, err or sys.stderr
    args = parser.parse_args(list(argv))
    try:
        context = Context(args, os.environ if environ is None else environ, out, err)
        return main(context, args)
    except WizardError as error:
        return print_error(error, err)


def _confirm(context: Context, question: str, yes: bool, stdin: TextIO | None = None) -> bool:
    """True when --yes was given or the user answers y; without a terminal, --yes is required."""
    if yes:
        return True
    stdin = stdin or sys.stdin
    if not stdin.isatty():
        raise InputError(f"{question} Not asked without a terminal: pass --yes to go ahead")
    print(f"{question} [y/N] ", end="", file=context.out, flush=True)
    return stdin.readline().strip().lower() in ("y", "yes")


# -- status --------------------------------------------------------------------------------

def status_main(argv: Sequence[str], environ: Mapping[str, str] | None = None,
                out: TextIO | None = None, err: TextIO | None = None) -> int:
    parser = _parser("status", "Check every hop of the install: rule, CloudTrail, queue, "
                     "dead-letter queue, Lambda, Port. Exit 1 when a check fails.")
    parser.add_argument("--json", action="store_true", help="print the checks as JSON")
    return _run(_status, parser, argv, environ, out, err)


def _status(context: Context, args: argparse.Namespace) -> int:
    from core.aws.stackset import find_stackset
    from core.operations.status import iter_checks

    settings = context.settings
    stackset = find_stackset(settings)
    if stackset is not None:  # a StackSet install (--stackset): its instances, per account/region
        return _stackset_status(context, args, stackset[1])
    results = []
    if not args.json:
        context.print(f"Status of stack {settings.stack_name} in {settings.aws_region}:")
    width = 22
    chosen = tuple(settings.event_sources) if args.event_sources else None
    for result in iter_checks(settings, context.credentials, expected_sources=chosen):
        results.append(result)
        if args.json:
            continue
        context.print(f"  {result.label:<4}  {result.name:<{width}} {result.figure}")
        if not result.ok:
            if result.detail:
                context.print(f"        {' ' * width} {result.detail}")
            if result.fix:
                context.print(f"        {' ' * width} fix: {result.fix}")
    failed = [result for result in results if not result.ok]
    if args.json:
        context.print(json.dumps({"ok": not failed, "stack": settings.stack_name,
                                  "region": settings.aws_region,
                                  "checks": [result.to_dict() for result in results]}, indent=2))
    elif failed:
        context.print(f"{len(failed)} of {len(results)} checks failed: "
                      + ", ".join(result.name for result in failed))
    else:
        skipped = sum(result.skipped for result in results)
        context.print("All checks passed" + (f" ({skipped} skipped)." if skipped else "."))
    return 1 if failed else 0


def _stackset_status(context: Context, args: argparse.Namespace, status: Any) -> int:
    if args.json:
        context.print(json.dumps({"ok": status.healthy, "stackset": status.to_dict()}, indent=2))
    else:
        for line in status.lines():
            context.print(line)
        context.print("All instances are current." if status.healthy else
                      "Not every instance is CURRENT: run the install again to converge them.")
    return 0 if status.healthy else 1


# -- logs ----------------------------------------------------------------------------------

def logs_main(argv: Sequence[str], environ: Mapping[str, str] | None = None,
              out: TextIO | None = None, err: TextIO | None = None,
              stop: threading.Event | None = None) -> int:
    parser = _parser("logs", "Show the forwarder's log records, one readable line each.")
    parser.add_argument("--follow", "-f", action="store_true", help="keep printing new records")
    parser.add_argument("--since", default="10m",
                        help="how far back to start: 30s, 10m, 2h, 1d (default 10m)")
    parser.add_argument("--filter", metavar="TEXT", help="only records containing every term of TEXT")
    parser.add_argument("--resync", action="store_true",
                        help="only the resync's records (one per piece, one summary per run)")
    parser.add_argument("--raw", action="store_true", help="print the records as they are")
    return _run(lambda context, args: _logs(context, args, stop), parser, argv, environ, out, err)


def _logs(context: Context, args: argparse.Namespace, stop: threading.Event | None) -> int:
    from core.aws.clients import CLIENT_CONFIG, explain_aws_error
    from core.operations.logs import LogTail, live_tail_client, log_group_arn, log_group_exists, parse_since
    from core.operations.status import AWS_ERRORS, AwsClients, locate_installation

    try:
        since = parse_since(args.since)
    except ValueError as error:
        raise InputError(str(error)) from None
    aws = AwsClients(context.settings)
    try:
        installation = locate_installation(aws, context.settings)
        logs = aws("logs")
        if not log_group_exists(logs, installation.log_group):
            raise InputError(f"log group {installation.log_group} does not exist in "
                             f"{context.settings.aws_region}: is the stack installed there? "
                             "(--stack-name, --aws-region)")
        live = None
        arn = None
        if args.follow:
            live = live_tail_client(aws.session, context.settings.aws_endpoint_url, CLIENT_CONFIG)
            arn = log_group_arn(logs, installation.log_group)
        text = " ".join(term for term in ("resync" if args.resync else "", args.filter or "") if term)
        tail = LogTail(logs, installation.log_group, since, text or None, live_client=live,
                       log_group_arn=arn)
        print(f"{installation.log_group} (since {args.since}"
              + (f", filter {text!r}" if text else "") + ")", file=context.err, flush=True)
        lines = tail.follow(stop) if args.follow else iter(tail.history())
        shown_notices = 0
        for line in lines:
            context.print(line.message if args.raw else line.text)
            while shown_notices < len(tail.notices):
                print(f"note: {tail.notices[shown_notices]}", file=context.err, flush=True)
                shown_notices += 1
        for notice in tail.notices[shown_notices:]:
            print(f"note: {notice}", file=context.err, flush=True)
    except AWS_ERRORS as error:
        raise explain_aws_error(error, "read the forwarder's logs") from None
    except KeyboardInterrupt:
        return 0
    return 0


# -- redrive -------------------------------------------------------------------------------

def redrive_main(argv: Sequence[str], environ: Mapping[str, str] | None = None,
                 out: TextIO | None = None, err: TextIO | None = None,
                 stdin: TextIO | None = None) -> int:
    parser = _parser("redrive", "Move the dead-letter queue's messages back to the event queue.")
    parser.add_argument("--yes", "-y", action="store_true", help="do not ask for confirmation")
    return _run(lambda context, args: _redrive(context, args, stdin), parser, argv, environ, out, err)


def _redrive(context: Context, args: argparse.Namespace, stdin: TextIO | None) -> int:
    from botocore.config import Config

    from core.aws.clients import explain_aws_error
    from core.operations.redrive import Redriver, dead_letter_count
    from core.operations.status import AWS_ERRORS, AwsClients, locate_installation

    aws = AwsClients(context.settings)
    try:
        found = locate_installation(aws, context.settings)
        if not (found.dlq_url and found.queue_url):
            raise InputError(f"the queues of stack {found.stack_name} were not found in "
                             f"{found.region} (--stack-name, --queue-name, --aws-region)")
        count = dead_letter_count(aws("sqs"), found.dlq_url)
        dlq_name, queue_name = found.dlq_url.rsplit("/", 1)[-1], found.queue_url.rsplit("/", 1)[-1]
        if count == 0:
            context.print(f"The dead-letter queue {dlq_name} is empty: nothing to redrive.")
            return 0
        if not _confirm(context, f"Move {count} message(s) from {dlq_name} back to {queue_name}?",
                        args.yes, stdin):
            context.print("Nothing was moved.")
            return 1
        # One attempt for the move task: where it is missing, retrying a 500 only delays the fallback.
        single_try = Config(retries={"mode": "standard", "max_attempts": 1})
        redriver = Redriver(aws("sqs"), move_task_client=aws("sqs", single_try, "single-try"),
                            report=lambda line: context.print(f"  {line}"))
        result = redriver.redrive(found.dlq_url, found.dlq_arn, found.queue_url, found.queue_arn, count)
    except AWS_ERRORS as error:
        raise explain_aws_error(error, "redrive the dead-letter queue") from None
    context.print(f"Moved {result.moved} message(s) from {dlq_name} to {queue_name} "
                  f"using the {result.method}." + (f" {result.note}." if result.note else ""))
    if result.failed or result.status not in ("COMPLETED",):
        context.print(f"Not all were moved ({result.failed} failed, task {result.status}); "
                      "run redrive again.")
        return 1
    return 0


# -- uninstall -----------------------------------------------------------------------------

def uninstall_main(argv: Sequence[str], environ: Mapping[str, str] | None = None,
                   out: TextIO | None = None, err: TextIO | None = None,
                   stdin: TextIO | None = None) -> int:
    parser = _parser("uninstall", "Delete the stack; with --remove-port-resources also the "
                     "webhook and the integration in Port.")
    parser.add_argument("--remove-port-resources", action="store_true",
                        help="also delete the Port webhook and integration")
    parser.add_argument("--delete-blueprints", action="store_true",
                        help="also delete the blueprints that have no entities (implies "
                        "--remove-port-resources)")
    parser.add_argument("--dry-run", action="store_true", help="show the plan; delete nothing")
    parser.add_argument("--yes", "-y", action="store_true", help="do not ask for confirmation")
    return _run(lambda context, args: _uninstall(context, args, stdin), parser, argv, environ, out, err)


def _uninstall(context: Context, args: argparse.Namespace, stdin: TextIO | None) -> int:
    from core.operations.uninstall import Uninstaller
    from core.progress import Change
    from wizard.cli.render import ConsoleReporter

    uninstaller = Uninstaller(context.settings, context.credentials, ConsoleReporter(context.out),
                              remove_port_resources=args.remove_port_resources,
                              delete_blueprints=args.delete_blueprints)
    plan = uninstaller.plan()
    stackset = _plan_stackset_delete(context, plan)
    if plan.nothing_to_remove:
        context.print("Nothing to remove:")
        for item in plan.items:
            context.print(f"  {item.kind} {item.name}: {item.detail}")
        if not uninstaller.remove_port_resources:
            context.print("(Port objects are kept unless --remove-port-resources is given.)")
        return 0
    context.print("Plan:" if args.dry_run else "Will remove:")
    for item in plan.items:
        verb = "delete" if item.change is Change.DELETE else "keep"
        detail = f"  ({item.detail})" if item.detail else ""
        context.print(f"  {verb:<6} {item.target:<4} {item.kind:<11} {item.name}{detail}")
    if not uninstaller.remove_port_resources:
        context.print("  keep   port webhook, integration and blueprints (--remove-port-resources)")
    if args.dry_run:
        context.print("Dry run: nothing was deleted.")
        return 0
    if not _confirm(context, "Delete these?", args.yes, stdin):
        context.print("Nothing was deleted.")
        return 1
    if stackset is not None:  # instances first, then the set; then Port as planned
        from core.aws.stackset import delete_stackset

        delete_stackset(stackset[0], stackset[1].name, ConsoleReporter(context.out))
    result = uninstaller.run(plan)
    if stackset is not None:
        result.removed.insert(0, f"StackSet {stackset[1].name} ({len(stackset[1].instances)} instances)")
    context.print("Removed: " + (", ".join(result.removed) or "nothing"))
    for identifier, reason in result.kept_blueprints.items():
        context.print(f"Kept blueprint {identifier}: {reason}")
    return 0


def _plan_stackset_delete(context: Context, plan: Any) -> Any:
    """A StackSet install: list its instances and the set in the plan (replacing "stack not found")."""
    from core.aws.stackset import find_stackset
    from core.progress import Change, PlanItem

    found = None if plan.stack_id else find_stackset(context.settings)
    if found is None:
        return None
    status = found[1]
    plan.items[:] = [item for item in plan.items if item.kind != "stack"]
    instances = [PlanItem("aws", "instance", instance.label, Change.DELETE, instance.status)
                 for instance in status.instances]
    detail = f"{status.permission_model}; after its {len(instances)} instance(s)"
    plan.items[:0] = [*instances, PlanItem("aws", "stackset", status.name, Change.DELETE, detail)]
    return found
