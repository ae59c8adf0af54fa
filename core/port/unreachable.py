"""Why Port could not be reached, in words that name the cause and the setting to change.

httpx reports a wrong `--port-base-url` as a bare ConnectError; the cause is in the
exception chain (ConnectionRefusedError, socket.gaierror, ssl.SSLError, a timeout).
A certificate or a host that does not exist will not change on a retry; the rest may.
"""

from __future__ import annotations

import socket
import ssl
from dataclasses import dataclass
from urllib.parse import urlsplit

import httpx

FIX = "check --port-base-url (or PORT_BASE_URL)"
PORT_APIS = "Port's API is https://api.getport.io (EU) or https://api.us.getport.io (US)"


@dataclass(frozen=True)
class Unreachable:
    kind: str  # refused | dns | tls-certificate | tls | timeout | network
    cause: str  # what happened, e.g. "connection refused (nothing listens on 127.0.0.1:9)"
    advice: str  # what to change
    retryable: bool

    def message(self, base_url: str, attempts: int = 1) -> str:
        tries = f", {attempts} attempts" if attempts > 1 else ""
        return f"could not reach Port at {base_url}: {self.cause}{tries}; {self.advice}"


def describe_unreachable(error: httpx.TransportError, base_url: str) -> Unreachable:
    parts = urlsplit(base_url)
    host = parts.hostname or base_url
    address = f"{host}:{parts.port or (443 if parts.scheme == 'https' else 80)}"
    cause = _root_cause(error)
    if isinstance(cause, ConnectionRefusedError):
        return Unreachable("refused", f"connection refused (nothing listens on {address})",
                           f"{FIX}: {PORT_APIS}", True)
    if isinstance(cause, socket.gaierror):
        permanent = cause.errno in (socket.EAI_NONAME, getattr(socket, "EAI_NODATA", socket.EAI_NONAME))
        return Unreachable("dns", f"the host {host} was not found (DNS lookup failed)",
                           f"{FIX} and your network: {PORT_APIS}", not permanent)
    if isinstance(cause, ssl.SSLCertVerificationError):
        reason = cause.verify_message or "certificate verify failed"
        return Unreachable("tls-certificate", f"its TLS certificate was not accepted ({reason})",
                           f"{FIX}; behind a proxy that re-signs TLS, set SSL_CERT_FILE to its CA bundle",
                           False)
    if isinstance(cause, ssl.SSLError):
        return Unreachable("tls", f"the TLS handshake with {address} failed ({cause.reason or cause})",
                           f"is it an https server? {FIX} (plain http:// only for a local Port on 127.0.0.1)",
                           False)
    if isinstance(error, httpx.TimeoutException):
        return Unreachable("timeout", f"no answer in time ({type(error).__name__})",
                           f"{FIX}, your network and any proxy (HTTPS_PROXY)", True)
    return Unreachable("network", f"{type(error).__name__}: {cause or type(cause).__name__}",
                       f"{FIX} and your network", True)


def _root_cause(error: BaseException) -> BaseException:
    """The innermost exception of the chain (httpx -> httpcore -> the OSError or SSLError)."""
    seen: set[int] = set()
    current = error
    while id(current) not in seen:
        seen.add(id(current))
        following = current.__cause__ or current.__context__
        if following is None:
            return current
        current = following
    return current
