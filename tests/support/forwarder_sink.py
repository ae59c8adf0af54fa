"""A real local HTTP server playing Port's ingest webhook, with scripted answers.

    with WebhookSink(secret="s3cr3t") as sink:
        sink.script("evt-1", Reply(500), Reply(200))     # by metadata.eventId / identifier
        sink.url                                          # http://127.0.0.1:<port>/<key>
        sink.received                                     # every request, in arrival order

Replies are chosen per event key (not per arrival order), so concurrent senders get
deterministic answers. Unscripted requests get `default` (202 like Port). With a secret the
server checks the HMAC-SHA256 signature and answers 401 when it does not match.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

SIGNATURE_HEADER = "x-port-aws-signature"


@dataclass(frozen=True)
class Reply:
    status: int = 202
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0  # seconds to wait before answering (timeouts, latency)


@dataclass(frozen=True)
class Received:
    path: str
    headers: dict[str, str]  # lowercased names
    body: bytes
    key: str | None
    status: int
    at: float  # time.monotonic() on arrival
    connection: tuple[str, int]  # client address: equal for requests on one connection
    signature_ok: bool | None  # None when the sink has no secret

    def json(self) -> Any:
        return json.loads(self.body)


def event_key(body: bytes) -> str | None:
    """The key replies are scripted by: metadata.eventId, or a Port entity's identifier."""
    try:
        data = json.loads(body)
    except ValueError:
        return None
    if not isinstance(data, dict):
        return None
    if isinstance(data.get("metadata"), dict):
        return data["metadata"].get("eventId")
    return data.get("identifier")


class WebhookSink:
    def __init__(
        self,
        *,
        key: str = "whk_SecretWebhookKey123",
        secret: str | None = None,
        latency: float = 0.0,
        default: Reply | None = None,
    ) -> None:
        self.key = key
        self.secret = secret
        self.latency = latency
        self.default = default or Reply()
        self.received: list[Received] = []
        self._scripts: dict[str | None, list[Reply]] = {}
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}/{self.key}"

    def script(self, key: str | None, *replies: Reply | int) -> None:
        """Answer the next requests for `key` with these replies, then with `default`."""
        with self._lock:
            self._scripts.setdefault(key, []).extend(r if isinstance(r, Reply) else Reply(r) for r in replies)

    def for_key(self, key: str) -> list[Received]:
        return [r for r in self.received if r.key == key]

    def __enter__(self) -> WebhookSink:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    def _next_reply(self, key: str | None) -> Reply:
        with self._lock:
            queue = self._scripts.get(key)
            return queue.pop(0) if queue else self.default

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        sink = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keep-alive, like Port's ingest

            def do_POST(self) -> None:  # noqa: N802 - http.server's naming
                arrived = time.monotonic()
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                headers = {k.lower(): v for k, v in self.headers.items()}
                key = event_key(body)
                reply = sink._next_reply(key)
                signature_ok = None
                if sink.secret is not None:
                    digest = hmac.new(sink.secret.encode(), body, hashlib.sha256).hexdigest()
                    signature_ok = hmac.compare_digest(headers.get(SIGNATURE_HEADER, ""), f"sha256={digest}")
                    if not signature_ok:
                        reply = Reply(401)
                with sink._lock:
                    sink.received.append(
                        Received(
                            self.path,
                            headers,
                            body,
                            key,
                            reply.status,
                            arrived,
                            self.client_address[:2],
                            signature_ok,
                        )
                    )
                time.sleep(sink.latency + reply.delay)
                answer = json.dumps({"ok": 200 <= reply.status < 300}).encode()
                try:
                    self.send_response(reply.status)
                    for name, value in reply.headers.items():
                        self.send_header(name, value)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(answer)))
                    self.end_headers()
                    self.wfile.write(answer)
                except OSError:
                    pass  # the client gave up (timeout tests)

            def log_message(self, *args: Any) -> None:
                pass

        return Handler


class LambdaContext:
    """The part of the Lambda context object the handler uses (documented Lambda API)."""

    def __init__(self, budget_seconds: float) -> None:
        self._end = time.monotonic() + budget_seconds

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._end - time.monotonic()) * 1000))
