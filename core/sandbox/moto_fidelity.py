"""Sandbox extensions of moto 5.2.5, patched in-process, so the sandbox behaves as AWS does.

This is an extension of the moto server the sandbox runs, not a test mock. Plain moto
differs from AWS in ways a user would see (../shared/notes/moto.md); here we fix these:

1. Stack operations (CreateStack, UpdateStack, ExecuteChangeSet) report per-resource
   events (CREATE_IN_PROGRESS, "Resource creation Initiated", CREATE_COMPLETE, ...) in
   dependency order, and with ``resource_delay`` > 0 the stack stays *_IN_PROGRESS while
   those events appear one by one, so a live progress table behaves as against AWS. moto
   still creates the resources at once; only what DescribeStacks/DescribeStackEvents show
   is paced. A resource moto fails on yields <Action>_FAILED and a rollback status instead
   of an HTTP 500 (moto does not undo the resources it made before the failure).
2. moto's SQS -> Lambda event source mapping never invokes anything (moto would try Docker
   on every SendMessage); the mapping still exists, and the runner (or a test) consumes the
   queue. The tests' moto server applies this part alone (``unhook_event_source_mappings``).
3. EventBridge delivers the `account` field in the event, as AWS does (moto's default
   input template leaves it out).
4. A stack update keeps a function's inline ZipFile code as code: moto base64-decodes the
   plain text on update, which corrupts the function or fails with HTTP 500.
5. ``!Ref AWS::NoValue`` (directly or from ``!If``) removes a list item, as in AWS; moto
   leaves a None there (the template's conditional IAM policy then fails to create).
6. A change set leaves out resources whose Condition is false, as AWS does (moto lists
   every resource of the template, so a live table seeded from it would keep rows that
   never get an event).
7. Speed, not behaviour: moto's SQS scans every message of the queue several times per
   message sent or received, reading the clock through datetime arithmetic each time, so a
   queue of 1,000 messages took ~0.2 s per ReceiveMessage. The visibility checks read
   time.time() and the retention check reads the queue's setting directly. EventBridge
   parsed its 8 input-template JSONPaths with a fresh yacc parser per event delivered;
   they are parsed once.
8. A rule with a ScheduleExpression matches no event, as in AWS: moto treats its missing
   EventPattern as "match everything" and delivers every put_events event to it (ignoring
   the target's constant Input), so the resync schedule would double every event. moto
   never fires a schedule; the sandbox's "Resync now" puts the rule's Input on its target.

9. CloudFormation models moto lacks (it skips these resource types silently):
   ``AWS::SecretsManager::Secret`` (Ref is the ARN) and ``AWS::CloudWatch::Alarm`` (Ref is the
   name). ``register_models()`` adds them for good (``restore()`` leaves them), and the tests'
   moto server registers them too (tests/support/moto_server.py).

Apply with ``apply()`` / ``restore()`` (reference counted) or ``with extended(...)``; only
the sandbox and the tests that ask for it do. The version is pinned: these patches reach
into moto internals, so another version must be checked before it is allowed.
"""

from __future__ import annotations

import base64
import functools
import io
import threading
import time
import zipfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import moto

from core.sandbox.availability import PINNED_MOTO_VERSION, SANDBOX_EXTRA

if moto.__version__ != PINNED_MOTO_VERSION:  # pragma: no cover - guards an upgrade
    raise RuntimeError(
        f"core.sandbox.moto_fidelity patches moto {PINNED_MOTO_VERSION} internals, but moto "
        f"{moto.__version__} is installed: {SANDBOX_EXTRA}, or check "
        "every patch in this module against the new version and update PINNED_MOTO_VERSION "
        "(core/sandbox/availability.py) and the sandbox extra in pyproject.toml"
    )

import jsonpath_ng.ext  # noqa: E402
from moto.awslambda.models import LambdaBackend, LambdaFunction, lambda_backends  # noqa: E402
from moto.cloudformation import parsing  # noqa: E402
from moto.cloudformation.models import ChangeSet, CloudFormationBackend, Event, Stack  # noqa: E402
from moto.cloudformation.parsing import OutputMap, ResourceMap  # noqa: E402
from moto.events.models import Rule  # noqa: E402
from moto.events.utils import EventTemplateParser  # noqa: E402
from moto.sqs.models import Message, SQSBackend, sqs_backends  # noqa: E402

STACK_TYPE = "AWS::CloudFormation::Stack"
_UNMODELLED = "sandbox: moto does not model {type}; reported as AWS would report it"


