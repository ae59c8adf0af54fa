"""HTTP plumbing: a threaded stdlib server on 127.0.0.1 and the ``PortEmulator`` facade."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, NamedTuple
from urllib.parse import parse_qsl, urlsplit

from core.emulator.auth import Auth
from core.emulator.faults import Faults
from core.emulator.ingest import IngestRecord
from core.emulator.routes import Api, Request, Response
from core.emulator.store import Change, Store

# Bodies beyond this are not read at all; the connection is closed after the 413.
_MAX_READ_BYTES = 8 * 1024 * 1024


class RequestRecord(NamedTuple):
    method: str
    path: str
    status: int


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body are separate writes: avoid 40 ms stalls
    server: _Server

    def _read_body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        if length > _MAX_READ_BYTES:
            self.close_connection = True
            return b"\0" * (_MAX_READ_BYTES + 1)  # only its size matters: it is a 413
        return self.rfile.read(length) if length else b""

    def _dispatch(self) -> None:
        emulator = self.server.emulator
        url = urlsplit(self.path)
        request = Request(
            method=self.command, path=url.path, query=dict(parse_qsl(url.query)),
            headers={k.lower(): v for k, v in self.headers.items()}, raw=self._read_body(),
        )
        response = emulator._respond(request)
        payload = json.dumps(response.body).encode()
        self.send_response(response.status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(payload)))
        for name, value in response.headers.items():
            self.send_header(name, value)
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(payload)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _dispatch

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        """Silenced: the request line holds ingest keys. ``PortEmulator(log=...)`` logs."""


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    emulator: PortEmulator


class PortEmulator:
    """A Port API served over real HTTP, with switches for tests.

    Use as a context manager (``with PortEmulator(...) as emu: emu.base_url``) or call
    ``start()`` / ``stop()``.
    """

    def __init__(
        self, client_id: str = "emulator-client-id", client_secret: str = "emulator-secret",
        *, host: str = "127.0.0.1", port: int = 0, log: Callable[[str], None] | None = None,
        return_webhook_secret: bool = True,
    ) -> None:
        """``return_webhook_secret=False``: webhook reads never carry ``security.secret``, as
        Port does not promise to return it."""
        self.store = Store(actor=client_id, return_webhook_secret=return_webhook_secret)
        self._auth = Auth(client_id, client_secret)
        self._api = Api(self.store, self._auth)
        self._faults = Faults()
        self._host, self._port = host, port
        self._log = log
        self._requests: list[RequestRecord] = []
        self._requests_lock = threading.Lock()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self.base_url = ""

    # ---- lifecycle ------------------------------------------------------------------------
    def start(self) -> str:
        """Serve in a background thread; returns the base URL ``http://127.0.0.1:<port>``."""
        if self._server is not None:
            return self.base_url
        server = _Server((self._host, self._port), _Handler)
        server.emulator = self
        self._server = server
        self.base_url = f"http://{self._host}:{server.server_address[1]}"
        self.store.ingest_base = self.base_url
        self._thread = threading.Thread(target=server.serve_forever, name="port-emulator",
                                        kwargs={"poll_interval": 0.05}, daemon=True)
        self._thread.start()
        return self.base_url

    def serve_forever(self) -> None:
        """Start and block until interrupted (used by ``python -m core.emulator``)."""
        self.start()
        assert self._thread is not None
        try:
            while self._thread.is_alive():
                self._thread.join(0.5)
        finally:
            self.stop()

    def stop(self) -> None:
        if self._server is None:
            return
        self._server.shutdown()
        self._server.server_close()
        self._server = None

    def __enter__(self) -> PortEmulator:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    # ---- request path ---------------------------------------------------------------------
    def _respond(self, request: Request) -> Response:
        delay = self._faults.latency_for(request.path)
        if delay:
            time.sleep(delay)
        failure = self._faults.failure_for(request.method, request.path)
        if failure is not None:
            response = Response(failure.status, {"ok": False, "error": "injected_failure",
                                                 "message": f"injected {failure.status}"},
                                failure.headers)
        else:
            response = self._api.handle(request)
        with self._requests_lock:
            self._requests.append(RequestRecord(request.method, request.path, response.status))
        if self._log is not None:
            matched = self._api.match(request.method, request.path)
            shown = "/<webhookKey>" if matched and matched[0].ingest else request.path
            self._log(f"{request.method} {shown} {response.status}")
        return response

    # ---- what tests look at -----------------------------------------------------------
    @property
    def requests(self) -> list[RequestRecord]:
        with self._requests_lock:
            return list(self._requests)

    @property
    def changes(self) -> list[Change]:
        with self.store.lock:
            return list(self.store.changes)

    @property
    def entities(self) -> dict[str, dict[str, dict[str, Any]]]:
        """``{blueprint: {identifier: entity}}``, a snapshot."""
        return self.store.entities_snapshot()

    @property
    def ingest_log(self) -> list[IngestRecord]:
        """One record per accepted ingest request: applied / duplicate / dropped."""
        with self._api._log_lock:
            return list(self._api.ingest_log)

    # ---- switches -------------------------------------------------------------------------
    def expire_tokens(self) -> None:
        """Every token issued so far answers 401 from now on."""
        self._auth.expire_all()

    def fail_next(
        self, method: str, path_regex: str, count: int = 1, status: int = 503,
        headers: dict[str, str] | None = None,
    ) -> None:
        self._faults.fail_next(method, path_regex, count, status, headers)

    def fail_ratio(
        self, path_regex: str, ratio: float, status: int = 503, seed: int | None = None
    ) -> None:
        self._faults.fail_ratio(path_regex, ratio, status, seed)

    def set_latency(self, seconds: float, path_regex: str | None = None) -> None:
        self._faults.set_latency(seconds, path_regex)
