"""A Port that cannot be reached, or that refuses the credentials, is named with its cause and the flag
to change: connection refused, DNS, TLS (wrong protocol or certificate), and the EU/US region pairing."""

from __future__ import annotations

import http.server
import io
import shutil
import ssl
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from core.config.credentials import PortCredentials
from core.config.port_regions import other_region_hint, region_of
from core.emulator import PortEmulator
from core.errors import PortAuthError, PortUnreachableError
from core.port.client import PortClient
from core.port.retry import Backoff
from tests.support.port import EMULATOR_CLIENT_ID, EMULATOR_CLIENT_SECRET
from wizard.cli.install import run_console_install
from wizard.cli.output import Output

GOOD = PortCredentials(EMULATOR_CLIENT_ID, EMULATOR_CLIENT_SECRET)


def unreachable(base_url: str) -> tuple[PortUnreachableError, list[float]]:
    sleeps: list[float] = []
    with PortClient(base_url, GOOD, backoff=Backoff(attempts=3), sleep=sleeps.append) as client, \
            pytest.raises(PortUnreachableError) as caught:
        client.get_blueprint("awsAccount")
    return caught.value, sleeps


def test_connection_refused_names_the_address_and_the_flag() -> None:
    error, sleeps = unreachable("http://127.0.0.1:9")
    assert error.kind == "refused" and len(sleeps) == 2  # may be a restart: retried
    assert str(error) == (
        "could not reach Port at http://127.0.0.1:9: connection refused (nothing listens on 127.0.0.1:9), "
        "3 attempts; check --port-base-url (or PORT_BASE_URL): Port's API is https://api.getport.io (EU) "
        "or https://api.us.getport.io (US)")


def test_a_host_that_does_not_exist_is_a_dns_failure_not_retried() -> None:
    error, sleeps = unreachable("https://no-such-host.invalid")
    assert error.kind == "dns" and sleeps == []
    assert str(error).startswith(
        "could not reach Port at https://no-such-host.invalid: the host no-such-host.invalid was not found "
        "(DNS lookup failed); check --port-base-url")


def test_https_to_a_plain_http_server_is_a_tls_failure(port_emulator: PortEmulator) -> None:
    port = httpx.URL(port_emulator.base_url).port
    error, sleeps = unreachable(f"https://127.0.0.1:{port}")
    assert error.kind == "tls" and sleeps == []
    assert f"the TLS handshake with 127.0.0.1:{port} failed" in str(error)
    assert "is it an https server? check --port-base-url" in str(error)


@pytest.fixture
def self_signed_server(tmp_path: Path) -> Iterator[str]:
    """An https server whose certificate nobody signed."""
    if shutil.which("openssl") is None:
        pytest.skip("openssl is needed to make a certificate")
    key, cert = tmp_path / "key.pem", tmp_path / "cert.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key),
                    "-out", str(cert), "-days", "1", "-subj", "/CN=127.0.0.1"],
                   check=True, capture_output=True, timeout=60)
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), http.server.BaseHTTPRequestHandler)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"https://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_an_untrusted_certificate_names_ssl_cert_file(self_signed_server: str) -> None:
    error, sleeps = unreachable(self_signed_server)
    assert error.kind == "tls-certificate" and sleeps == []
    assert "its TLS certificate was not accepted (self-signed certificate)" in str(error)
    assert "set SSL_CERT_FILE to its CA bundle" in str(error)


@pytest.mark.parametrize(("url", "region", "hint"), [
    ("https://api.getport.io", "eu", "https://api.us.getport.io"),
    ("https://api.port.io/", "eu", "https://api.us.getport.io"),
    ("https://api.us.getport.io", "us", "https://api.getport.io"),
    ("https://API.US.PORT.IO", "us", "https://api.getport.io"),
    ("http://127.0.0.1:5000", None, ""),
    ("https://port.internal.example", None, ""),
])
def test_region_pairing(url: str, region: str | None, hint: str) -> None:
    assert region_of(url) == region
    assert (f"pass --port-base-url {hint} (or set PORT_BASE_URL)" in other_region_hint(url)) if hint \
        else other_region_hint(url) == ""


def test_a_401_at_one_region_names_the_other(port_emulator: PortEmulator) -> None:
    wrong = PortCredentials(EMULATOR_CLIENT_ID, "made-in-the-other-region")
    with PortClient("https://api.getport.io", wrong) as client:
        client._http = httpx.Client(base_url=port_emulator.base_url)  # Port's EU URL, answered locally
        with pytest.raises(PortAuthError) as caught:
            client.authenticate()
    assert caught.value.status == 401
    assert str(caught.value) == (
        "Port rejected the client id/secret (check PORT_CLIENT_ID and PORT_CLIENT_SECRET, and that they "
        "belong to the organization at https://api.getport.io); if your Port organization is in the US "
        "region, its API is https://api.us.getport.io: pass --port-base-url https://api.us.getport.io "
        "(or set PORT_BASE_URL)")
    assert "made-in-the-other-region" not in str(caught.value)


def test_a_local_port_401_has_no_region_hint(port_emulator: PortEmulator) -> None:
    with PortClient(port_emulator.base_url, PortCredentials(EMULATOR_CLIENT_ID, "wrong")) as client, \
            pytest.raises(PortAuthError) as caught:
        client.authenticate()
    assert "region" not in str(caught.value)


def test_the_console_says_it_in_one_line_with_the_flag(port_emulator: PortEmulator,
                                                       aws_endpoint: str) -> None:
    port = httpx.URL(port_emulator.base_url).port
    env = {"PORT_CLIENT_ID": EMULATOR_CLIENT_ID, "PORT_CLIENT_SECRET": EMULATOR_CLIENT_SECRET,
           "AWS_ENDPOINT_URL": aws_endpoint}  # AWS answers (no stack yet): only Port is unreachable
    out, err = io.StringIO(), io.StringIO()
    flags = {"dry_run": True, "port_only": True, "port_base_url": f"https://127.0.0.1:{port}"}
    code = run_console_install(None, flags, env, output=Output(out, err, env))
    assert code == 1
    assert err.getvalue().count("\n") == 1 and err.getvalue().startswith(
        f"error: could not reach Port at https://127.0.0.1:{port}: the TLS handshake")
    assert "--port-base-url" in err.getvalue()
