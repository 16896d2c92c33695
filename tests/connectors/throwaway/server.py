"""A small vendor for the throwaway CRM of ``test_adding_a_crm``: OAuth (authorize, token)
and a JSON records API, served over real HTTP on a free local port. It refuses what a vendor
refuses: a wrong client, code or redirect URI, a missing or wrong bearer token, an unknown
record."""

from __future__ import annotations

import itertools
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

CLIENT_ID, CLIENT_SECRET = "demo-acme-client", "demo-acme-secret"
TOKEN = "acme-token-1"
OBJECTS = ("contacts", "deals", "notes")


class AcmeVendor:
    """The vendor's state: issued codes and the records of each object type."""

    def __init__(self) -> None:
        self.records: dict[str, dict[str, dict[str, str]]] = {o: {} for o in OBJECTS}
        self.codes: dict[str, str] = {}  # code -> redirect_uri
        self.ids = itertools.count(1)
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"

    def __enter__(self) -> AcmeVendor:
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


def _handler(vendor: AcmeVendor) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:  # quiet test output
            pass

        def _reply(self, status: int, body: Any = None, headers: dict | None = None) -> None:
            data = b"" if body is None else json.dumps(body).encode()
            self.send_response(status)
            for name, value in {"Content-Type": "application/json", **(headers or {})}.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def _body(self) -> dict[str, Any]:
            raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            if self.headers.get("Content-Type", "").startswith("application/json"):
                return json.loads(raw or b"{}")
            return dict(parse_qsl(raw.decode()))

        def _route(self) -> tuple[str, str, str, dict[str, str]]:
            """(object type, record id, first path part, query) of an API path."""
            parts = urlsplit(self.path)
            segments = [s for s in parts.path.split("/") if s]
            query = dict(parse_qsl(parts.query))
            obj = segments[1] if len(segments) > 1 else ""
            return obj, segments[2] if len(segments) > 2 else "", segments[0], query

        def _authorised(self) -> bool:
            if self.headers.get("Authorization") != f"Bearer {TOKEN}":
                self._reply(401, {"error": "invalid_token"})
                return False
            return True

        def do_GET(self) -> None:
            obj, _record_id, root, query = self._route()
            if root == "oauth" and obj == "authorize":
                return self._authorize(query)
            if root != "v1" or obj not in OBJECTS:
                return self._reply(404, {})
            if not self._authorised():
                return None
            found = [{"id": i, "fields": f} for i, f in vendor.records[obj].items()
                     if all(f.get(k) == v for k, v in query.items())]  # fmt: skip
            return self._reply(200, {"results": found})

        def _authorize(self, query: dict[str, str]) -> None:
            if query.get("client_id") != CLIENT_ID or query.get("response_type") != "code":
                return self._reply(400, {"error": "invalid_client"})
            code = f"code-{next(vendor.ids)}"
            vendor.codes[code] = query.get("redirect_uri", "")
            answer = urlencode({"code": code, "state": query.get("state", "")})
            return self._reply(302, None, {"Location": f"{query['redirect_uri']}?{answer}"})

        def do_POST(self) -> None:
            obj, _record_id, root, _query = self._route()
            body = self._body()
            if root == "oauth" and obj == "token":
                return self._token(body)
            if root != "v1" or obj not in OBJECTS:
                return self._reply(404, {})
            if not self._authorised():
                return None
            record_id = str(next(vendor.ids))
            vendor.records[obj][record_id] = {k: str(v) for k, v in body.items()}
            return self._reply(201, {"id": record_id, "fields": vendor.records[obj][record_id]})

        def _token(self, body: dict[str, str]) -> None:
            client = (body.get("client_id"), body.get("client_secret"))
            redirect = vendor.codes.pop(body.get("code", ""), None)
            if client != (CLIENT_ID, CLIENT_SECRET):
                return self._reply(401, {"error": "invalid_client"})
            if redirect is None or redirect != body.get("redirect_uri"):
                return self._reply(400, {"error": "invalid_grant"})
            tokens = {"access_token": TOKEN, "refresh_token": "acme-refresh", "expires_in": 3600}
            return self._reply(200, tokens)

        def do_PATCH(self) -> None:
            obj, record_id, _root, _query = self._route()
            if not self._authorised():
                return None
            record = vendor.records.get(obj, {}).get(record_id)
            if record is None:
                return self._reply(404, {"error": "not_found"})
            before = dict(record)
            record.update({k: str(v) for k, v in self._body().items()})
            return self._reply(200, {"id": record_id, "fields": before})

        def do_DELETE(self) -> None:
            obj, record_id, _root, _query = self._route()
            if not self._authorised():
                return None
            if vendor.records.get(obj, {}).pop(record_id, None) is None:
                return self._reply(404, {"error": "not_found"})
            return self._reply(204)

    return Handler
