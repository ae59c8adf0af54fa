"""Tail the forwarder's CloudWatch log group: `port-aws-wizard logs` and the wizard's screen.

`LogTail` is UI-free. `poll()` runs one FilterLogEvents round and returns the new lines;
`follow()` yields lines until stopped, using StartLiveTail where it works and polling
where it does not (or once the live session ends, as it does at once on moto).

No duplicates, no gaps: each round starts at the newest timestamp already shown minus a
small overlap (CloudWatch can make an event searchable a little after a later one) and
drops the events already shown, known by event id. Live Tail results carry no event id,
so events that both paths may deliver are matched by (timestamp, stream, message).
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import botocore.exceptions
from botocore.config import Config

THROTTLING_CODES = frozenset({"ThrottlingException", "Throttling", "TooManyRequestsException",
                              "LimitExceededException", "RequestLimitExceeded"})
LIVE_TAIL_UNAVAILABLE_CODES = frozenset({"AccessDeniedException", "UnrecognizedClientException",
                                         "InvalidParameterException", "ResourceNotFoundException",
                                         "LimitExceededException", "UnknownOperationException"})
_SINCE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhdw])\s*$", re.IGNORECASE)
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
_ERROR_WORDS = ("ERROR", "Traceback", "Task timed out", "Runtime.", "errorMessage")
ERROR_PATTERN = '?failed ?ERROR ?Traceback ?"Task timed out" ?errorMessage'
"""A FilterLogEvents pattern for the records `error_lines` keeps (a superset of them)."""


def parse_since(text: str) -> float:
    """`10m`, `2h`, `1d`, `30s`, `1w` -> seconds. Raises ValueError with the accepted forms."""
    match = _SINCE.match(text or "")
    if not match:
        raise ValueError(f"--since {text!r} is not a duration; use a number and a unit, "
                         "e.g. 30s, 10m, 2h, 1d or 1w")
    return float(match.group(1)) * _UNIT_SECONDS[match.group(2).lower()]


@dataclass(frozen=True)
class LogLine:
    """One log record as the user reads it."""

    timestamp_ms: int
    stream: str
    message: str  # the raw record, trailing newline removed
    text: str  # one readable line: time, outcome, ids, status, attempts, latency
    level: str  # "ok" | "failed" | "error" | "platform" | "info"
    event_id: str = ""  # CloudWatch's id ("" for Live Tail results)

    @property
    def time(self) -> datetime:
        return datetime.fromtimestamp(self.timestamp_ms / 1000, UTC)


def format_record(timestamp_ms: int, message: str) -> tuple[str, str]:
    """(readable text, level) for one log record; the forwarder's JSON lines get columns."""
    stamp = datetime.fromtimestamp(timestamp_ms / 1000, UTC).strftime("%Y-%m-%d %H:%M:%S.%f")[:-3]
    raw = message.rstrip("\n")
    data = _json_object(raw)
    if data is not None and isinstance(data.get("message"), str):  # Lambda's JSON log format
        inner = _json_object(data["message"])
        if inner is not None and ("messageId" in inner or "resync" in inner):
            data = inner
    if data is not None and "resync" in data and "messageId" not in data:  # core/lambda_code/resync.py
        return f"{stamp}  {_resync_fields(data)}", "failed" if data.get("result") == "failed" else "ok"
    if data is not None and "messageId" in data and "result" in data:
        return f"{stamp}  {_forwarder_fields(data)}", ("ok" if data["result"] == "forwarded" else "failed")
    if data is not None and str(data.get("type", "")).startswith("platform."):
        return f"{stamp}  {_platform_fields(data)}", "platform"
    if data is not None and "level" in data and "message" in data:
        level = str(data["level"]).upper()
        return f"{stamp}  {level:<9} {data['message']}", "error" if level in ("ERROR", "CRITICAL") else "info"
    text = " ".join(raw.replace("\t", " ").split())
    if text.startswith(("START RequestId", "END RequestId", "REPORT RequestId", "INIT_START",
                        "EXTENSION", "TELEMETRY")):
        return f"{stamp}  {text}", "platform"
    level = "error" if any(word in raw for word in _ERROR_WORDS) else "info"
    return f"{stamp}  {text}", level


