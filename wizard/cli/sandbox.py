"""`port-aws-wizard sandbox`: the whole install and N sample events, locally, in plain text.

Starts the sandbox (moto + the Port emulator), runs the same install as
`port-aws-wizard --answers ...` with the console reporter, puts N sample events on
EventBridge, waits until each has an outcome, then prints the counters of every hop, what
became of each event and the entities in Port. Exit code 0 only when every event ended as
the entity change or the filter rejection its sample expects.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence
from typing import TYPE_CHECKING, TextIO

from core.polling import Polling
from core.sandbox.availability import SANDBOX_EXTRA
from core.sandbox.environment import SandboxOptions
from wizard.cli.output import Output
from wizard.cli.parsing import add_console_options, new_parser
from wizard.cli.style import join

if TYPE_CHECKING:
    from core.sandbox.counters import CounterSnapshot
    from core.sandbox.flow import SandboxFlow

EXIT_UNEXPECTED = 1


def build_parser() -> argparse.ArgumentParser:
    parser = new_parser(
        "sandbox", "Install into a local AWS (moto) and Port (emulator), then send sample AWS events "
                   "through EventBridge -> SQS -> the forwarder -> Port and show what arrived. Needs the "
                   f"sandbox extra: {SANDBOX_EXTRA}.")
    parser.add_argument("--events", type=int, default=None, metavar="N",
                        help="sample events to send (default: one round: a create per source, "
                             "a delete and a rejected event)")
    parser.add_argument("--answers", metavar="FILE", help="YAML answers file for the install")
    parser.add_argument("--event-sources", help="comma-separated AWS event sources (default: all)")
    parser.add_argument("--timeout", type=float, default=60.0, metavar="SECONDS",
                        help="give up waiting for the events after this long (default: 60)")
    parser.add_argument("--resource-delay", type=float, default=SandboxOptions.resource_delay,
                        metavar="SECONDS", help="how long each stack resource takes to create "
                        f"(default: {SandboxOptions.resource_delay}; 0 for instant)")
    parser.add_argument("--fail-ingest", type=float, default=0.0, metavar="RATIO",
                        help="make the Port emulator fail this share of ingests for --fail-seconds")
    parser.add_argument("--fail-seconds", type=float, default=5.0, metavar="SECONDS")
    add_console_options(parser)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(list(sys.argv[1:] if argv is None else argv))
    output = Output.from_args(args)
    if (missing := unavailable(output)) is not None:
        return missing
    flags = {"event_sources": args.event_sources}
    options = SandboxOptions(resource_delay=max(0.0, args.resource_delay))
    return run_headless(args.answers, flags, args.events, args.timeout, options,
                        fail_ratio=args.fail_ingest, fail_seconds=args.fail_seconds, output=output)


def unavailable(output: Output | TextIO) -> int | None:
    """Exit 2 with one line saying how to get moto when the sandbox cannot run; None when it can."""
    from core.sandbox.availability import SandboxUnavailable, require_sandbox
    from wizard.cli.render import print_error

    try:
        require_sandbox()
    except SandboxUnavailable as error:
        return print_error(error, output)
    return None


def run_headless(answers: str | None, flags: dict[str, object], events: int | None, timeout: float,
                 options: SandboxOptions, *, fail_ratio: float = 0.0, fail_seconds: float = 5.0,
                 out: TextIO | None = None, err: TextIO | None = None, output: Output | None = None) -> int:
    from core.errors import WizardError
    from core.operations.install import Installer, InstallFailed
    from core.sandbox.environment import SandboxEnvironment
    from wizard.cli.render import ConsoleReporter, print_summary
    from wizard.cli.verbose import verbose_calls

    output = output or Output(out, err)
    try:
        sandbox = SandboxEnvironment(options, answers=answers, flags=flags).start()
    except WizardError as error:
        return output.fail(error)
    try:
        output.progress(f"Sandbox: AWS is moto at {sandbox.aws_endpoint} (account {sandbox.account}), "
                        f"Port is the emulator at {sandbox.port_base_url}")
        if sandbox.seeded:
            output.progress(f"Already in AWS before the install: {'; '.join(sandbox.seeded)}")
        output.progress(join(("Installing:", "heading")))
        assert sandbox.settings is not None
        try:
            with verbose_calls(output):
                result = Installer(sandbox.settings, sandbox.credentials, ConsoleReporter(output),
                                   polling=Polling(interval=options.stack_poll_seconds)).run()
        except InstallFailed as error:
            return output.fail(error)
        print_summary(result, False, output)
        flow = sandbox.start_flow()
        count = events if events is not None else flow.plan.round_size
        output.progress(join(("\nSending ", "heading"), (f"{count} sample events", "heading"),
                             f" to EventBridge (sources: {', '.join(flow.plan.sources)}):"))
        if fail_ratio > 0:
            flow.fail_ingest_for(fail_seconds, fail_ratio)
            output.progress(f"  the Port emulator fails {fail_ratio:.0%} of ingests for {fail_seconds:g}s")
        flow.send_events(count)
        settled = _follow(flow, timeout, output)
        resynced = _report_resync(flow, sandbox.settings.resync_schedule, output)
        code = _report(flow, settled, timeout, output)
        return code or (0 if resynced else EXIT_UNEXPECTED)
    finally:
        sandbox.stop()


def _follow(flow: SandboxFlow, timeout: float, output: Output) -> bool:
    """Wait for every event's outcome, printing the counters once a second when they change."""
    deadline = time.monotonic() + timeout
    last_line, last_print = "", 0.0
    while time.monotonic() < deadline:
        if flow.settled():
            return True
        now = time.monotonic()
        if now - last_print >= 1.0:
            line = _compact(flow.counters())
            if line != last_line:
                output.progress(f"  {line}")
                last_line, last_print = line, now
        time.sleep(0.1)
    return flow.settled()


