"""`port-aws-wizard sync`: parse, build settings, core.operations.sync.run_sync, print the counts."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Mapping
from typing import TextIO

from core.config.credentials import credentials_from
from core.errors import WizardError
from core.operations.sync import SyncProgress, SyncResult, run_sync, sync_regions
from wizard.cli.flags import (
    SETTINGS_FLAGS,
    STACKSET_FLAGS,
    add_settings_flags,
    add_stackset_flags,
    settings_flags,
)
from wizard.cli.render import print_error

SYNC_FLAGS = SETTINGS_FLAGS  # the install's flags: only the verb changes


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="port-aws-wizard sync",
        description="Send every AWS resource of the chosen kinds to Port through the install's "
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
    return parser




class ProgressLine:
    """A one-line text progress bar on a terminal; nothing elsewhere."""

    def __init__(self, out: TextIO, width: int = 24) -> None:
        self.out, self.width = out, width
        self.active = hasattr(out, "isatty") and out.isatty()

    def __call__(self, event: SyncProgress) -> None:
        if not self.active or not event.units_total:
            return
        filled = self.width * event.units_done // event.units_total
        bar = "#" * filled + "." * (self.width - filled)
        self.out.write(f"\r[{bar}] {event.units_done}/{event.units_total} "
                       f"{event.sent} sent  {event.kind} {event.region}\033[K")
        self.out.flush()

    def close(self) -> None:
        if self.active:
            self.out.write("\r\033[K")
            self.out.flush()


def print_result(result: SyncResult, regions: tuple[str, ...], out: TextIO) -> None:
    print(f"Synced {result.total} resource(s) in {len(regions)} region(s) "
          f"({', '.join(regions)}) with {result.ingest_requests} ingest request(s) "
          f"in {result.seconds:.1f}s (AWS {result.aws_seconds:.1f}s, Port {result.port_seconds:.1f}s)",
          file=out)
    for kind, count in result.counts.items():
        print(f"  {kind:<24} {count}", file=out)
    if result.pruned:
        count = sum(result.pruned.values())
        print(f"Pruned {count} entit{'y' if count == 1 else 'ies'} that AWS no longer has: "
              + ", ".join(f"{b} {n}" for b, n in result.pruned.items()), file=out)


def main(argv: list[str], environ: Mapping[str, str] | None = None,
         out: TextIO | None = None, err: TextIO | None = None) -> int:
    """`port-aws-wizard sync ...`: 0 when everything was sent, 1 when some of it failed."""
    from wizard.cli.install import build_settings

    out, err = out or sys.stdout, err or sys.stderr
    environ = dict(os.environ if environ is None else environ)
    args = build_parser().parse_args(argv)
    # --regions is sync's own; with --stackset it is the StackSet's regions too
    names = SYNC_FLAGS + tuple(name for name in STACKSET_FLAGS if name != "regions" or args.stackset)
    try:
        settings, secrets = build_settings(args.answers, settings_flags(args, names), environ)
        regions = sync_regions(settings, args.regions)
        if settings.stackset:
            from core.aws.stackset import local_instance_note

            print(f"note: {local_instance_note(settings, 'syncing', regions or ())}", file=err, flush=True)
        line = ProgressLine(out)
        try:
            result = run_sync(settings, credentials_from(environ, secrets), regions=regions,
                              prune=args.prune, progress=line, environ=environ)
        finally:
            line.close()
    except WizardError as error:
        return print_error(error, err)
    print_result(result, tuple(regions or (settings.aws_region,)), out)
    for problem in result.errors:
        print(f"error: {problem}", file=err)
    return 1 if result.errors else 0
