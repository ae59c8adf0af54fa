"""`--resync-schedule`: an EventBridge schedule expression for the stack's resync, or `off`.

Checked before anything is touched: CloudFormation would only fail on a bad expression
midway through the deploy (and moto accepts anything), so the rules EventBridge applies
are checked here (docs: "Rate expressions reference" and "Cron expressions" of the
EventBridge user guide).
"""

from __future__ import annotations

import re

DEFAULT_RESYNC_SCHEDULE = "rate(6 hours)"
RESYNC_OFF = "off"
ACCEPTED_FORMS = ("rate(N minutes|hours|days) (rate(1 hour): singular for 1), "
                  "cron(minutes hours day-of-month month day-of-week year) with ? in "
                  "day-of-month or day-of-week, or off; e.g. rate(6 hours), cron(0 3 * * ? *)")

_RATE = re.compile(r"^rate\((\d+) (minute|hour|day)(s?)\)$")
_CRON = re.compile(r"^cron\((.+)\)$")
# Per cron field: its characters (values, names, wildcards) as EventBridge allows them.
_CRON_FIELDS = (
    ("minutes", re.compile(r"^[\d,\-*/]+$")),
    ("hours", re.compile(r"^[\d,\-*/]+$")),
    ("day-of-month", re.compile(r"^([\d,\-*/LW]+|\?)$")),
    ("month", re.compile(r"^[\dA-Za-z,\-*/]+$")),
    ("day-of-week", re.compile(r"^([\dA-Za-z,\-*L#]+|\?)$")),
    ("year", re.compile(r"^[\d,\-*/]+$")),
)


def schedule_problem(expression: str) -> str | None:
    """What is wrong with a resync schedule, or None when EventBridge would accept it."""
    text = expression.strip()
    if text == RESYNC_OFF:
        return None
    rate = _RATE.match(text)
    if rate:
        value, plural = int(rate.group(1)), bool(rate.group(3))
        if value >= 1 and plural == (value > 1):
            return None
        return _problem(text, "a rate needs a positive number, with a singular unit for 1 "
                              "(rate(1 hour)) and a plural one above (rate(6 hours))")
    cron = _CRON.match(text)
    if cron:
        fields = cron.group(1).split()
        if len(fields) != len(_CRON_FIELDS):
            return _problem(text, f"a cron expression has 6 fields, not {len(fields)}")
        for value, (name, allowed) in zip(fields, _CRON_FIELDS, strict=True):
            if not allowed.match(value):
                return _problem(text, f"the {name} field {value!r} is not valid")
        if "?" not in (fields[2], fields[4]):
            return _problem(text, "one of day-of-month and day-of-week must be ?")
        return None
    return _problem(text, "it is neither a rate(...) nor a cron(...) expression")


def _problem(text: str, why: str) -> str:
    return f"resync schedule {text!r} is invalid: {why}. Accepted: {ACCEPTED_FORMS} (--resync-schedule)"