@dataclass
class ResourceStep:
    """One resource action moto performed during a stack operation."""

    action: str  # CREATE | UPDATE | DELETE
    logical_id: str
    resource_type: str
    physical_id: str = ""
    failure: str = ""  # set when moto raised for this resource
    note: str = ""


class _Recorder(threading.local):
    steps: list[ResourceStep] | None = None


_recorder = _Recorder()
_lock = threading.Lock()
_users = 0
_originals: dict[str, Any] = {}
_options = {"resource_delay": 0.0}


# ---- public API ---------------------------------------------------------------------------
def apply(resource_delay: float = 0.0) -> None:
    """Patch moto in this process (again: just count one more user and take the new delay)."""
    global _users
    with _lock:
        _options["resource_delay"] = max(0.0, resource_delay)
        _users += 1
        if _users > 1:
            return
        register_models()
        _patch(parsing, "parse_and_create_resource", _wrap_create)
        _patch(parsing, "clean_json", _clean_json)
        _patch(Message, "visible", property(lambda self: time.time() * 1000 > self.visible_at))
        _patch(Message, "delayed", property(lambda self: time.time() * 1000 < self.delayed_until))
        _patch(SQSBackend, "is_message_valid_based_on_retention_period", _within_retention)
        _patch(jsonpath_ng.ext, "parse", functools.lru_cache(maxsize=256)(jsonpath_ng.ext.parse))
        _patch(parsing, "parse_and_update_resource", _wrap_update)
        _patch(ResourceMap, "_delete_resource", _wrap_delete)
        _patch(CloudFormationBackend, "execute_change_set", _execute_change_set)
        _patch(ChangeSet, "diff", _diff_without_false_conditions)
        _patch(CloudFormationBackend, "create_stack", _create_stack)
        _patch(CloudFormationBackend, "update_stack", _update_stack)
        _patch(LambdaBackend, "create_event_source_mapping",
               _unhooking(LambdaBackend.create_event_source_mapping))
        _patch(LambdaFunction, "update_from_cloudformation_json", classmethod(_update_function))
        _patch(EventTemplateParser, "DEFAULT_EVENT_INPUT_TEMPLATE", _with_account(
            EventTemplateParser.DEFAULT_EVENT_INPUT_TEMPLATE))
        _patch(Rule, "send_to_targets", _send_to_targets)


def restore() -> None:
    """Undo ``apply`` once the last user is done."""
    global _users
    with _lock:
        _users = max(0, _users - 1)
        if _users:
            return
        for key, original in _originals.items():
            owner, _, name = key.rpartition(":")
            setattr(_OWNERS[owner], name, original)
        _originals.clear()


def is_applied() -> bool:
    return bool(_originals)


@contextmanager
def extended(resource_delay: float = 0.0) -> Iterator[None]:
    apply(resource_delay)
    try:
        yield
    finally:
        restore()


def deployed_function_code(account_id: str, region: str, function_name: str) -> str:
    """The source of ``index.py`` in the Lambda function as deployed in this moto process.

    For a function created from an inline ZipFile this is the template's code, byte for byte.
    """
    function = lambda_backends[account_id][region].get_function(function_name)
    with zipfile.ZipFile(io.BytesIO(function.code_bytes)) as archive:
        return archive.read("index.py").decode("utf-8")


# ---- patching helpers -------------------------------------------------------------------
_OWNERS: dict[str, Any] = {}


def _patch(owner: Any, name: str, replacement: Any) -> None:
    owner_key = getattr(owner, "__name__", repr(owner))
    _OWNERS[owner_key] = owner
    _originals[f"{owner_key}:{name}"] = vars(owner).get(name, getattr(owner, name))  # classmethods raw
    setattr(owner, name, replacement)


def _original(owner: Any, name: str) -> Any:
    return _originals[f"{getattr(owner, '__name__', repr(owner))}:{name}"]


def _with_account(template: str) -> str:
    if '"account"' in template:
        return template
    return template.replace('"version": "0",', '"version": "0", "account": "<account>",', 1)


# ---- 1. per-resource stack events ----------------------------------------------------------
def _record(step: ResourceStep) -> None:
    steps = _recorder.steps
    if steps is None:
        return
    for known in steps:
        if (known.action, known.logical_id) == (step.action, step.logical_id):
            if step.failure and not known.failure:  # moto retries updates; keep the failure
                known.failure = step.failure
            return
    steps.append(step)


