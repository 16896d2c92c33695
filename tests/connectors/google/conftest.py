"""Fixtures of the Google Calendar suites: a connection to the emulator on a live server,
Google's own client built from the discovery document, a receiver for push notifications, and
every request our client sends checked against the discovery document as it is sent."""

from __future__ import annotations

import gc
import queue
import threading
from dataclasses import dataclass
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

import pytest
from django.utils import timezone

from connectors.http import VendorHttp
from connectors.models import Connection
from emulators.auth import issue_token_for_tests
from tests.conftest import close_kept_alive_sessions
from tests.connectors.google import discovery_check
from tests.shared import require_shared

SENT: list[str] = []


@pytest.fixture(autouse=True)
def discovery_document():
    """Google's discovery document, read in place from the shared folder."""
    require_shared(discovery_check.DOC_PATH, "Google's Calendar v3 discovery document")


@pytest.fixture(autouse=True)
def sent_requests_fit_the_discovery_document(monkeypatch):
    """Every request the Google client sends must be one of the discovery document's methods
    with declared parameters and schema fields (``discovery_check``); checked before it is
    sent, so a request the emulator would let pass still fails the test."""
    send = VendorHttp.request
    SENT.clear()

    def checked(self, method, path, **kwargs):
        if self.spec.slug == "google":
            SENT.append(
                discovery_check.check_request(
                    method.upper(), urlsplit(path).path, kwargs.get("params"), kwargs.get("json")
                )
            )
        return send(self, method, path, **kwargs)

    monkeypatch.setattr(VendorHttp, "request", checked)


@pytest.fixture
def google(live_server, settings, world):
    """``google(client=None)`` -> (connection, account id) on the emulator."""
    settings.VENDOR_BASE_URL = live_server.url + "/emulators"
    settings.VENDOR_INLINE_WAIT_SECONDS = 3.0

    def connect(client=None, account: str = ""):
        client = client or world.client_a
        account = account or f"google-{client.slug}"
        connection = Connection.objects.create(
            client=client,
            provider="google",
            kind="calendar",
            external_account_id=account,
            access_token=issue_token_for_tests("google", account, 3600),
            token_expires_at=timezone.now() + timedelta(hours=1),
        )
        return connection, account

    yield connect
    # A refused call's response stays referenced from the exception a test kept (pytest.raises)
    # until the cycle collector runs; its socket holds a live-server thread and that thread's
    # database connection, which PostgreSQL then counts against dropping the test database.
    close_kept_alive_sessions()
    gc.collect()


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes


@pytest.fixture
def receiver():
    """A plain-HTTP endpoint that records what is POSTed to it: ``(url, queue)``."""
    inbox: queue.Queue[Received] = queue.Queue()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            length = int(self.headers.get("Content-Length") or 0)
            inbox.put(Received(self.path, dict(self.headers.items()), self.rfile.read(length)))
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/hooks/google", inbox
    server.shutdown()
    server.server_close()