def _json_object(text: str) -> dict[str, Any] | None:
    if not text.startswith("{"):
        return None
    try:
        data = json.loads(text)
    except ValueError:
        return None
    return data if isinstance(data, dict) else None


def _forwarder_fields(data: dict[str, Any]) -> str:
    outcome = "FORWARDED" if data.get("result") == "forwarded" else "FAILED"
    parts = [f"{outcome:<9}", f"message={data.get('messageId') or '-'}",
             f"event={data.get('eventId') or '-'}", f"status={data.get('status') or '-'}",
             f"attempts={data.get('attempts', 0)}"]
    if data.get("latencyMs") is not None:
        parts.append(f"latency={data['latencyMs']}ms")
    if data.get("error"):
        parts.append(f"error={data['error']}")
    if data.get("trimmed"):
        parts.append(f"trimmed={','.join(map(str, data['trimmed']))}")
    return " ".join(parts)


def _resync_fields(data: dict[str, Any]) -> str:
    if data.get("summary"):
        counts = ", ".join(f"{kind} {count}" for kind, count in (data.get("counts") or {}).items())
        errors = data.get("errors") or []
        return (f"{'RESYNCED':<9} run={data['resync']} resources={data.get('resources')} "
                f"requests={data.get('requests')} pieces={data.get('pieces')} "
                f"seconds={data.get('seconds')} errors={len(errors)}" + (f" ({counts})" if counts else "")
                + "".join(f" error={error}" for error in errors[-3:]))
    outcome = "RESYNC" if data.get("result") != "failed" else "RESYNC-FAILED"
    parts = [f"{outcome:<9}", f"run={data['resync']}", f"piece={data.get('piece')}",
             f"kind={data.get('kind')}", f"listed={data.get('listed', '-')}",
             f"sent={data.get('sent', '-')}", f"requests={data.get('requests', '-')}"]
    if data.get("latencyMs") is not None:
        parts.append(f"latency={data['latencyMs']}ms")
    if data.get("error"):
        parts.append(f"error={data['error']}")
    return " ".join(parts)


def _platform_fields(data: dict[str, Any]) -> str:
    record = data.get("record") if isinstance(data.get("record"), dict) else {}
    kind = str(data["type"]).removeprefix("platform.").upper()
    parts = [f"{kind:<9}", f"request={record.get('requestId', '-')}"]
    metrics = record.get("metrics") if isinstance(record.get("metrics"), dict) else {}
    if "durationMs" in metrics:
        parts.append(f"duration={metrics['durationMs']}ms")
    if record.get("status") and record.get("status") != "success":
        parts.append(f"status={record['status']}")
    return " ".join(parts)


