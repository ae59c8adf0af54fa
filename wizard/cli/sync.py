"""`port-aws-wizard sync`: parse, build settings, core.operations.sync.run_sync, print the counts."""

from __future__ import annotations

import argparse
import os
from collections.abc import Callable, Mapping
from typing import TextIO

from core.config.credentials import credentials_from
from core.errors import WizardError
from core.operations.sync import SyncProgress, SyncResult, run_sync, sync_regions
from wizard.cli.documents import sync_document
from wizard.cli.flags import (
    SETTINGS_FLAGS,
    STACKSET_FLAGS,
    add_settings_flags,
    add_stackset_flags,
    settings_flags,
)
from wizard.cli.output import Output
from wizard.cli.parsing import add_console_options, new_parser
from wizard.cli.progress import Progress, progress_for
from wizard.cli.style import join
from wizard.cli.verbose import verbose_calls

SYNC_FLAGS = SETTINGS_FLAGS  # the install's flags: only the verb changes


def build_parser() -> argparse.ArgumentParser:
    parser = new_parser(
        "sync", "Send every AWS resource of the chosen kinds to Port through the install's "
                "webhook (the same mappings as events). Port credentials come from "
                "PORT_CLIENT_ID / PORT_CLIENT_SECRET.")
    parser.add_argument("--regions", help="comma-separated regions (default: the install's region; "
                        "with --stackset, the StackSet's regions)")
    parser.add_argument("--prune", action="store_true",
                        help="delete entities of this account and these regions that AWS no longer has")
    add_settings_flags(parser, answers_help="the install's YAML answers file", names=SYNC_FLAGS, overrides={
        "event_sources": "comma-separated sources whose resources to sync, e.g. aws.ec2,aws.s3 "
                         "(default: the install's)"})
    add_stackset_flags(parser, names=tuple(name for name in STACKSET_FLAGS if name != "regions"),
                       title="a StackSet install (the same StackSet flags as the install; "
                             "this account's resources are synced)")
    add_console_options(parser, json_help="print the counts as one JSON document")
    return parser


def sync_progress(progress: Progress) -> Callable[[SyncProgress], None]:
    """core's SyncProgress events as the display's updates (listings and batches done of all)."""
    def report(event: SyncProgress) -> None:
        if event.units_total:
            progress.update(event.units_done, event.units_total,
                            f"{event.sent} sent, {event.kind} {event.region}")
    return report


def print_result(result: SyncResult, regions: tuple[str, ...], out: TextIO | Output) -> None:
    output = out if isinstance(out, Output) else Output(out)
    output.result(join(("Synced ", "ok"), (f"{result.total} resource(s)", "bold"),
                       f" in {len(regions)} region(s) ({', '.join(regions)}) with {result.ingest_requests} "
                       f"ingest request(s) in {result.seconds:.1f}s (AWS {result.aws_seconds:.1f}s, "
                       f"Port {result.port_seconds:.1f}s)"))
    for kind, count in result.counts.items():
        output.result(join(f"  {kind:<24} ", (str(count), "bold")))
    if result.pruned:
        count = sum(result.pruned.values())
        which = ", ".join(f"{blueprint} {n}" for blueprint, n in result.pruned.items())
        output.result(join((f"Pruned {count} entit{'y' if count == 1 else 'ies'}", "delete"),
                           f" that AWS no longer has: {which}"))


def main(argv: list[str], environ: Mapping[str, str] | None = None,
         out: TextIO | None = None, err: TextIO | None = None) -> int:
    """`port-aws-wizard sync ...`: 0 when everything was sent, 1 when some of it failed."""
    from wizard.cli.install import build_settings

    environ = dict(os.environ if environ is None else environ)
    args = build_parser().parse_args(argv)
    output = Output.from_args(args, out, err, environ)
    # --regions is sync's own; with --stackset it is the StackSet's regions too
    names = SYNC_FLAGS + tuple(name for name in STACKSET_FLAGS if name != "regions" or args.stackset)
    try:
        with verbose_calls(output):
            settings, secrets = build_settings(args.answers, settings_flags(args, names), environ)
            regions = sync_regions(settings, args.regions)
            if settings.stackset:
                from core.aws.stackset import local_instance_note

                output.write(f"note: {local_instance_note(settings, 'syncing', regions or ())}", output.err)
            progress = progress_for(output, "sync")
            try:
                result = run_sync(settings, credentials_from(environ, secrets), regions=regions,
                                  prune=args.prune, progress=sync_progress(progress), environ=environ)
            finally:
                progress.close()
    except WizardError as error:
        return output.fail(error)
    synced = tuple(regions or (settings.aws_region,))
    print_result(result, synced, output)
    for problem in result.errors:
        output.problem(problem)
    if output.json:
        output.document(sync_document(result, synced))
    return 1 if result.errors else 0
