"""`port-aws-wizard uninstall`: delete the stack (or StackSet) and, if asked, the Port objects."""

from __future__ import annotations

import argparse
from collections.abc import Mapping, Sequence
from typing import Any, TextIO

from wizard.cli.documents import plan_item
from wizard.cli.operation import Context, command_parser, confirm, run_command
from wizard.cli.style import change_style, join


def build_parser() -> argparse.ArgumentParser:
    parser = command_parser("uninstall", "Delete the stack; with --remove-port-resources also the "
                            "webhook and the integration in Port.",
                            json_help="print the plan and what was removed as one JSON document")
    parser.add_argument("--remove-port-resources", action="store_true",
                        help="also delete the Port webhook and integration")
    parser.add_argument("--delete-blueprints", action="store_true",
                        help="also delete the blueprints that have no entities (implies "
                        "--remove-port-resources)")
    parser.add_argument("--dry-run", action="store_true", help="show the plan; delete nothing")
    parser.add_argument("--yes", "-y", action="store_true", help="do not ask for confirmation")
    return parser


def main(argv: Sequence[str], environ: Mapping[str, str] | None = None,
         out: TextIO | None = None, err: TextIO | None = None,
         stdin: TextIO | None = None) -> int:
    return run_command(lambda context, args: _uninstall(context, args, stdin), build_parser(), argv,
                       environ, out, err)


def _uninstall(context: Context, args: argparse.Namespace, stdin: TextIO | None) -> int:
    from core.operations.uninstall import Uninstaller
    from core.progress import Change
    from wizard.cli.render import ConsoleReporter

    output = context.output
    uninstaller = Uninstaller(context.settings, context.credentials, ConsoleReporter(output),
                              remove_port_resources=args.remove_port_resources,
                              delete_blueprints=args.delete_blueprints)
    plan = uninstaller.plan()
    stackset = _plan_stackset_delete(context, plan)
    document: dict[str, Any] = {
        "ok": True, "dry_run": bool(args.dry_run), "stack": context.settings.stack_name,
        "region": context.settings.aws_region, "nothing_to_remove": plan.nothing_to_remove,
        "plan": [plan_item(item) for item in plan.items], "removed": [], "kept_blueprints": {},
        "cancelled": False}
    if plan.nothing_to_remove:
        context.print("Nothing to remove:")
        for item in plan.items:
            context.print(f"  {item.kind} {item.name}: {item.detail}")
        if not uninstaller.remove_port_resources:
            context.print("(Port objects are kept unless --remove-port-resources is given.)")
        return _done(context, document)
    context.print("Plan:" if args.dry_run else "Will remove:")
    for item in plan.items:
        verb = "delete" if item.change is Change.DELETE else "keep"
        detail = f"  ({item.detail})" if item.detail else ""
        output.result(join("  ", (f"{verb:<6}", change_style(verb)),
                           f" {item.target:<4} {item.kind:<11} {item.name}", (detail, "dim")))
    if not uninstaller.remove_port_resources:
        output.result(join("  ", ("keep  ", "keep"),
                           " port webhook, integration and blueprints (--remove-port-resources)"))
    if args.dry_run:
        context.print("Dry run: nothing was deleted.")
        return _done(context, document)
    if not confirm(context, "Delete these?", args.yes, stdin):
        context.print("Nothing was deleted.")
        return _done(context, {**document, "ok": False, "cancelled": True}, 1)
    if stackset is not None:  # instances first, then the set; then Port as planned
        from core.aws.stackset import delete_stackset

        delete_stackset(stackset[0], stackset[1].name, ConsoleReporter(output))
    result = uninstaller.run(plan)
    if stackset is not None:
        result.removed.insert(0, f"StackSet {stackset[1].name} ({len(stackset[1].instances)} instances)")
    context.print("Removed: " + (", ".join(result.removed) or "nothing"))
    for identifier, reason in result.kept_blueprints.items():
        context.print(f"Kept blueprint {identifier}: {reason}")
    return _done(context, {**document, "removed": list(result.removed),
                           "kept_blueprints": dict(result.kept_blueprints)})


def _done(context: Context, document: dict[str, Any], code: int = 0) -> int:
    if context.output.json:
        context.output.document(document)
    return code


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