class LogTail:
    """New records of one log group, each once, oldest first within a round."""

    def __init__(
        self,
        client: Any,
        log_group: str,
        since_seconds: float = 600,
        filter_text: str | None = None,
        *,
        live_client: Any = None,
        log_group_arn: str | None = None,
        overlap_ms: int = 5000,
        page_limit: int | None = None,
        filter_pattern: str | None = None,
        poll_seconds: float = 2.0,
        max_backoff_seconds: float = 20.0,
        max_throttled_retries: int = 8,
        sleep: Callable[[float], None] = time.sleep,
        now_ms: Callable[[], int] = lambda: int(time.time() * 1000),
    ) -> None:
        self._client = client
        self._live_client = live_client
        self.log_group = log_group
        self._log_group_arn = log_group_arn
        self.filter_text = (filter_text or "").strip() or None
        self._overlap_ms = overlap_ms
        self._page_limit = page_limit
        self._server_pattern = filter_pattern or (_filter_pattern(self.filter_text)
                                                  if self.filter_text else None)
        self._poll_seconds = poll_seconds
        self._max_backoff = max_backoff_seconds
        self._max_retries = max_throttled_retries
        self._sleep = sleep
        self._now_ms = now_ms
        self._start_ms = now_ms() - int(since_seconds * 1000)
        self._newest_ms = self._start_ms  # newest timestamp shown so far
        self._ids: dict[str, int] = {}  # event id -> timestamp, for events in the overlap
        self._polled_unmatched: Counter[tuple[int, str, str]] = Counter()
        self._live_unmatched: Counter[tuple[int, str, str]] = Counter()
        self.mode = "polling"  # or "live": what follow() is using now
        self.notices: list[str] = []  # e.g. why Live Tail was not used
        self.throttled = 0  # how many times AWS throttled us

    # -- polling ---------------------------------------------------------------------
    def poll(self) -> list[LogLine]:
        """One FilterLogEvents round (every page): the records not shown yet, oldest first."""
        start = max(self._start_ms, self._newest_ms - self._overlap_ms)
        fresh: list[dict[str, Any]] = []
        token: str | None = None
        while True:
            kwargs: dict[str, Any] = {"logGroupName": self.log_group, "startTime": start}
            if self._server_pattern:
                kwargs["filterPattern"] = self._server_pattern
            if self._page_limit:
                kwargs["limit"] = self._page_limit
            if token:
                kwargs["nextToken"] = token
            page = self._call_with_backoff(lambda kw=kwargs: self._client.filter_log_events(**kw))
            fresh.extend(page.get("events", []))
            next_token = page.get("nextToken")
            if not next_token or next_token == token:
                break
            token = next_token
        fresh.sort(key=lambda event: (event["timestamp"], event.get("ingestionTime", 0)))
        lines = [line for event in fresh if (line := self._accept_polled(event)) is not None]
        self._forget_old()
        return lines

    def history(self) -> list[LogLine]:
        """Everything since the start (one round): `logs` without --follow."""
        return self.poll()

    def _accept_polled(self, event: dict[str, Any]) -> LogLine | None:
        event_id = event.get("eventId", "")
        timestamp = int(event["timestamp"])
        if timestamp < self._start_ms or event_id in self._ids:
            return None
        stream = event.get("logStreamName", "")
        message = event.get("message", "")
        key = (timestamp, stream, message)
        self._ids[event_id] = timestamp
        if self._live_unmatched[key] > 0:  # Live Tail already showed it
            self._live_unmatched[key] -= 1
            return None
        if not self._matches_filter(message):
            return None
        self._polled_unmatched[key] += 1
        return self._line(timestamp, stream, message, event_id)

    def _accept_live(self, result: dict[str, Any]) -> LogLine | None:
        timestamp = int(result.get("timestamp", 0))
        stream = result.get("logStreamName", "")
        message = result.get("message", "")
        key = (timestamp, stream, message)
        if timestamp < max(self._start_ms, self._newest_ms - self._overlap_ms):
            return None  # older than what polling covered (moto's snapshot, late arrivals)
        if self._polled_unmatched[key] > 0:
            self._polled_unmatched[key] -= 1
            return None
        if not self._matches_filter(message):
            return None
        self._live_unmatched[key] += 1
        return self._line(timestamp, stream, message, "")

    def _line(self, timestamp: int, stream: str, message: str, event_id: str) -> LogLine:
        self._newest_ms = max(self._newest_ms, timestamp)
        text, level = format_record(timestamp, message)
        return LogLine(timestamp, stream, message.rstrip("\n"), text, level, event_id)

    def _matches_filter(self, message: str) -> bool:
        """Client-side check of plain terms (the server already filtered; moto over-matches)."""
        if not self.filter_text:
            return True
        terms = _terms(self.filter_text)
        return all(term in message for term in terms)

    def _forget_old(self) -> None:
        horizon = self._newest_ms - self._overlap_ms
        self._ids = {eid: ts for eid, ts in self._ids.items() if ts >= horizon}
        for counter in (self._polled_unmatched, self._live_unmatched):
            for key in [key for key, count in counter.items() if key[0] < horizon or count <= 0]:
                del counter[key]

    def _call_with_backoff(self, call: Callable[[], dict[str, Any]]) -> dict[str, Any]:
        """Retry a throttled call with exponential backoff (capped), at most max_throttled_retries
        times in a row (about a minute); then, and on any other error, the error propagates."""
        delay = 0.5
        for _retry in range(self._max_retries):
            try:
                return call()
            except botocore.exceptions.ClientError as error:
                if error.response.get("Error", {}).get("Code") not in THROTTLING_CODES:
                    raise
                self.throttled += 1
                self._sleep(delay)
                delay = min(self._max_backoff, delay * 2)
        return call()  # the last try: still throttled, the caller gets AWS's error

    # -- following -------------------------------------------------------------------
    def follow(self, stop: threading.Event | None = None, live: bool = True) -> Iterator[LogLine]:
        """Yield records as they arrive until `stop` is set (history since the start first)."""
        stop = stop or threading.Event()
        yield from self.poll()
        if live and self._live_client is not None and self._log_group_arn:
            yield from self._follow_live(stop)
        self.mode = "polling"
        while not stop.is_set():
            stop.wait(self._poll_seconds)
            if stop.is_set():
                break
            yield from self.poll()

    def _follow_live(self, stop: threading.Event) -> Iterator[LogLine]:
        """Live Tail until its stream ends or fails; then the caller goes on polling."""
        kwargs: dict[str, Any] = {"logGroupIdentifiers": [self._log_group_arn]}
        if self._server_pattern:
            kwargs["logEventFilterPattern"] = self._server_pattern
        try:
            response = self._live_client.start_live_tail(**kwargs)
        except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as error:
            self.notices.append(f"Live Tail unavailable ({_short(error)}): polling every "
                                f"{self._poll_seconds:g}s instead")
            return
        self.mode = "live"
        stream = response["responseStream"]
        caught_up = False
        try:
            for item in stream:
                if stop.is_set():
                    break
                if "sessionStart" in item and not caught_up:
                    caught_up = True
                    yield from self.poll()  # what arrived between history and the session
                    continue
                update = item.get("sessionUpdate")
                if update is None:
                    continue
                if not caught_up:
                    caught_up = True
                    yield from self.poll()
                results = sorted(update.get("sessionResults", []),
                                 key=lambda r: int(r.get("timestamp", 0)))
                for result in results:
                    line = self._accept_live(result)
                    if line is not None:
                        yield line
                self._forget_old()
                if update.get("sessionMetadata", {}).get("sampled"):
                    self.notices.append("Live Tail is sampling (over 500 records a second)")
        except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as error:
            self.notices.append(f"Live Tail stopped ({_short(error)}): polling instead")
        finally:
            close = getattr(stream, "close", None)
            if close is not None:
                close()
        if not stop.is_set():
            self.notices.append("Live Tail session ended: polling instead")


