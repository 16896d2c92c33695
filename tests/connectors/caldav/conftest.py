"""A real CalDAV server (Radicale, started once per module), a connection to it as the
connect flow stores one, and the other side of the calendar: resources written straight to
the server, as someone's calendar app would."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
import requests

from connectors.caldav.client import CalDavClient, build
from connectors.models import Connection
from tests.radicale import radicale_server

USER, PASSWORD = "surgery", "app-specific-pw"


@dataclass(frozen=True)
class Server:
    url: str

    @property
    def home(self) -> str:
        return f"{self.url}{USER}/"

    def new_calendar(self, body: str = "") -> str:
        """A fresh calendar collection's URL (``body``: an MKCALENDAR body setting props)."""
        url = f"{self.home}{uuid.uuid4().hex}/"
        headers = {"Content-Type": "application/xml; charset=utf-8"} if body else {}
        response = requests.request(
            "MKCALENDAR", url, data=body.encode(), headers=headers, auth=(USER, PASSWORD),
            timeout=10,
        )  # fmt: skip
        assert response.status_code == 201, response.text
        return url

    def put(self, calendar: str, name: str, ics: str) -> str:
        response = requests.put(
            f"{calendar}{name}", data=ics.encode(), auth=(USER, PASSWORD), timeout=10,
            headers={"Content-Type": "text/calendar; charset=utf-8"},
        )  # fmt: skip
        assert response.status_code in (201, 204), response.text
        return response.headers.get("ETag", "")

    def get(self, calendar: str, name: str) -> requests.Response:
        return requests.get(f"{calendar}{name}", auth=(USER, PASSWORD), timeout=10)

    def delete(self, calendar: str, name: str) -> None:
        response = requests.delete(f"{calendar}{name}", auth=(USER, PASSWORD), timeout=10)
        assert response.status_code in (200, 204), response.text


@pytest.fixture(scope="module")
def server(tmp_path_factory) -> Iterator[Server]:
    with radicale_server(tmp_path_factory.mktemp("radicale"), USER, PASSWORD) as url:
        yield Server(url)


def connection_to(server: Server, client, password: str = PASSWORD) -> Connection:
    """A connection with the settings ``connectors.caldav.connect`` stores."""
    return Connection.objects.create(
        client=client,
        provider="caldav",
        kind="calendar",
        external_account_id=USER,
        access_token=password,
        settings={
            "server_url": server.url,
            "username": USER,
            "principal_url": server.home,
            "calendar_home_url": server.home,
            "api_base": server.home,
        },
    )


@pytest.fixture
def caldav(server, world) -> CalDavClient:
    return build(connection_to(server, world.client_a))
