"""Parse `--webhook`: a webhook identifier, a full ingest URL, or a partial `/v1/webhooks/<id>` URL."""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from core.errors import InputError

WEBHOOK_IDENTIFIER_MAX = 30
_IDENTIFIER = re.compile(r"^[A-Za-z0-9@_.:=-]+$")
_PARTIAL = re.compile(r"^/?v1/webhooks/(?P<identifier>[^/?#]+)/?$")

FORMS_HELP = (
    "--webhook takes one of: an identifier (aws_ingest), a full ingest URL "
    "(https://ingest.getport.io/<webhookKey>), or a partial URL (/v1/webhooks/aws_ingest)"
)


@dataclass(frozen=True)
class WebhookRef:
    """Which webhook to use: one we create/update by identifier, or a given ingest URL as is."""

    identifier: str | None = None
    ingest_url: str | None = None

    @property
    def managed(self) -> bool:
        """True when the installer creates/updates the webhook in Port."""
        return self.identifier is not None

    def describe(self) -> str:
        if self.identifier:
            return self.identifier
        return f"ingest URL on {urlsplit(self.ingest_url or '').netloc}"


def identifier_problem(identifier: str) -> str | None:
    if len(identifier) > WEBHOOK_IDENTIFIER_MAX:
        return (
            f"webhook identifier {identifier!r} is {len(identifier)} characters; "
            f"Port allows at most {WEBHOOK_IDENTIFIER_MAX}"
        )
    if not _IDENTIFIER.match(identifier):
        return (
            f"webhook identifier {identifier!r} has characters Port does not allow; "
            "use letters, digits and _ - . : @ ="
        )
    return None


def parse_webhook(value: str) -> WebhookRef:
    """Turn the `--webhook` value into a WebhookRef, or raise InputError naming the three forms."""
    text = (value or "").strip()
    if not text:
        raise InputError(f"--webhook is empty. {FORMS_HELP}")
    if "://" in text:
        parts = urlsplit(text)
        if parts.scheme not in ("http", "https") or not parts.netloc or not parts.path.strip("/"):
            raise InputError(f"--webhook {text!r} is not a usable ingest URL. {FORMS_HELP}")
        partial = _PARTIAL.match(parts.path)
        if partial:  # an API URL of the webhook, not its ingest URL
            return _from_identifier(partial.group("identifier"))
        return WebhookRef(ingest_url=text)
    partial = _PARTIAL.match(text)
    if partial:
        return _from_identifier(partial.group("identifier"))
    if "/" in text:
        raise InputError(f"--webhook {text!r} is neither an identifier nor a URL. {FORMS_HELP}")
    return _from_identifier(text)


def _from_identifier(identifier: str) -> WebhookRef:
    problem = identifier_problem(identifier)
    if problem:
        raise InputError(f"{problem}. {FORMS_HELP}")
    return WebhookRef(identifier=identifier)
