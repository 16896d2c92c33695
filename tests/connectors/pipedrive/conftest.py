"""Fixtures shared by the CRM connector suites, and the check that every person, deal, note
and person-field body we send to Pipedrive fits its published request schema
(``pipedrive_schema``)."""

from __future__ import annotations

import re

import pytest

from connectors.http import VendorHttp
from emulators.crm.pipedrive_schema import (
    ACTIVITY,
    DEAL_ADD,
    DEAL_UPDATE,
    NOTE_ADD,
    PERSON,
    PERSON_FIELD_ADD,
    RequestSchema,
    schema_problem,
)
from tests.connectors.crm_fixtures import emulated, recorded  # noqa: F401

# (method, path) -> the v2 request schema of that operation.
BODIES: tuple[tuple[str, re.Pattern[str], RequestSchema], ...] = (
    ("POST", re.compile(r"/api/v2/persons"), PERSON),
    ("PATCH", re.compile(r"/api/v2/persons/\d+"), PERSON),
    ("POST", re.compile(r"/api/v2/deals"), DEAL_ADD),
    ("PATCH", re.compile(r"/api/v2/deals/\d+"), DEAL_UPDATE),
    ("POST", re.compile(r"/api/v1/notes"), NOTE_ADD),
    ("POST", re.compile(r"/api/v2/personFields"), PERSON_FIELD_ADD),
    ("POST", re.compile(r"/api/v2/activities"), ACTIVITY),
    ("PATCH", re.compile(r"/api/v2/activities/\d+"), ACTIVITY),
)


def schema_for(method: str, path: str) -> RequestSchema | None:
    return next(
        (schema for m, p, schema in BODIES if m == method.upper() and p.fullmatch(path)), None
    )


@pytest.fixture(autouse=True)
def bodies_fit_the_schema(monkeypatch):
    """Every v2 person and deal body the client sends is checked before it leaves, in the
    recorded tests too (where nothing else would look at it): a misfit fails the test."""
    send = VendorHttp.request
    checked: list[str] = []

    def checking(self, method, path, *args, **kwargs):
        schema = schema_for(method, path)
        if schema is not None:
            problem = schema_problem(schema, kwargs.get("json"))
            assert problem is None, f"{method} {path} ({schema.name}): {problem}"
            checked.append(path)
        return send(self, method, path, *args, **kwargs)

    monkeypatch.setattr(VendorHttp, "request", checking)
    return checked
