"""User-supplied URLs may not reach inside: a corpus of hostile URLs, each refused."""

from __future__ import annotations

import socket

import pytest
import responses

from connectors import ssrf

HOSTILE = [
    "http://127.0.0.1/",
    "http://127.1/",
    "http://0x7f.1/",
    "http://0x7f000001/",
    "http://2130706433/",
    "http://017700000001/",
    "http://0177.0.0.1/",
    "http://127.000.000.001/",
    "http://localhost/",
    "http://LOCALHOST./",
    "http://0.0.0.0/",
    "http://0/",
    "http://[::1]/",
    "http://[::]/",
    "http://[::ffff:127.0.0.1]/",
    "http://[::ffff:7f00:1]/",
    "http://[0:0:0:0:0:ffff:127.0.0.1]/",
    "http://[2002:7f00:1::]/",  # 6to4 wrapping 127.0.0.1
    "http://[fe80::1]/",
    "http://[fc00::1]/",
    "http://[fd12:3456::1]/",
    "http://[ff02::1]/",
    "http://169.254.169.254/latest/meta-data/",
    "http://169.254.0.1/",
    "http://10.0.0.1/",
    "http://10.255.255.255:8443/",
    "http://172.16.0.1/",
    "http://172.31.255.254/",
    "http://192.168.1.1/",
    "http://100.64.0.1/",  # carrier-grade NAT
    "http://192.0.0.1/",
    "http://198.18.0.1/",  # benchmarking range
    "http://224.0.0.1/",
    "http://240.0.0.1/",
    "http://255.255.255.255/",
    "https://user:pass@caldav.icloud.com/",
    "ftp://caldav.example.com/",
    "file:///etc/passwd",
    "gopher://127.0.0.1:6379/_INFO",
    "http:///nohost",
    "http://no-such-host.invalid/",
]


@pytest.mark.parametrize("url", HOSTILE)
def test_it_refuses_hostile_urls(url):
    with pytest.raises(ssrf.UnsafeUrl):
        ssrf.check_url(url, allow_private=False)


def test_it_accepts_a_public_address():
    ssrf.check_url("https://93.184.216.34/dav/", allow_private=False)
    ssrf.check_url("http://[2606:4700:4700::1111]/", allow_private=False)


def test_the_allow_switch_lifts_only_the_address_check():
    ssrf.check_url("http://127.0.0.1:5232/", allow_private=True)
    with pytest.raises(ssrf.UnsafeUrl):
        ssrf.check_url("file:///etc/passwd", allow_private=True)


@responses.activate
def test_it_checks_every_redirect_target(settings):
    settings.ALLOW_PRIVATE_URLS = False
    responses.add(
        "PROPFIND",
        "https://93.184.216.34/dav/",
        status=301,
        headers={"Location": "http://169.254.169.254/latest/meta-data/"},
    )
    with pytest.raises(ssrf.UnsafeUrl):
        ssrf.safe_request("PROPFIND", "https://93.184.216.34/dav/")
    assert len(responses.calls) == 1  # the inside address was never requested


@responses.activate
def test_it_follows_a_redirect_to_a_public_host(settings):
    settings.ALLOW_PRIVATE_URLS = False
    responses.add("GET", "https://93.184.216.34/a", status=302, headers={"Location": "/b"})
    responses.add("GET", "https://93.184.216.34/b", status=200, body="ok")
    assert ssrf.safe_request("GET", "https://93.184.216.34/a").text == "ok"


def _rebinding_dns(monkeypatch, answers: list[str]) -> list[str]:
    """``hooks.example.com`` answers each lookup with the next address (a rebinding server)."""
    asked: list[str] = []

    def getaddrinfo(host, port, *args, **kwargs):
        asked.append(host)
        address = answers[min(len(asked), len(answers)) - 1]
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, port))]

    monkeypatch.setattr(ssrf.socket, "getaddrinfo", getaddrinfo)
    return asked


