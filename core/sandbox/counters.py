"""What happened at each hop of the sandbox pipeline, counted as it happens.

EventBridge -> SQS queue -> (runner: receive, invoke the forwarder, delete) -> Port ingest
-> entities. The runner and the sender add to a ``HopCounters``; ``snapshot()`` adds the
queue depths SQS reports at that moment and what the Port emulator did.
"""

from __future__ import annotations

import threading
from collections import defaultdict
from dataclasses import dataclass, field


@dataclass(frozen=True)
class CounterSnapshot:
    """Counters at one moment. Queue depths are SQS's approximate numbers, as in AWS."""

    put: int = 0  # events EventBridge accepted
    put_failed: int = 0  # entries PutEvents refused
    queued: int = 0  # visible in the queue, waiting for the poller
    in_flight: int = 0  # received and not yet deleted (being handled or waiting to reappear)
    received: int = 0  # records handed to the forwarder (a redelivery counts again)
    invocations: int = 0  # forwarder invocations (one per batch)
    forwarded: int = 0  # records the forwarder delivered (then deleted from the queue)
    failed: int = 0  # records the forwarder reported failed (they return to the queue)
    dead_lettered: int = 0  # messages in the dead-letter queue
    entity_changes: int = 0  # entities created/updated/deleted by ingest
    rejected: int = 0  # events every mapping filter rejected (on purpose)
    ingest_refused: int = 0  # ingest requests Port answered with an error (the forwarder retried them)
    resync_pieces: int = 0  # resync pieces the forwarder finished, apart from events
    resync_failed: int = 0  # resync pieces that failed (back to the queue)
    resync_changes: int = 0  # entities created/updated by resyncs
    seconds: dict[str, float] = field(default_factory=dict)  # time spent per hop

    def rows(self) -> list[tuple[str, int]]:
        """(label, value) in pipeline order, for tables."""
        return [
            ("events put on EventBridge", self.put),
            ("put_events refused", self.put_failed),
            ("queued in SQS", self.queued),
            ("in flight", self.in_flight),
            ("records received by the forwarder", self.received),
            ("forwarder invocations", self.invocations),
            ("forwarded to Port", self.forwarded),
            ("failed (back to the queue)", self.failed),
            ("in the dead-letter queue", self.dead_lettered),
            ("ingest requests Port refused (retried)", self.ingest_refused),
            ("entity changes in Port", self.entity_changes),
            ("rejected by mapping filters", self.rejected),
            ("resync pieces done", self.resync_pieces),
            ("resync pieces failed (back to the queue)", self.resync_failed),
            ("entity changes by resyncs", self.resync_changes),
        ]


class HopCounters:
    """Thread-safe running totals; the runner and the sender update it."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counts: dict[str, int] = defaultdict(int)
        self._seconds: dict[str, float] = defaultdict(float)

    def add(self, name: str, amount: int = 1) -> None:
        with self._lock:
            self._counts[name] += amount

    def timed(self, hop: str, seconds: float) -> None:
        with self._lock:
            self._seconds[hop] += seconds

    def get(self, name: str) -> int:
        with self._lock:
            return self._counts[name]

    def snapshot(self, *, queued: int = 0, in_flight: int = 0, dead_lettered: int = 0,
                 entity_changes: int = 0, rejected: int = 0, ingest_refused: int = 0,
                 resync_changes: int = 0) -> CounterSnapshot:
        with self._lock:
            counts, seconds = dict(self._counts), dict(self._seconds)
        return CounterSnapshot(
            put=counts.get("put", 0), put_failed=counts.get("put_failed", 0), queued=queued,
            in_flight=in_flight, received=counts.get("received", 0),
            invocations=counts.get("invocations", 0), forwarded=counts.get("forwarded", 0),
            failed=counts.get("failed", 0), dead_lettered=dead_lettered,
            entity_changes=entity_changes, rejected=rejected, ingest_refused=ingest_refused,
            resync_pieces=counts.get("resync_pieces", 0), resync_failed=counts.get("resync_failed", 0),
            resync_changes=resync_changes, seconds=seconds)
