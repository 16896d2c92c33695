"""Content negotiation is DRF's own: JSON for the Accept headers chatbot vendors send, 406
for a type the API cannot give."""

from __future__ import annotations

import pytest

from tests.conftest import bearer

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("accept", [None, "*/*", "application/json", "application/*"])
def test_it_answers_json_to_the_plain_accepts(api, world, accept):
    headers = {} if accept is None else {"HTTP_ACCEPT": accept}
    response = api.get("/api/v1/me", **headers, **bearer(world.key_a))
    assert response.status_code == 200 and response["Content-Type"] == "application/json"


def test_a_lead_asking_for_html_still_gets_406(api, world):
    response = api.post("/api/v1/leads", {"name": "A"}, format="json", HTTP_ACCEPT="text/html",
                        **bearer(world.key_a))  # fmt: skip
    assert response.status_code == 406
