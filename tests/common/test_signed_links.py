"""common.signed_links: a link is its own key, for one use only, and says when it expired."""

from __future__ import annotations

import pytest
from django.core import signing

from common.signed_links import LinkExpired, LinkInvalid, absolute_url, read


def test_it_reads_what_was_signed_for_its_use():
    token = signing.dumps({"b": "x"}, salt="one-use")
    assert read(token, salt="one-use", max_age=60) == {"b": "x"}


def test_a_token_for_another_use_or_tampered_is_invalid():
    token = signing.dumps({"b": "x"}, salt="one-use")
    with pytest.raises(LinkInvalid):
        read(token, salt="another-use", max_age=60)
    with pytest.raises(LinkInvalid):
        read(token[:-2] + "xx", salt="one-use", max_age=60)


def test_a_token_past_its_age_is_expired_not_invalid():
    token = signing.dumps({"b": "x"}, salt="one-use")
    with pytest.raises(LinkExpired):
        read(token, salt="one-use", max_age=-1)


def test_a_signed_value_that_is_no_dict_is_invalid():
    with pytest.raises(LinkInvalid):
        read(signing.dumps(["b", "x"], salt="one-use"), salt="one-use", max_age=60)


def test_the_url_is_under_the_public_base_url(settings):
    settings.PUBLIC_BASE_URL = "https://switchboard.example/"
    url = absolute_url("connect:page", "tok")
    assert url.startswith("https://switchboard.example/") and url.endswith("/tok/")
