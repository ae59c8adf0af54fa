"""Checks of the URLs a user gives (Port API, webhook ingest URL, AWS endpoint) and their masking.

One rule set for all of them, checked before any request: http(s) with a host, a port
that is a number 1-65535, no `user:password@` (credentials never travel in a URL here),
no spaces, and https unless the host is this machine (plain http would send the Port
client secret or the webhook key in the clear). Messages never show a password or a
webhook key.
"""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit

_MASK = "*" * 8


def url_problem(url: str, what: str, *, example: str, secret_path: bool = False,
                remote_http: bool = False) -> str | None:
    """What is wrong with `url` (a message naming `what` and `example`), or None.

    `secret_path`: the path holds a key (an ingest URL) and is masked in the message;
    `remote_http`: plain http to another host is allowed (an AWS endpoint: requests are signed).
    """
    shown = safe_url_text(url, secret_path)
    if not url.strip():
        return f"{what} is empty; use a URL such as {example}"
    if any(character.isspace() or ord(character) < 32 for character in url.strip()):
        return f"{what} {shown!r} contains spaces or control characters; use a URL such as {example}"
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        return f"{what} {shown!r} has an invalid host or port (a port is a number 1-65535); " \
               f"use a URL such as {example}"
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return f"{what} {shown!r} is not an http(s) URL with a host; use a URL such as {example}"
    if "@" in parts.netloc:
        return f"{what} {shown!r} carries a user name or password (user:password@host); remove it " \
               "(Port credentials come from PORT_CLIENT_ID / PORT_CLIENT_SECRET)"
    if port == 0:
        return f"{what} {shown!r} has port 0; use a port 1-65535 or none"
    if parts.scheme == "http" and not remote_http and not is_loopback(parts.hostname):
        return f"{what} {shown!r} uses plain http to a remote host, which would send secrets in the " \
               "clear; use https (plain http only for 127.0.0.1/localhost)"
    return None


def is_loopback(host: str) -> bool:
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def mask_url(url: str) -> str:
    """An ingest URL with its key masked: https://ingest.getport.io/abcd******** (also with a
    trailing `/`, a query or a user:password@, none of which is shown)."""
    text = url.strip().split("#", 1)[0].split("?", 1)[0]
    scheme, separator, rest = text.partition("://")
    if not separator:
        return _MASK
    authority, _, path = rest.partition("/")
    authority = authority.rpartition("@")[2]
    segments = [segment for segment in path.split("/") if segment]
    if not segments:
        return f"{scheme}://{authority}/"
    head = "".join(f"/{segment}" for segment in segments[:-1])
    return f"{scheme}://{authority}{head}/{segments[-1][:4]}{_MASK}"


def safe_url_text(url: str, secret_path: bool = False) -> str:
    """`url` fit for an error message: without user:password@, the key masked when asked."""
    text = url.strip()
    if secret_path:
        return mask_url(text)
    scheme, separator, rest = text.partition("://")
    if separator:
        authority, slash, path = rest.partition("/")
        if "@" in authority:
            text = f"{scheme}://***@{authority.rpartition('@')[2]}{slash}{path}"
    return text if len(text) <= 200 else text[:200] + "..."