def _unmodelled(resource_type: str) -> bool:
    return not resource_type.startswith("Custom::") and parsing.resource_class_from_type(
        resource_type) is None


def _wrap_create(logical_id: str, resource_json: dict[str, Any], resources_map: ResourceMap,
                 account_id: str, region_name: str) -> Any:
    resource_type = resource_json.get("Type", "")
    try:
        resource = _original(parsing, "parse_and_create_resource")(
            logical_id, resource_json, resources_map, account_id, region_name)
    except Exception as error:
        _record(ResourceStep("CREATE", logical_id, resource_type, failure=str(error) or repr(error)))
        raise
    if resource is not None:
        _record(ResourceStep("CREATE", logical_id, resource_type, _physical_id(resource)))
    elif _unmodelled(resource_type):
        _record(ResourceStep("CREATE", logical_id, resource_type, f"{logical_id}-sandbox",
                             note=_UNMODELLED.format(type=resource_type)))
    # else: its Condition is false, and CloudFormation reports nothing for it either
    return resource


def _wrap_update(logical_id: str, resource_json: dict[str, Any], resources_map: ResourceMap,
                 account_id: str, region_name: str) -> Any:
    resource_type = resource_json.get("Type", "")
    try:
        resource = _original(parsing, "parse_and_update_resource")(
            logical_id, resource_json, resources_map, account_id, region_name)
    except Exception as error:
        _record(ResourceStep("UPDATE", logical_id, resource_type, failure=str(error) or repr(error)))
        raise
    physical = _physical_id(resource) if resource is not None else ""
    note = _UNMODELLED.format(type=resource_type) if _unmodelled(resource_type) else ""
    _record(ResourceStep("UPDATE", logical_id, resource_type, physical, note=note))
    return resource


def _wrap_delete(self: ResourceMap, parsed_resource: Any, resource_json: dict[str, Any]) -> None:
    _original(ResourceMap, "_delete_resource")(self, parsed_resource, resource_json)
    _record(ResourceStep("DELETE", getattr(parsed_resource, "logical_resource_id", ""),
                         resource_json.get("Type", ""), _physical_id(parsed_resource)))


def _physical_id(resource: Any) -> str:
    try:
        return str(getattr(resource, "physical_resource_id", "") or "")
    except Exception:  # some models compute it from state that may be gone
        return ""


def _run_recorded(operation: Callable[[], Any]) -> tuple[Any, list[ResourceStep], Exception | None]:
    _recorder.steps = []
    try:
        return operation(), _recorder.steps, None
    except Exception as error:
        return None, _recorder.steps or [], error
    finally:
        _recorder.steps = None


def _execute_change_set(self: CloudFormationBackend, change_set_name: str,
                        stack_name: str | None = None) -> None:
    change_set = self.describe_change_set(change_set_name)  # ValidationError when unknown
    stack = self.stacks[change_set.stack_id]
    kind = change_set.change_set_type
    _, steps, error = _run_recorded(
        lambda: _original(CloudFormationBackend, "execute_change_set")(self, change_set_name, stack_name))
    if error is None:
        # moto keeps the empty template a CREATE change set started from, so the stack
        # would never show Outputs; AWS shows them once the stack is complete.
        stack.template = change_set.template
        stack._parse_template()
        stack.description = stack.template_dict.get("Description")
        stack.output_map = stack._create_output_map()

    def finished(succeeded: bool) -> None:
        change_set.execution_status = "EXECUTE_COMPLETE" if succeeded else "EXECUTE_FAILED"

    change_set.execution_status = "EXECUTE_IN_PROGRESS"
    _settle(stack, kind, steps, error, finished)


def _create_stack(self: CloudFormationBackend, name: str, *args: Any, **kwargs: Any) -> Stack:
    stack, steps, error = _run_recorded(
        lambda: _original(CloudFormationBackend, "create_stack")(self, name, *args, **kwargs))
    if error is not None:
        stack = _stack_named(self, name)
        if stack is None:
            raise error
    _settle(stack, "CREATE", steps, error)
    return stack


def _update_stack(self: CloudFormationBackend, name: str, *args: Any, **kwargs: Any) -> Stack:
    stack, steps, error = _run_recorded(
        lambda: _original(CloudFormationBackend, "update_stack")(self, name, *args, **kwargs))
    if error is not None:
        stack = _stack_named(self, name)
        if stack is None:
            raise error
    _settle(stack, "UPDATE", steps, error)
    return stack


