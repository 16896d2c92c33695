"""Fixtures for the Outlook (Microsoft Graph) calendar suites: a connection pointed at the
Graph emulator of a live server, and a small HTTP receiver standing in for a subscriber's
notification endpoint (the product's own receiving endpoint is another issue's)."""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from django.utils import timezone

from connectors.models import Connection
from emulators.auth import issue_token_for_tests
from emulators.graph import control

V = "outlook"


@dataclass
class Graph:
    connection: Connection
    account: str
    calendar: str  # the mailbox's default calendar


@pytest.fixture
def graph(live_server, settings, world) -> Graph:
    """A client's Outlook connection against the emulator, with its mailbox's default calendar."""
    settings.VENDOR_BASE_URL = live_server.url + "/emulators"
    settings.VENDOR_INLINE_WAIT_SECONDS = 3.0
    account = f"mailbox-{world.client_a.slug}"
    connection = Connection.objects.create(
        client=world.client_a,
        provider=V,
        kind="calendar",
        external_account_id=account,
        access_token=issue_token_for_tests(V, account, 3600),
        refresh_token="",
        token_expires_at=timezone.now() + timedelta(hours=1),
    )
    return Graph(connection, account, control.default_calendar(account))


@dataclass
class Receiver:
    """What a subscriber's endpoint does with Graph's validation request (``mode``: "echo",
    "wrong", "silent" = answers 200 with no token, "html" = echoes as text/html, "slow" = echoes
    after ``delay`` seconds) and what it
    received since."""

    url: str
    mode: str = "echo"
    delay: float = 0.0  # seconds a "slow" endpoint takes to answer
    validations: list[str] = field(default_factory=list)
    notifications: list[dict[str, Any]] = field(default_factory=list)
    arrived: threading.Condition = field(default_factory=threading.Condition)

    def wait_for(self, count: int, timeout: float = 10.0) -> list[dict[str, Any]]:
        """The first ``count`` notification bodies, once they arrived (Graph sends them
        asynchronously); fails the test if they never do."""
        with self.arrived:
            self.arrived.wait_for(lambda: len(self.notifications) >= count, timeout=timeout)
        assert len(self.notifications) >= count, self.notifications
        return self.notifications[:count]


def _handler(receiver: Receiver) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length)
            token = parse_qs(urlsplit(self.path).query).get("validationToken")
            if token:
                receiver.validations.append(token[0])
                self._validation(token[0])
                return
            with receiver.arrived:
                receiver.notifications.append(json.loads(raw or b"{}"))
                receiver.arrived.notify_all()
            self.send_response(202)
            self.end_headers()

        def _validation(self, token: str) -> None:
            mode = receiver.mode
            if mode == "slow":  # answers, but after Graph stopped waiting
                time.sleep(receiver.delay)
            body = {"echo": token, "html": token, "slow": token, "wrong": "not-the-token"}.get(
                mode, ""
            )
            self.send_response(200)
            kind = "text/html" if mode == "html" else "text/plain"
            self.send_header("Content-Type", f"{kind}; charset=utf-8")
            self.send_header("Content-Length", str(len(body.encode())))
            self.end_headers()
            self.wfile.write(body.encode())

        def log_message(self, *args: Any) -> None:
            pass

    return Handler


@pytest.fixture
def receiver(graph) -> Receiver:
    """A notification endpoint on loopback HTTP (the mailbox is told to accept http URLs,
    which Graph itself refuses: only https)."""
    control.configure(graph.account, allow_http_notification_url=True)
    box = Receiver(url="")
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(box))
    box.url = f"http://127.0.0.1:{server.server_port}/hooks/outlook"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield box
    server.shutdown()
    server.server_close()


@pytest.fixture(autouse=True)
def sent_bodies_fit_graphs_models(monkeypatch):
    """Every JSON body the Outlook client sends in these tests must read cleanly as
    Microsoft's model of that request (``sdk_models``), checked as it is sent."""
    from connectors.http import VendorHttp
    from tests.connectors.outlook import sdk_models

    send = VendorHttp.request

    def checked(self, method, path, **kwargs):
        body = kwargs.get("json")
        if self.spec.slug == V and body is not None:
            model = sdk_models.model_for(method.upper(), urlsplit(path).path)
            assert model is not None, f"no Graph model known for {method} {path}"
            sdk_models.check(body, model)
        return send(self, method, path, **kwargs)

    monkeypatch.setattr(VendorHttp, "request", checked)
