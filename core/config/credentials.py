"""Port API credentials: from the environment or a prompt, never from a file in the clear."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from core.errors import InputError

CLIENT_ID_VARIABLE = "PORT_CLIENT_ID"
CLIENT_SECRET_VARIABLE = "PORT_CLIENT_SECRET"
WEBHOOK_SECRET_VARIABLE = "PORT_WEBHOOK_SECRET"  # signing secret when --webhook is a given URL
WEBHOOK_URL_VARIABLE = "PORT_WEBHOOK_URL"  # the --port-only env file; a pre-secret stack's Lambda env


@dataclass(frozen=True)
class PortCredentials:
    client_id: str = field(repr=False)
    client_secret: str = field(repr=False)

    def __repr__(self) -> str:
        return "PortCredentials(client_id=***, client_secret=***)"


def credentials_from(environ: Mapping[str, str], overrides: Mapping[str, str] | None = None
                     ) -> PortCredentials | None:
    """Credentials from ${VAR}-expanded answers values, else the environment; None if incomplete."""
    overrides = overrides or {}
    client_id = overrides.get("port_client_id") or overrides.get("client_id") \
        or environ.get(CLIENT_ID_VARIABLE, "")
    client_secret = overrides.get("port_client_secret") or overrides.get("client_secret") \
        or environ.get(CLIENT_SECRET_VARIABLE, "")
    if client_id.strip() and client_secret.strip():
        return PortCredentials(client_id.strip(), client_secret.strip())
    return None


def require_credentials(credentials: PortCredentials | None) -> PortCredentials:
    if credentials is None:
        raise InputError(
            f"Port credentials are missing: export {CLIENT_ID_VARIABLE} and "
            f"{CLIENT_SECRET_VARIABLE} (Port app > ... > Credentials)"
        )
    return credentials
