"""Fixtures shared by the CRM connector suites, and the check that every Zoho record body we
send names only fields Zoho's v8 SDK defines for the module or fields the org's fields
metadata confirmed in the same test (custom fields)."""

from __future__ import annotations

import inspect
import re

import pytest
from zohocrmsdk.src.com.zoho.crm.api.record.field import Field  # test-only dependency

from connectors.http import VendorHttp
from tests.connectors.crm_fixtures import emulated, recorded  # noqa: F401

RECORD_WRITE = re.compile(r"/crm/v8/(Contacts|Deals|Notes|Events)(/\d+)?")


def sdk_fields(module: str) -> set[str]:
    """The API names Zoho's v8 SDK defines for a module (``record/field.py``, read in place)."""
    holder = getattr(Field, module)
    return {
        method().get_api_name()
        for name, method in inspect.getmembers(holder, inspect.ismethod)
        if not name.startswith("_")
    }


def record_problem(module: str, record: dict, confirmed: set[str]) -> str | None:
    unknown = sorted(set(record) - sdk_fields(module) - confirmed)
    return f"{module}: fields neither in the SDK nor confirmed: {unknown}" if unknown else None


@pytest.fixture(autouse=True)
def zoho_bodies_name_known_fields(monkeypatch):
    """Checks each record body before it leaves; returns the module of each checked write."""
    send = VendorHttp.request
    confirmed: dict[str, set[str]] = {}
    checked: list[str] = []

    def checking(self, method, path, *args, **kwargs):
        found = RECORD_WRITE.fullmatch(path)
        if found and method.upper() in ("POST", "PUT"):
            module = found.group(1)
            for record in (kwargs.get("json") or {}).get("data", []):
                problem = record_problem(module, record, confirmed.get(module, set()))
                assert problem is None, f"{method} {path}: {problem}"
            checked.append(module)
        response = send(self, method, path, *args, **kwargs)
        if path.endswith("/settings/fields") and method.upper() == "GET":
            module = (kwargs.get("params") or {}).get("module", "")
            rows = (response.json() or {}).get("fields", [])
            confirmed[module] = {r.get("api_name") for r in rows if r.get("custom_field")}
        return response

    monkeypatch.setattr(VendorHttp, "request", checking)
    return checked
