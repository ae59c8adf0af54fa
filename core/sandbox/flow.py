"""Events through the installed sandbox stack, end to end, and what became of each.

put_events on EventBridge (moto) -> the stack's rule delivers to its SQS queue (moto; the
body is the event as AWS sends it, `account` included thanks to moto_fidelity) -> the
runner invokes the deployed forwarder -> the forwarder POSTs to the emulator's ingest URL
-> the emulator applies the webhook's mappings -> entities.

Each event is followed by its EventBridge id, which the forwarder sends as
``metadata.eventId`` and the webhook uses as its request identifier.
"""

from __future__ import annotations

import re
import threading
import time
from collections import Counter
from dataclasses import dataclass
from typing import Any

from core.aws.webhook_secret import SECRET_OUTPUT, read_secret
from core.config.credentials import WEBHOOK_URL_VARIABLE
from core.config.settings import InstallSettings
from core.operations.resync_start import start_resync
from core.operations.resync_status import ResyncLog, read_resync_log
from core.sandbox import moto_fidelity
from core.sandbox.counters import CounterSnapshot, HopCounters
from core.sandbox.events import EventPlan, PlannedEvent
from core.sandbox.runner import QueueRunner, RunnerOptions, discover
from core.sandbox.schedule import fire_schedule

PENDING, CHANGED, REJECTED, DEAD_LETTERED, NO_EFFECT = (
    "pending", "entity change", "rejected by filters", "dead-lettered", "no effect")
TERMINAL = frozenset({CHANGED, REJECTED, DEAD_LETTERED, NO_EFFECT})


@dataclass(frozen=True)
class EventOutcome:
    event: PlannedEvent
    event_id: str
    state: str
    changes: int = 0
    detail: str = ""

    @property
    def as_expected(self) -> bool:
        """An entity change, or a deliberate filter rejection, as the sample says it should be."""
        wanted = CHANGED if self.event.expect == "change" else REJECTED
        return self.state == wanted


@dataclass(frozen=True)
class EntityRow:
    blueprint: str
    identifier: str
    title: str