@responses.activate
def test_the_request_goes_to_the_checked_address_not_a_second_answer(settings, monkeypatch):
    settings.ALLOW_PRIVATE_URLS = False
    asked = _rebinding_dns(monkeypatch, ["93.184.216.34", "127.0.0.1"])
    responses.add("POST", "https://93.184.216.34:8443/hook?x=1", status=204)
    response = ssrf.pinned_request("POST", "https://hooks.example.com:8443/hook?x=1", timeout=5)
    assert response.status_code == 204 and asked == ["hooks.example.com"]
    assert responses.calls[0].request.headers["Host"] == "hooks.example.com:8443"


def test_tls_to_a_pinned_address_is_checked_against_the_host_name():
    adapter = ssrf._PinnedTls("hooks.example.com")
    pool = adapter.poolmanager.connection_from_url("https://93.184.216.34/")
    assert pool.conn_kw.get("server_hostname") == "hooks.example.com"
    assert pool.assert_hostname == "hooks.example.com"


@responses.activate
def test_a_redirect_to_another_host_carries_no_credentials(settings):
    """A CalDAV server redirecting elsewhere must not receive the user's password."""
    settings.ALLOW_PRIVATE_URLS = True  # nothing to pin: the URLs are requested as written
    responses.add(
        "PROPFIND",
        "https://dav.example.com/dav/",
        status=301,
        headers={"Location": "https://elsewhere.example.net/dav/"},
    )
    responses.add("PROPFIND", "https://elsewhere.example.net/dav/", status=207, body="<x/>")
    response = ssrf.safe_request(
        "PROPFIND",
        "https://dav.example.com/dav/",
        auth=("mary", "s3cret"),
        headers={"Depth": "0", "Cookie": "session=1"},
    )
    assert response.status_code == 207
    first, second = (call.request.headers for call in responses.calls)
    assert first["Authorization"].startswith("Basic ") and first["Cookie"] == "session=1"
    assert "Authorization" not in second and "Cookie" not in second
    assert second["Depth"] == "0"  # everything else is kept


@responses.activate
def test_a_redirect_on_the_same_origin_keeps_credentials(settings):
    settings.ALLOW_PRIVATE_URLS = True
    responses.add("PROPFIND", "https://dav.example.com/a", status=308, headers={"Location": "/b"})
    responses.add("PROPFIND", "https://dav.example.com/b", status=207, body="<x/>")
    ssrf.safe_request("PROPFIND", "https://dav.example.com/a", auth=("mary", "s3cret"))
    assert responses.calls[1].request.headers["Authorization"].startswith("Basic ")


@responses.activate
def test_a_303_becomes_a_get_without_the_body(settings):
    settings.ALLOW_PRIVATE_URLS = True
    responses.add("POST", "https://api.example.com/a", status=303, headers={"Location": "/done"})
    responses.add("GET", "https://api.example.com/done", status=200, body="ok")
    response = ssrf.safe_request("POST", "https://api.example.com/a", data=b"payload")
    assert response.text == "ok" and responses.calls[1].request.body is None


@responses.activate
def test_the_answer_names_the_server_not_the_pinned_address(settings, monkeypatch):
    """Relative links in a reply resolve against the host name: a URL built on the pinned
    address would send the next request with the wrong Host and certificate name."""
    settings.ALLOW_PRIVATE_URLS = False
    _rebinding_dns(monkeypatch, ["93.184.216.34"])
    responses.add("PROPFIND", "https://dav.example.com/dav/", status=207, body="<x/>")
    responses.add("PROPFIND", "https://93.184.216.34/dav/", status=207, body="<x/>")
    response = ssrf.safe_request("PROPFIND", "https://dav.example.com/dav/")
    assert response.url == "https://dav.example.com/dav/"


@pytest.mark.parametrize("url", ["https://[:::]/dav/", "http://[12345::1]/dav/"])
def test_it_refuses_a_malformed_url_in_the_https_check(settings, url):
    """A URL a CalDAV server names is checked before the password goes to it: a malformed
    one is a refusal (shown beside the field), not a ValueError that ends in a 500."""
    settings.DEBUG = settings.ALLOW_PRIVATE_URLS = False
    with pytest.raises(ssrf.UnsafeUrl, match="not valid"):
        ssrf.require_https(url, "must be https")
