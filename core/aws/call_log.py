"""One DEBUG line per AWS call on the `port_aws_wizard.aws` logger, for the console's `--verbose`.

`log_calls(session)` hooks botocore's before-call/after-call events: the service, operation
and region, the HTTP status or error code, the time taken and how many retries botocore
made. Never the parameters, the body or the headers (they can hold the webhook secret and
the request signature). Nothing is printed unless someone listens to the logger.
"""

from __future__ import annotations

import logging
import time
from typing import Any

log = logging.getLogger("port_aws_wizard.aws")

_STARTED = "port_aws_wizard_started"


def log_calls(session: Any) -> None:
    """Register the hooks on a boto3 Session (every client made from it afterwards logs)."""
    events = session.events
    events.register("before-call", _before_call)
    events.register("after-call", _after_call)
    events.register("after-call-error", _after_call_error)


def _before_call(context: dict[str, Any], **_kwargs: Any) -> None:
    context[_STARTED] = time.monotonic()


def _after_call(http_response: Any, parsed: dict[str, Any], model: Any, context: dict[str, Any],
                **_kwargs: Any) -> None:
    if not log.isEnabledFor(logging.DEBUG):
        return
    metadata = parsed.get("ResponseMetadata") or {}
    code = (parsed.get("Error") or {}).get("Code", "")
    retries = int(metadata.get("RetryAttempts") or 0)
    outcome = f"{http_response.status_code}" + (f" {code}" if code else "")
    log.debug("AWS %s -> %s in %s%s", _name(model, context), outcome, _elapsed(context),
              f" after {retries} retr{'y' if retries == 1 else 'ies'}" if retries else "")


def _after_call_error(exception: BaseException, context: dict[str, Any], **kwargs: Any) -> None:
    if log.isEnabledFor(logging.DEBUG):
        log.debug("AWS %s -> %s in %s", _name(None, context, kwargs.get("event_name", "")),
                  type(exception).__name__, _elapsed(context))


def _name(model: Any, context: dict[str, Any], event_name: str = "") -> str:
    if model is not None:
        operation = f"{model.service_model.service_name}.{model.name}"
    else:  # after-call-error.<service>.<Operation>
        operation = ".".join(event_name.split(".")[1:3]) or "call"
    region = context.get("client_region")
    return f"{operation} ({region})" if region else operation


def _elapsed(context: dict[str, Any]) -> str:
    started = context.get(_STARTED)
    return "?" if started is None else f"{(time.monotonic() - started) * 1000:.0f} ms"
