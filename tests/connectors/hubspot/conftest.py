"""Fixtures shared by the CRM connector suites, and the request-schema check of this one."""

from urllib.parse import urlsplit

import pytest

from connectors.http import VendorHttp
from tests.connectors.crm_fixtures import emulated, recorded  # noqa: F401
from tests.connectors.hubspot import sdk_schema


@pytest.fixture(autouse=True)
def sent_bodies_fit_hubspots_schemas(monkeypatch):
    """Every JSON body the HubSpot client sends in these tests (recorded or emulated) must fit
    the SDK's model of its request (``sdk_schema``): checked as it is sent, so a body that
    does not fit fails the test even when the recorded answer would have let it pass."""
    send = VendorHttp.request

    def checked(self, method, path, **kwargs):
        body = kwargs.get("json")
        if self.spec.slug == "hubspot" and body is not None:
            model = sdk_schema.model_for(method.upper(), urlsplit(path).path)
            if model is not None:
                sdk_schema.check(body, model)
        return send(self, method, path, **kwargs)

    monkeypatch.setattr(VendorHttp, "request", checked)