def _stack_named(backend: CloudFormationBackend, name: str) -> Stack | None:
    for stack in backend.stacks.values():
        if name in (stack.name, stack.stack_id) and stack.status != "DELETE_COMPLETE":
            return stack
    return None


def _settle(stack: Stack, kind: str, steps: list[ResourceStep], error: Exception | None,
            finished: Callable[[bool], None] | None = None) -> None:
    """Turn moto's instant result into an AWS-like timeline of events (paced if asked)."""
    final = f"{kind}_COMPLETE"
    last = stack.events[-1] if stack.events else None
    if last is not None and last.resource_type == STACK_TYPE and last.resource_status == final:
        stack.events.pop()  # re-added after the resource events
    outputs = stack.output_map
    stack.output_map = OutputMap(stack.resource_map, {}, stack.stack_id)  # none until complete
    stack.status = f"{kind}_IN_PROGRESS"
    if error is not None and not any(step.failure for step in steps):
        steps.append(ResourceStep(kind, stack.name, STACK_TYPE, stack.stack_id,
                                  failure=str(error) or repr(error)))
    timeline = _Timeline(stack, kind, steps, outputs, finished, _options["resource_delay"])
    if timeline.delay > 0:
        threading.Thread(target=timeline.play, name=f"sandbox-stack-{stack.name}", daemon=True).start()
    else:
        timeline.play()


@dataclass
class _Timeline:
    stack: Stack
    kind: str
    steps: list[ResourceStep]
    outputs: OutputMap
    finished: Callable[[bool], None] | None
    delay: float

    def play(self) -> None:
        failed = next((step for step in self.steps if step.failure), None)
        cleanup = [step for step in self.steps if step.action == "DELETE"]
        for step in self.steps:
            if step.action == "DELETE" and self.kind == "UPDATE":
                continue  # removed resources are deleted in the cleanup phase
            self._resource(step)
            if step is failed:
                break
        if failed is not None:
            self._rollback(failed)
            return
        if self.kind == "UPDATE":
            self._stack_event("UPDATE_COMPLETE_CLEANUP_IN_PROGRESS")
            self.stack.status = "UPDATE_COMPLETE_CLEANUP_IN_PROGRESS"
            for step in cleanup:
                self._resource(step)
        self.stack.output_map = self.outputs
        self._stack_event(f"{self.kind}_COMPLETE")
        self.stack.status = f"{self.kind}_COMPLETE"
        if self.finished:
            self.finished(True)

    def _resource(self, step: ResourceStep) -> None:
        if step.resource_type == STACK_TYPE:
            return
        action = step.action
        self._event(step, f"{action}_IN_PROGRESS", "", "")
        if action == "CREATE" and not step.failure:
            self._event(step, "CREATE_IN_PROGRESS", step.physical_id, "Resource creation Initiated")
        self._pause()
        if step.failure:
            self._event(step, f"{action}_FAILED", step.physical_id, step.failure)
        else:
            self._event(step, f"{action}_COMPLETE", step.physical_id, step.note)

    def _rollback(self, failed: ResourceStep) -> None:
        verb = {"CREATE": "create", "UPDATE": "update", "DELETE": "delete"}[failed.action]
        reason = f"The following resource(s) failed to {verb}: [{failed.logical_id}]. "
        if self.kind == "CREATE":
            self._stack_event("ROLLBACK_IN_PROGRESS", reason + "Rollback requested by user.")
            self.stack.status = "ROLLBACK_IN_PROGRESS"
            self._pause()
            final = "ROLLBACK_COMPLETE"
        else:
            self._stack_event("UPDATE_ROLLBACK_IN_PROGRESS", reason)
            self.stack.status = "UPDATE_ROLLBACK_IN_PROGRESS"
            self._pause()
            final = "UPDATE_ROLLBACK_COMPLETE"
        self._stack_event(final)
        self.stack.status = final
        if self.finished:
            self.finished(False)

    def _pause(self) -> None:
        if self.delay > 0:
            time.sleep(self.delay)

    def _stack_event(self, status: str, reason: str | None = None) -> None:
        self.stack._add_stack_event(status, resource_status_reason=reason)

    def _event(self, step: ResourceStep, status: str, physical_id: str, reason: str) -> None:
        event = Event(stack_id=self.stack.stack_id, stack_name=self.stack.name,
                      logical_resource_id=step.logical_id, physical_resource_id=physical_id,
                      resource_type=step.resource_type, resource_status=status,
                      resource_status_reason=reason or None, resource_properties=None)
        event.sendToSns(self.stack.account_id, self.stack.region_name, self.stack.notification_arns)
        self.stack.events.append(event)


