"""A tiny webhook receiver for ``calendar_sync.py --measure booking``: the chatbot's end.

It listens on a loopback port in the benchmark's own process, checks each delivery's Standard
Webhooks signature (``syncs.webhooks.signing``; a bad one is answered 401 and not counted) and
records when each ``booking.updated`` arrived, keyed by the booking and its new start, so the
benchmark can stop its clock on the delivery of the very move it made.
"""

from __future__ import annotations

import hmac
import json
import threading
import time
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Receiver:
    """Arrival times of signed ``booking.updated`` deliveries; the server runs in a thread."""

    def __init__(self) -> None:
        self.secret = ""  # set once the endpoint exists (its secret is known only then)
        self.arrivals: dict[tuple[str, datetime], float] = {}
        self.bad_signatures = 0
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}/hook"

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def arrived(self, booking_id: str, start: datetime) -> float | None:
        """The monotonic time the move of ``booking_id`` to ``start`` was delivered, if it was."""
        with self._lock:
            return self.arrivals.get((booking_id, start))

    def _accept(self, headers: dict[str, str], body: bytes) -> bool:
        from syncs.webhooks.signing import sign

        expected = sign(self.secret, headers["webhook-id"], int(headers["webhook-timestamp"]), body)
        offered = headers.get("webhook-signature", "").split()
        if not any(hmac.compare_digest(expected, s) for s in offered):
            with self._lock:
                self.bad_signatures += 1
            return False
        envelope = json.loads(body)
        if envelope["type"] == "booking.updated":
            data = envelope["data"]
            with self._lock:
                key = (data["id"], datetime.fromisoformat(data["start"]))
                self.arrivals.setdefault(key, time.monotonic())
        return True

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("content-length", "0")))
                headers = {k.lower(): v for k, v in self.headers.items()}
                ok = receiver._accept(headers, body)
                self.send_response(204 if ok else 401)
                self.end_headers()

            def log_message(self, format: str, *args: object) -> None:
                return  # quiet: the benchmark prints the figures

        return Handler
