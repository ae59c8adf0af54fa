"""`port-aws-wizard uninstall`: delete the stack (or StackSet) and, if asked, the Port objects."""

from __future__ import annotations

import argparse
from collections.abc import Mapping, Sequence
from typing import Any, TextIO

from wizard.cli.operation import Context, command_parser, confirm, run_command


def main(argv: Sequence[str], environ: Mapping[str, str] | None = None,
                   out: TextIO | None = None, err: TextIO | None = None,
                   stdin: TextIO | None = None) -> int:
    parser = command_parser("uninstall", "Delete the stack; with --remove-port-resources also the "
                     "webhook and the integration in Port.")
    parser.add_argument("--remove-port-resources", action="store_true",
                        help="also delete the Port webhook and integration")
    parser.add_argument("--delete-blueprints", action="store_true",
                        help="also delete the blueprints that have no entities (implies "
                        "--remove-port-resources)")
    parser.add_argument("--dry-run", action="store_true", help="show the plan; delete nothing")
    parser.add_argument("--yes", "-y", action="store_true", help="do not ask for confirmation")
    return run_command(lambda context, args: _uninstall(context, args, stdin), parser, argv,
                       environ, out, err)


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
    if not confirm(context, "Delete these?", args.yes, stdin):
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
