"""A CalDAV server is reached over https only, outside development: over plain http the
client's app-specific password would cross the network in clear."""

from __future__ import annotations

import pytest
import responses

from connectors import ssrf
from connectors.caldav.discovery import discover
from connectors.models import Connection

from ..connectors.test_manual_connect import manual_post

pytestmark = pytest.mark.django_db

PRINCIPAL_REPLY = (
    '<?xml version="1.0"?><d:multistatus xmlns:d="DAV:"><d:response><d:href>/</d:href>'
    "<d:propstat><d:prop><d:current-user-principal><d:href>{href}</d:href>"
    "</d:current-user-principal></d:prop><d:status>HTTP/1.1 200 OK</d:status></d:propstat>"
    "</d:response></d:multistatus>"
)


@pytest.fixture
def production(settings):
    settings.DEBUG = False
    settings.ALLOW_PRIVATE_URLS = False


def test_it_refuses_a_plain_http_server_url_with_a_clear_form_error(world, production):
    data = {"server_url": "http://caldav.example.com/", "username": "a", "password": "pw-123"}
    response = manual_post(world.client_a, "caldav", data)
    page = response.content.decode()
    assert response.status_code == 200 and "must use https" in page
    assert "does not resolve" not in page  # refused before any lookup or request
    assert not Connection.objects.filter(client=world.client_a, provider="caldav").exists()


@responses.activate
def test_it_refuses_an_https_server_that_names_a_plain_http_principal(production):
    reply = PRINCIPAL_REPLY.format(href="http://93.184.216.34/dentist/")
    responses.add("PROPFIND", "https://93.184.216.34/", status=207, body=reply)
    with pytest.raises(ssrf.UnsafeUrl, match="must use https"):
        discover("https://93.184.216.34/", "dentist", "pw-123")
    assert len(responses.calls) == 1  # the password never went to the http URL


def test_plain_http_stays_allowed_in_development(settings):
    settings.DEBUG, settings.ALLOW_PRIVATE_URLS = True, False
    ssrf.require_https("http://127.0.0.1:5232/", "unused")
    settings.DEBUG, settings.ALLOW_PRIVATE_URLS = False, True
    ssrf.require_https("http://127.0.0.1:5232/", "unused")