def _terms(text: str) -> list[str]:
    return [term.strip('"') for term in text.split() if term.strip('"')]


def _filter_pattern(text: str) -> str:
    """Plain terms as a CloudWatch filter pattern: every term must appear (quoted)."""
    return " ".join(f'"{term}"' for term in _terms(text))


def _short(error: Exception) -> str:
    if isinstance(error, botocore.exceptions.ClientError):
        return error.response.get("Error", {}).get("Code", "error")
    return type(error).__name__


def live_tail_client(session: Any, endpoint_url: str | None, base_config: Config) -> Any:
    """A logs client for StartLiveTail. botocore prefixes the host with `stream-`, which a
    custom endpoint (moto, LocalStack) does not serve: turn that off there."""
    config = base_config
    if endpoint_url:
        config = base_config.merge(Config(inject_host_prefix=False))
    return session.client("logs", endpoint_url=endpoint_url or None, config=config)


def log_group_arn(client: Any, log_group: str) -> str | None:
    """The log group's ARN without the trailing `:*` (StartLiveTail wants it so)."""
    try:
        groups = client.describe_log_groups(logGroupNamePrefix=log_group).get("logGroups", [])
    except botocore.exceptions.ClientError:
        return None
    for group in groups:
        if group.get("logGroupName") == log_group:
            arn = group.get("logGroupArn") or group.get("arn", "")
            return arn.removesuffix(":*") or None
    return None


def log_group_exists(client: Any, log_group: str) -> bool:
    groups = client.describe_log_groups(logGroupNamePrefix=log_group).get("logGroups", [])
    return any(group.get("logGroupName") == log_group for group in groups)


def error_lines(lines: Iterable[LogLine]) -> list[LogLine]:
    """The records that report a failure (failed forwards, errors, timeouts)."""
    return [line for line in lines if line.level in ("failed", "error")
            or (line.level == "platform" and "timed out" in line.message)]
