"""A real CalDAV server (Radicale) for the calendar tests, started once per module."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
import requests
from defusedxml import ElementTree

from tests.radicale import radicale_server

CALDAV = "{urn:ietf:params:xml:ns:caldav}"
USER, PASSWORD = "clinic", "app-specific-pw"


@dataclass(frozen=True)
class CalDavServer:
    url: str

    def new_calendar(self) -> str:
        """A fresh, empty calendar collection's URL."""
        url = f"{self.url}{USER}/{uuid.uuid4().hex}/"
        response = requests.request("MKCALENDAR", url, auth=(USER, PASSWORD), timeout=10)
        assert response.status_code == 201, response.text
        return url

    def put(self, calendar: str, ics: str) -> None:
        response = requests.put(
            f"{calendar}{uuid.uuid4().hex}.ics",
            data=ics.encode(),
            auth=(USER, PASSWORD),
            headers={"Content-Type": "text/calendar; charset=utf-8", "If-None-Match": "*"},
            timeout=10,
        )
        assert response.status_code == 201, response.text

    def query(self, calendar: str, start: str, end: str) -> list[str]:
        """The calendar-data of every resource with an instance in [start, end) (a CalDAV
        calendar-query REPORT with a time-range, RFC 4791 §7.8), as the server serves it."""
        body = (
            '<?xml version="1.0" encoding="utf-8"?>'
            '<C:calendar-query xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav">'
            "<D:prop><C:calendar-data/></D:prop>"
            '<C:filter><C:comp-filter name="VCALENDAR"><C:comp-filter name="VEVENT">'
            f'<C:time-range start="{start}" end="{end}"/>'
            "</C:comp-filter></C:comp-filter></C:filter></C:calendar-query>"
        )
        response = requests.request(
            "REPORT",
            calendar,
            data=body.encode(),
            auth=(USER, PASSWORD),
            headers={"Depth": "1", "Content-Type": "application/xml; charset=utf-8"},
            timeout=10,
        )
        assert response.status_code == 207, response.text
        tree = ElementTree.fromstring(response.content)
        return [node.text or "" for node in tree.iter(f"{CALDAV}calendar-data")]


@pytest.fixture(scope="module")
def caldav(tmp_path_factory) -> Iterator[CalDavServer]:
    """Radicale with one user (plain htpasswd) on a free port."""
    with radicale_server(tmp_path_factory.mktemp("radicale"), USER, PASSWORD) as url:
        yield CalDavServer(url)
