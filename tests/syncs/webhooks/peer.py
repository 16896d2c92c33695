"""A real receiving peer for outbound webhooks: an HTTP server on 127.0.0.1 in a thread.

It records every request (headers and the exact body bytes) and answers with the statuses a
test queues, so tests see what went over the wire, not what our code believes it sent.
"""

from __future__ import annotations

import threading
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from syncs.webhooks import services
from syncs.webhooks.models import WebhookEndpoint


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Peer:
    url: str
    requests: list[Received] = field(default_factory=list)
    # (status, body, extra headers) answered in order; 200 once they run out.
    answers: deque[tuple[int, bytes, dict[str, str]]] = field(default_factory=deque)

    def answer(self, status: int, body: bytes = b"", **headers: str) -> None:
        self.answers.append((status, body, headers))


def _handler(peer: Peer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            headers = {k.lower(): v for k, v in self.headers.items()}
            peer.requests.append(Received(self.path, headers, body))
            status, reply, extra = peer.answers.popleft() if peer.answers else (200, b"ok", {})
            self.send_response(status)
            for name, value in extra.items():
                self.send_header(name.replace("_", "-"), value)
            self.send_header("Content-Length", str(len(reply)))
            self.end_headers()
            self.wfile.write(reply)

        def log_message(self, *args: object) -> None:
            pass

    return Handler


@pytest.fixture
def peer():
    peer = Peer(url="")
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(peer))
    peer.url = f"http://127.0.0.1:{server.server_address[1]}/hooks"
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield peer
    server.shutdown()
    server.server_close()


@pytest.fixture
def endpoint_a(world, peer) -> tuple[WebhookEndpoint, str]:
    """Client A's endpoint at the peer, subscribed to everything; and its secret."""
    return services.endpoint_create(client=world.client_a, url=peer.url, event_types=["*"])