def _compact(c: CounterSnapshot) -> str:
    return (f"put {c.put} | queued {c.queued} | in flight {c.in_flight} | forwarded {c.forwarded} | "
            f"failed {c.failed} | DLQ {c.dead_lettered} | entity changes {c.entity_changes} | "
            f"resync pieces {c.resync_pieces}")


def _report_resync(flow: SandboxFlow, schedule: str, output: Output, wait: float = 5.0) -> bool:
    """The install's first resync: what it sent (False when it did not finish cleanly)."""
    from core.config.resync_schedule import RESYNC_OFF

    if schedule == RESYNC_OFF:
        output.result("\nResync is off (--resync-schedule off): no first resync.")
        return True
    deadline = time.monotonic() + wait  # its summary line is shipped to the log just after
    while (found := flow.resync_log()).last is None and time.monotonic() < deadline:
        time.sleep(0.2)
    last = found.last
    if last is None:
        output.result("\nFAILED: the install's first resync did not finish.")
        return False
    output.result(f"\nFirst resync (run {last.run}): {last.resources} existing resources sent to Port in "
                  f"{last.pieces} pieces, {last.requests} ingest requests, {last.seconds:g}s; "
                  f"then every {schedule.removeprefix('rate(').removesuffix(')')}.")
    output.table(["kind", "resources"], [[kind, str(count)] for kind, count in last.counts.items()])
    for error in last.errors:
        output.problem(error)
    return not last.errors


def _report(flow: SandboxFlow, settled: bool, timeout: float, output: Output) -> int:
    counters = flow.counters()
    outcomes = flow.outcomes()
    output.result(join(("\nCounters:", "heading")))
    output.table(["hop", "count"], [[label, str(value)] for label, value in counters.rows()])
    output.result(join(("\nEvents:", "heading")))
    output.table(["#", "sample", "event id", "outcome", "detail"], [
        [str(o.event.sequence), o.event.sample, o.event_id[:8],
         join((o.state, "ok" if o.as_expected else "fail"),
              ("" if o.as_expected else "  <-- not what the sample expects", "fail")),
         o.detail or (f"{o.changes} entity changes" if o.changes else "")] for o in outcomes])
    unexpected = [o for o in outcomes if not o.as_expected]
    if not settled:
        output.result(f"\nNot every event had an outcome after {timeout:g}s: "
                      f"{sum(1 for o in outcomes if o.state == 'pending')} pending.")
    if unexpected or not settled:
        output.result(join((f"FAILED: {len(unexpected)} of {len(outcomes)} events did not end as expected.",
                            "fail")))
    else:
        output.result(join(("\nOK", "ok"), f": all {len(outcomes)} events ended as entity changes or filter "
                           "rejections, as expected."))
    entities = flow.entities()
    output.result(join((f"\nEntities in Port ({len(entities)}):", "heading")))
    output.table(["blueprint", "identifier", "title"],
                 [[row.blueprint, row.identifier, row.title] for row in entities])
    return EXIT_UNEXPECTED if unexpected or not settled else 0
