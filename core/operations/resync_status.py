"""The last resync of an install, read from the forwarder's log (`status`, the sandbox).

Each resync run ends with one summary line in the function's log group (core/lambda_code/resync.py):
{"resync": RUN, "summary": true, "trigger", "counts", "resources", "requests", "pieces",
"seconds", "errors"}; each piece logs {"resync": RUN, "piece", "kind", ...}. The newest
summary says when the catalog was last made whole; piece lines after it mean a run is
under way. The schedule rule is found as the queue's target with a ScheduleExpression.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any

import botocore.exceptions

from core.config.resync_schedule import RESYNC_OFF
from core.operations.logs import LogTail

DAY = 86400
_RATE = re.compile(r"^rate\((\d+) (minute|hour|day)s?\)$")
_UNIT = {"minute": 60, "hour": 3600, "day": DAY}


@dataclass(frozen=True)
class ResyncRun:
    """One finished resync run, from its summary line."""

    run: str
    finished: str  # ISO 8601, UTC (the log record's timestamp)
    trigger: str
    resources: int
    requests: int
    pieces: int
    seconds: float
    counts: dict[str, int] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class ResyncLog:
    """What the log says: the newest finished run, and whether pieces ran after it."""

    last: ResyncRun | None
    in_progress: bool
    window_seconds: float


def record(message: str) -> dict[str, Any] | None:
    """A resync log line as a dict (plain or in Lambda's JSON log format), else None."""
    try:
        data = json.loads(message)
    except ValueError:
        return None
    if isinstance(data, dict) and isinstance(data.get("message"), str) and "resync" not in data:
        return record(data["message"])
    return data if isinstance(data, dict) and "resync" in data else None


def window_seconds(schedule: str) -> float:
    """How far back a finished run must be: two intervals (at least a day); a week for cron."""
    rate = _RATE.match(schedule or "")
    if rate:
        return max(DAY, 2 * int(rate.group(1)) * _UNIT[rate.group(2)])
    return 8 * DAY


def read_resync_log(logs: Any, log_group: str, schedule: str,
                    now: Callable[[], float] = time.time) -> ResyncLog:
    """The newest summary and later piece lines within the schedule's window."""
    window = window_seconds(schedule)
    tail = LogTail(logs, log_group, since_seconds=window, filter_text="resync",
                   now_ms=lambda: int(now() * 1000))
    last: ResyncRun | None = None
    in_progress = False
    for line in tail.history():
        data = record(line.message)
        if data is None:
            continue
        if data.get("summary"):
            last, in_progress = _run(data, line.timestamp_ms), False
        else:
            in_progress = True
    return ResyncLog(last, in_progress, window)


def _run(data: dict[str, Any], timestamp_ms: int) -> ResyncRun:
    finished = datetime.fromtimestamp(timestamp_ms / 1000, UTC).isoformat(timespec="seconds")
    return ResyncRun(str(data.get("resync", "")), finished.replace("+00:00", "Z"),
                     str(data.get("trigger") or ""), int(data.get("resources") or 0),
                     int(data.get("requests") or 0), int(data.get("pieces") or 0),
                     float(data.get("seconds") or 0), dict(data.get("counts") or {}),
                     [str(error) for error in data.get("errors") or []])


def schedule_rule(events: Any, queue_arn: str) -> dict[str, Any] | None:
    """The schedule rule that targets the queue (describe_rule's answer), or None."""
    if not queue_arn:
        return None
    for name in events.list_rule_names_by_target(TargetArn=queue_arn).get("RuleNames", []):
        rule = events.describe_rule(Name=name)
        if rule.get("ScheduleExpression"):
            return rule
    return None


@dataclass(frozen=True)
class ResyncFigures:
    """The status line of the resync: ok, figure, detail, fix, and the data for --json."""

    ok: bool
    figure: str
    detail: str = ""
    fix: str = ""
    data: dict[str, Any] = field(default_factory=dict)


def resync_figures(logs: Any, events: Any, log_group: str, queue_arn: str, schedule: str,
                   stack_age_seconds: float | None, fix_prefix: str,
                   now: Callable[[], float] = time.time) -> ResyncFigures:
    """When the last resync finished, how many resources it sent, and its failures."""
    data: dict[str, Any] = {"schedule": schedule or "", "lastResync": None, "inProgress": False}
    if schedule and schedule != RESYNC_OFF:
        rule = schedule_rule(events, queue_arn)
        if rule is None:
            return ResyncFigures(False, "no schedule rule", f"the schedule {schedule} has no rule "
                                 "targeting the queue", "run the install again", data)
        if rule.get("State") != "ENABLED":
            return ResyncFigures(False, f"schedule {rule.get('State')}",
                                 f"rule {rule['Name']} is {rule.get('State')}: no scheduled resync",
                                 f"aws events enable-rule --name {rule['Name']} {fix_prefix}", data)
    try:
        found = read_resync_log(logs, log_group, schedule, now)
    except botocore.exceptions.ClientError as error:
        if error.response.get("Error", {}).get("Code") != "ResourceNotFoundException":
            raise
        found = ResyncLog(None, False, window_seconds(schedule))
    data["inProgress"] = found.in_progress
    running = "; a run is under way" if found.in_progress else ""
    where = f"schedule {schedule}" if schedule and schedule != RESYNC_OFF else "resync schedule off"
    if found.last is None:
        figure = f"none finished in the last {_age(found.window_seconds)}{running}; {where}"
        young = stack_age_seconds is not None and stack_age_seconds < found.window_seconds
        if found.in_progress or young or schedule == RESYNC_OFF:
            return ResyncFigures(True, figure, "the first resync starts right after the install",
                                 data=data)
        return ResyncFigures(False, figure, "no resync run finished: Port may be missing resources",
                             "port-aws-wizard logs --resync --since 1d; port-aws-wizard sync", data)
    last = found.last
    data["lastResync"] = last.to_dict()
    ago = _age(now() - datetime.fromisoformat(last.finished.replace("Z", "+00:00")).timestamp())
    figure = (f"{last.finished} ({ago} ago): {last.resources} resources, {last.requests} request(s), "
              f"{len(last.errors)} error(s){running}; {where}")
    if last.errors:
        return ResyncFigures(False, figure, "last: " + " | ".join(last.errors[-3:]),
                             "see port-aws-wizard logs --resync; a missing read permission "
                             "needs the install run again", data)
    return ResyncFigures(True, figure, data=data)


def _age(seconds: float) -> str:
    seconds = max(0, int(seconds))
    if seconds < 120:
        return f"{seconds}s"
    if seconds < 7200:
        return f"{seconds // 60}m"
    if seconds < 2 * DAY:
        return f"{seconds // 3600}h"
    return f"{seconds // DAY}d"
