"""A key sent in the query string is refused (400) and never written to an access log.

The probe found the key in full in gunicorn's and runserver's access logs: both write outside
the redaction filter on the root handler.
"""

from __future__ import annotations

import time

import pytest
import requests

from .servers import DOCKERFILE, GUNICORN_CONFIG, serving

pytestmark = pytest.mark.django_db(transaction=True)


def logged(log, marker: str, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while marker not in log.read_text() and time.monotonic() < deadline:
        time.sleep(0.05)


@pytest.mark.parametrize("kind", ["gunicorn", "runserver"])
def test_it_keeps_a_query_string_key_out_of_the_access_log(kind, world, tmp_path):
    log = tmp_path / f"{kind}.log"
    with serving(kind, log) as base:
        refused = requests.get(f"{base}/api/v1/me?api_key={world.key_a}", timeout=10)
        other = requests.get(f"{base}/api/v1/me?token=guess-{world.key_b[8:]}", timeout=10)
        ok = requests.get(f"{base}/healthz?marker=still-logged", timeout=10)
        # A server writes its access line after the response went out: wait for the last one
        # before stopping it (stopped at once, a loaded host lost it).
        logged(log, "marker=still-logged")
    assert refused.status_code == 400 and other.status_code == 400 and ok.status_code == 200
    text = log.read_text()
    # The lines are there (the test can see the log) with the secrets masked.
    assert "/api/v1/me?api_key=[redacted]" in text and "marker=still-logged" in text
    assert world.key_a not in text and world.key_b[8:] not in text


def test_the_image_serves_with_the_redacting_configuration():
    command = DOCKERFILE.read_text().split("\nCMD ", 1)[1]
    assert f"-c {GUNICORN_CONFIG}" in command
