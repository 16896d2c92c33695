"""A real CalDAV server (Radicale) for the calendar tests, started once per module."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
import requests
from defusedxml import ElementTree

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


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def caldav(tmp_path_factory) -> Iterator[CalDavServer]:
    """Radicale with one user (plain htpasswd) on a free port."""
    home = tmp_path_factory.mktemp("radicale")
    port = _free_port()
    (home / "users").write_text(f"{USER}:{PASSWORD}\n")
    config = home / "config"
    config.write_text(
        f"[server]\nhosts = 127.0.0.1:{port}\n"
        f"[auth]\ntype = htpasswd\nhtpasswd_filename = {home / 'users'}\n"
        "htpasswd_encryption = plain\n"
        f"[storage]\nfilesystem_folder = {home / 'collections'}\n"
        "[logging]\nlevel = warning\n"
    )
    process = subprocess.Popen(
        [sys.executable, "-m", "radicale", "--config", str(config)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            break
        except OSError:
            time.sleep(0.1)
    else:
        process.kill()
        pytest.fail("Radicale did not start")
    yield CalDavServer(f"http://127.0.0.1:{port}/")
    process.terminate()
    process.wait(timeout=10)
