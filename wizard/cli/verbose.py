"""`-v/--verbose`: each AWS and Port call and every retry, one line each on stderr.

core logs them at DEBUG on the `port_aws_wizard` loggers (core/port/client.py,
core/aws/call_log.py) with what was called and how it ended, never a body, a header, a
token or a webhook key; botocore's retry decisions come from its own logger, filtered to
the "Retry needed" lines (its other debug output carries request bodies and headers).
Without -v nothing listens and the lines cost one level check each.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator

from wizard.cli.output import Output
from wizard.cli.style import join

CORE_LOGGER = "port_aws_wizard"
BOTOCORE_RETRIES = "botocore.retries.standard"


class _OutputHandler(logging.Handler):
    def __init__(self, output: Output, prefix: str) -> None:
        super().__init__(logging.DEBUG)
        self.output, self.prefix = output, prefix

    def emit(self, record: logging.LogRecord) -> None:
        try:
            self.output.write(join((f"verbose: {self.prefix}{record.getMessage()}", "dim")), self.output.err)
        except Exception:  # noqa: BLE001 - logging must never break the command
            self.handleError(record)


def _retries_only(record: logging.LogRecord) -> bool:
    return record.getMessage().startswith("Retry needed")


@contextlib.contextmanager
def verbose_calls(output: Output) -> Iterator[None]:
    """While the command runs with -v, the call and retry lines go to stderr."""
    if not output.verbose:
        yield
        return
    attached: list[tuple[logging.Logger, logging.Handler, int]] = []
    core = logging.getLogger(CORE_LOGGER)
    retries = logging.getLogger(BOTOCORE_RETRIES)
    aws_retry = _OutputHandler(output, "AWS ")
    aws_retry.addFilter(_retries_only)
    for logger, handler in ((core, _OutputHandler(output, "")), (retries, aws_retry)):
        attached.append((logger, handler, logger.level))
        logger.addHandler(handler)
        logger.setLevel(logging.DEBUG)
    try:
        yield
    finally:
        for logger, handler, level in attached:
            logger.removeHandler(handler)
            logger.setLevel(level)
