"""The API's content negotiation answers exactly what DRF's would, for every Accept header,
and answers the plain ones without parsing them."""

from __future__ import annotations

import pytest
from django.http import Http404
from rest_framework.exceptions import NotAcceptable
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.renderers import BaseRenderer, BrowsableAPIRenderer, JSONRenderer
from rest_framework.request import Request
from rest_framework.test import APIRequestFactory

from agency.negotiation import ApiContentNegotiation


class CsvRenderer(BaseRenderer):
    media_type = "text/csv"
    format = "csv"


ACCEPTS = [None, "*/*", "application/json", " application/json ", "application/json; indent=4",
           "application/*", "*/*;q=0.8", "text/html", "text/html, application/json;q=0.5",
           "text/csv", "image/png", ""]  # fmt: skip
RENDERER_SETS = [[JSONRenderer()], [JSONRenderer(), BrowsableAPIRenderer()], [CsvRenderer()],
                 [CsvRenderer(), JSONRenderer()]]  # fmt: skip


def _answer(negotiation, request, renderers, suffix=None):
    try:
        renderer, media_type = negotiation.select_renderer(request, renderers, suffix)
    except NotAcceptable:
        return "406"
    except Http404:  # DRF's answer to a ?format= no renderer has
        return "404"
    return type(renderer).__name__, media_type


@pytest.mark.parametrize("accept", ACCEPTS)
@pytest.mark.parametrize("renderers", RENDERER_SETS, ids=lambda r: "+".join(x.format for x in r))
@pytest.mark.parametrize("query", ["", "?format=json", "?format=csv"])
def test_it_answers_what_drf_answers(accept, renderers, query):
    headers = {} if accept is None else {"HTTP_ACCEPT": accept}
    request = Request(APIRequestFactory().get(f"/api/v1/me{query}", **headers))
    ours = _answer(ApiContentNegotiation(), request, renderers)
    assert ours == _answer(DefaultContentNegotiation(), request, renderers)
    assert _answer(ApiContentNegotiation(), request, renderers, "csv") == _answer(
        DefaultContentNegotiation(), request, renderers, "csv"
    )


@pytest.mark.parametrize("accept", [None, "*/*", "application/json"])
def test_the_plain_accepts_are_answered_without_parsing(monkeypatch, accept):
    def parsed(*args, **kwargs):
        raise AssertionError("parsed the Accept header")

    monkeypatch.setattr(DefaultContentNegotiation, "get_accept_list", parsed)
    headers = {} if accept is None else {"HTTP_ACCEPT": accept}
    request = Request(APIRequestFactory().post("/api/v1/leads", **headers))
    renderer, media_type = ApiContentNegotiation().select_renderer(request, [JSONRenderer()])
    assert isinstance(renderer, JSONRenderer) and media_type == "application/json"


@pytest.mark.django_db
def test_a_lead_asking_for_html_still_gets_406(api, world):
    from tests.conftest import bearer

    response = api.post("/api/v1/leads", {"name": "A"}, format="json", HTTP_ACCEPT="text/html",
                        **bearer(world.key_a))  # fmt: skip
    assert response.status_code == 406