# ---- 2. the event source mapping invokes nothing ------------------------------------------
def _diff_without_false_conditions(self: ChangeSet) -> list[Any]:
    """moto's change set diff, without the Add/Modify of resources whose Condition is false."""
    changes = _original(ChangeSet, "diff")(self)
    resources = (self.template_dict or {}).get("Resources") or {}
    conditional = {name: body["Condition"] for name, body in resources.items()
                   if isinstance(body, dict) and body.get("Condition")}
    if not conditional:
        return changes
    conditions = ResourceMap(self.stack_id, self.stack_name, self.parameters, self.tags or {},
                             account_id=self.stack.account_id, region_name=self.stack.region_name,
                             template=self.template_dict, cross_stack_resources={})
    conditions.load()
    return [change for change in changes
            if change.action == "Remove" or change.logical_resource_id not in conditional
            or conditions.lazy_condition_map[conditional[change.logical_resource_id]]]


def _unhooking(create: Callable[..., Any]) -> Callable[..., Any]:
    """`create_event_source_mapping` that leaves the queue unhooked: SendMessage no longer runs
    the function in Docker (not on this machine); the runner or a test feeds the forwarder."""
    def create_event_source_mapping(self: LambdaBackend, spec: dict[str, Any]) -> Any:
        mapping = create(self, spec)
        for queue in sqs_backends[self.account_id][self.region_name].queues.values():
            if queue.lambda_event_source_mappings.get(mapping.function_arn) is mapping:
                del queue.lambda_event_source_mappings[mapping.function_arn]
        return mapping

    create_event_source_mapping.unhooks = True  # type: ignore[attr-defined]
    return create_event_source_mapping


def unhook_event_source_mappings() -> None:
    """Part 2 alone, for the tests' moto server (no Docker warning on stdout). Idempotent."""
    if not getattr(LambdaBackend.create_event_source_mapping, "unhooks", False):
        LambdaBackend.create_event_source_mapping = _unhooking(LambdaBackend.create_event_source_mapping)


# ---- 4. inline code survives a stack update ---------------------------------------------
def _update_function(cls: type[LambdaFunction], original_resource: LambdaFunction,
                     new_resource_name: str,
                     cloudformation_json: dict[str, Any], account_id: str,
                     region_name: str) -> LambdaFunction:
    code = cloudformation_json["Properties"].get("Code") or {}
    if isinstance(code.get("ZipFile"), str):  # plain text, as on create: zip it the same way
        code = {**code, "ZipFile": base64.b64encode(cls._create_zipfile_from_plaintext_code(code["ZipFile"]))}
        properties = {**cloudformation_json["Properties"], "Code": code}
        cloudformation_json = {**cloudformation_json, "Properties": properties}
    return _original(LambdaFunction, "update_from_cloudformation_json").__func__(
        cls, original_resource, new_resource_name, cloudformation_json, account_id, region_name)


# ---- 5. AWS::NoValue removes list items -------------------------------------------------
def _clean_json(resource_json: Any, resources_map: ResourceMap) -> Any:
    cleaned = _original(parsing, "clean_json")(resource_json, resources_map)
    if isinstance(resource_json, list) and isinstance(cleaned, list):
        # An intrinsic (a dict) that resolved to None was AWS::NoValue: drop the item.
        return [value for raw, value in zip(resource_json, cleaned, strict=True)
                if not (value is None and isinstance(raw, dict))]
    return cleaned


# ---- 8. models moto lacks ----------------------------------------------------------------
def register_models() -> None:
    """Give moto's CloudFormation the models in core/sandbox/moto_models.py (idempotent)."""
    from core.sandbox import moto_models

    moto_models.register()


# ---- 6. SQS without quadratic clock reads ------------------------------------------------
def _within_retention(self: SQSBackend, queue_name: str, message: Message) -> bool:
    retention = int(self.get_queue(queue_name).message_retention_period)
    return retention + message.sent_timestamp / 1000 > time.time()


# ---- 8. a schedule rule matches no event -----------------------------------------------
def _send_to_targets(self: Rule, original_event: Any, transform_input: bool = True) -> None:
    if self.scheduled_expression:
        return
    _original(Rule, "send_to_targets")(self, original_event, transform_input)