class SandboxFlow:
    """Sends sample events and follows them to Port; the runner is started with it."""

    def __init__(self, environment: Any, settings: InstallSettings, options: Any) -> None:
        self._env = environment
        self.settings = settings
        self.counters_ = HopCounters()
        self._events_client = environment.aws_client("events")
        self._sqs = environment.aws_client("sqs")
        outputs = self._stack_outputs(environment.aws_client("cloudformation"))
        self.deployment = discover(environment.aws_client, outputs, moto_fidelity.deployed_function_code)
        self._webhook_url = self._ingest_url(environment.aws_client, outputs)
        self.runner = QueueRunner(self.deployment, environment.aws_client, self.counters_, RunnerOptions(
            visibility_timeout=options.visibility_timeout, function_timeout=options.function_timeout,
            pollers=options.pollers, batching_window=options.batching_window, ship_logs=options.ship_logs))
        self.plan = EventPlan(settings.event_sources, self.deployment.account)
        self._lock = threading.Lock()
        self._sent: dict[int, tuple[PlannedEvent, str]] = {}  # sequence -> (event, EventBridge id)
        self._held: list[PlannedEvent] = []  # deletes waiting for their entity to exist
        self._stop = threading.Event()
        self._dispatcher = threading.Thread(target=self._dispatch, name="sandbox-dispatch", daemon=True)
        self._fault_timer: threading.Timer | None = None

    def _ingest_url(self, client: Any, outputs: dict[str, str]) -> str:
        """Where the forwarder posts: in the stack's webhook secret, as a user would read it."""
        arn = outputs.get(SECRET_OUTPUT)
        if not arn:
            return self.deployment.environment.get(WEBHOOK_URL_VARIABLE, "")
        return read_secret(client("secretsmanager"), arn).url

    def _stack_outputs(self, cloudformation: Any) -> dict[str, str]:
        stack = cloudformation.describe_stacks(StackName=self.settings.stack_name)["Stacks"][0]
        return {item["OutputKey"]: item.get("OutputValue", "") for item in stack.get("Outputs", [])}

    def start(self) -> None:
        self.runner.start()
        self._dispatcher.start()

    def stop(self) -> None:
        self._stop.set()
        if self._fault_timer is not None:
            self._fault_timer.cancel()
        self.runner.stop()
        if self._dispatcher.is_alive():
            self._dispatcher.join(timeout=2)

    # ---- sending ------------------------------------------------------------------------
    def send_events(self, count: int) -> list[PlannedEvent]:
        """Put ``count`` more sample events (a delete waits until its entity exists)."""
        events = self.plan.next(count)
        ready = []
        with self._lock:
            for event in events:
                (self._held if event.after is not None else ready).append(event)
        self._put(ready)
        return events

    def _put(self, events: list[PlannedEvent]) -> None:
        for start in range(0, len(events), 10):  # PutEvents takes 10 entries per call
            chunk = events[start:start + 10]
            started = time.perf_counter()
            answer = self._events_client.put_events(Entries=[event.entry() for event in chunk])
            self.counters_.timed("eventbridge", time.perf_counter() - started)
            for event, entry in zip(chunk, answer.get("Entries", []), strict=False):
                if entry.get("EventId"):
                    with self._lock:
                        self._sent[event.sequence] = (event, entry["EventId"])
                    self.counters_.add("put")
                else:
                    self.counters_.add("put_failed")

    def _dispatch(self) -> None:
        while not self._stop.wait(0.05):
            with self._lock:
                held = list(self._held)
            if not held:
                continue
            states = {outcome.event.sequence: outcome.state for outcome in self.outcomes()}
            ready = [event for event in held if states.get(event.after or 0) in TERMINAL]
            if ready:
                with self._lock:
                    self._held = [event for event in self._held if event not in ready]
                self._put(ready)

    # ---- resync -------------------------------------------------------------------------
    def resync_now(self) -> None:
        """Fire the schedule rule (its Input on the queue); with the schedule off, the
        install's request (core/operations/resync_start.py)."""
        if not fire_schedule(self._events_client, self._sqs, self.deployment.queue_arn):
            start_resync(self.settings, trigger="sandbox")

    def resync_log(self) -> ResyncLog:
        """The last finished resync, from the forwarder's log group (as `status` reads it)."""
        return read_resync_log(self._env.aws_client("logs"), self.deployment.log_group,
                               self.settings.resync_schedule)

    # ---- faults -------------------------------------------------------------------------
    def ingest_path_regex(self) -> str:
        key = self._webhook_url.rstrip("/").rsplit("/", 1)[-1]
        return f"^/{re.escape(key)}$"

    def fail_ingest_for(self, seconds: float, ratio: float = 1.0, status: int = 503) -> None:
        """The emulator answers ``status`` to a ``ratio`` share of ingest requests for a while."""
        emulator, path = self._env.emulator, self.ingest_path_regex()
        if self._fault_timer is not None:
            self._fault_timer.cancel()
        emulator.fail_ratio(path, ratio, status)
        self._fault_timer = threading.Timer(seconds, emulator.fail_ratio, args=(path, 0))
        self._fault_timer.daemon = True
        self._fault_timer.start()

    # ---- what happened --------------------------------------------------------------------
    def outcomes(self) -> list[EventOutcome]:
        """Every event sent so far, in sending order, with what became of it."""
        emulator = self._env.emulator
        changes = Counter(change.request_id for change in emulator.changes if change.source == "ingest")
        applied = {record.request_id: record for record in emulator.ingest_log
                   if record.status == "applied" and record.request_id}
        dead = set(self.runner.dead_letter_bound)
        with self._lock:
            sent = sorted(self._sent.items())
        result = []
        for _sequence, (event, event_id) in sent:
            record = applied.get(event_id)
            if record is not None:
                result.append(_outcome_of(event, event_id, record, changes[event_id]))
            elif event_id in dead:
                result.append(EventOutcome(event, event_id, DEAD_LETTERED,
                                           detail="Port did not accept it within maxReceiveCount receives"))
            else:
                result.append(EventOutcome(event, event_id, PENDING))
        return result

    def held(self) -> int:
        with self._lock:
            return len(self._held)

    def counters(self) -> CounterSnapshot:
        depth = self._queue_depth(self.deployment.queue_url)
        dlq = self._queue_depth(self.deployment.dead_letter_queue_url) if \
            self.deployment.dead_letter_queue_url else (0, 0)
        outcomes = self.outcomes()
        return self.counters_.snapshot(
            queued=depth[0], in_flight=depth[1], dead_lettered=dlq[0] + dlq[1],
            entity_changes=sum(outcome.changes for outcome in outcomes),
            rejected=sum(1 for outcome in outcomes if outcome.state == REJECTED),
            ingest_refused=self._ingest_refused(),
            resync_changes=sum(1 for change in self._env.emulator.changes if change.source == "ingest"
                               and (change.request_id or "").startswith("resync-")))

    def _ingest_refused(self) -> int:
        ingest = re.compile(self.ingest_path_regex())
        return sum(1 for request in self._env.emulator.requests
                   if request.status >= 400 and ingest.search(request.path))

    def _queue_depth(self, url: str) -> tuple[int, int]:
        attributes = self._sqs.get_queue_attributes(QueueUrl=url, AttributeNames=[
            "ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"])["Attributes"]
        return (int(attributes.get("ApproximateNumberOfMessages", 0)),
                int(attributes.get("ApproximateNumberOfMessagesNotVisible", 0)))

    def entities(self) -> list[EntityRow]:
        """The entities in the emulated Port now, in the order they were first written."""
        rows = []
        for blueprint, entities in self._env.emulator.entities.items():
            for identifier, entity in entities.items():
                rows.append(EntityRow(blueprint, identifier, str(entity.get("title") or "")))
        return rows

    def settled(self) -> bool:
        """Every event sent has an outcome, nothing is waiting to be sent, and the queue is
        drained: the entity can appear in Port before the runner deletes its message."""
        if self.held() or not all(o.state in TERMINAL for o in self.outcomes()):
            return False
        return self._queue_depth(self.deployment.queue_url) == (0, 0)

    def wait_until_settled(self, timeout: float, poll: float = 0.1) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.settled():
                return True
            time.sleep(poll)
        return self.settled()


def _outcome_of(event: PlannedEvent, event_id: str, record: Any, changes: int) -> EventOutcome:
    outcome = record.outcome
    if record.errors:
        return EventOutcome(event, event_id, NO_EFFECT, changes, "; ".join(record.errors))
    if changes:
        return EventOutcome(event, event_id, CHANGED, changes)
    rejections = list(getattr(outcome, "rejections", []) or [])
    if outcome is not None and not outcome.actions and rejections and all(
            r.reason.startswith("filter ") and r.reason.endswith("did not match") for r in rejections):
        return EventOutcome(event, event_id, REJECTED, 0, f"{len(rejections)} mapping filters did not match")
    reasons = "; ".join(sorted({r.reason for r in rejections if not r.reason.startswith("filter ")}))
    return EventOutcome(event, event_id, NO_EFFECT, 0, reasons or "applied, but no entity changed")
