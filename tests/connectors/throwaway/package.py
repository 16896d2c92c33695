"""The throwaway CRM package of ``test_adding_a_crm``, as its files: what a developer adding
a CRM writes (``spec.py``, ``client.py``, ``mapping.py``), nothing else. ``write_package``
puts them in a directory that the test adds to ``sys.path``."""

from __future__ import annotations

from pathlib import Path

SPEC = '''
"""Acme CRM: a vendor that exists only for the duration of a test."""

from connectors.base import CrmSpec, DealStage, OAuthSpec, ProviderSpec, ScopeReason

SPEC = ProviderSpec(
    slug="acme",
    kind="crm",
    display_name="Acme CRM",
    auth="oauth2",
    api_base="{url}/v1",
    oauth=OAuthSpec(
        authorize_url="{url}/oauth/authorize",
        token_url="{url}/oauth/token",
        scopes=("contacts",),
    ),
    emulated=False,  # its own server, not under the emulators
    docs="https://example.com/acme-crm",
    scope_reasons=(ScopeReason("contacts", "Add the people your chatbot meets."),),
    crm=CrmSpec(deal_stages=(DealStage("booking", "meeting-booked"),)),
)
'''

CLIENT = '''
"""Acme's wire format: JSON records under /v1/<object>."""

from __future__ import annotations

from collections.abc import Iterator

from connectors.base import ConnectorError, CrmContact, CrmField, CrmRecord
from connectors.crm_support import json_of, make_http
from connectors.models import Connection

FIELDS = ("email", "phone", "first_name", "last_name", "company")


class AcmeClient:
    def __init__(self, connection: Connection) -> None:
        self.http = make_http(connection)

    def _records(self, obj: str, **query: str) -> list[CrmRecord]:
        body = json_of(self.http.request("GET", f"/{{obj}}", params=query))
        return [CrmRecord(r["id"], obj, r["fields"]) for r in body["results"]]

    def _create(self, obj: str, fields: dict[str, str]) -> CrmRecord:
        body = json_of(self.http.request("POST", f"/{{obj}}", json=fields))
        return CrmRecord(body["id"], obj, body["fields"])

    def _update(self, obj: str, record_id: str, values: dict[str, str]) -> CrmRecord:
        body = json_of(self.http.request("PATCH", f"/{{obj}}/{{record_id}}", json=values))
        return CrmRecord(record_id, obj, body["fields"])

    def find_contact(self, *, email: str = "", phone: str = "") -> CrmRecord | None:
        for key, value in (("email", email), ("phone", phone)):
            found = self._records("contacts", **{{key: value}}) if value else []
            if found:
                return found[0]
        return None

    def create_contact(self, contact: CrmContact, *, source_tag: str) -> CrmRecord:
        fields = {{name: getattr(contact, name) for name in FIELDS}}
        return self._create("contacts", {{**fields, **contact.extra, "source": source_tag}})

    def update_contact(self, record_id: str, values: dict[str, str]) -> CrmRecord:
        return self._update("contacts", record_id, values)

    def create_deal(self, *, contact_id: str, name: str, stage: str, amount: str = "",
                    source_tag: str = "", write_key: str = "") -> CrmRecord:
        deal = {{"contact_id": contact_id, "name": name, "stage": stage, "source": source_tag}}
        return self._create("deals", deal)

    def find_deal(self, *, contact_id: str, name: str, source_tag: str = "") -> CrmRecord | None:
        return next(iter(self._records("deals", contact_id=contact_id, name=name)), None)

    def move_deal(self, deal_id: str, stage: str) -> CrmRecord:
        return self._update("deals", deal_id, {{"stage": stage}})

    def add_note(self, *, contact_id: str, body: str) -> CrmRecord:
        return self._create("notes", {{"contact_id": contact_id, "body": body}})

    def find_note(self, *, contact_id: str, body: str) -> CrmRecord | None:
        return next(iter(self._records("notes", contact_id=contact_id, body=body)), None)

    def delete(self, object_type: str, record_id: str) -> None:
        try:
            self.http.request("DELETE", f"/{{object_type}}s/{{record_id}}")
        except ConnectorError as exc:
            if exc.status != 404:
                raise

    def field_catalogue(self, object_type: str = "contact") -> list[CrmField]:
        return [CrmField(name, name.replace("_", " ")) for name in (*FIELDS, "source")]

    def tag_contact(self, record_id: str, tags: list[str]) -> CrmRecord:
        return self._update("contacts", record_id, {{"tags": ";".join(tags)}})

    def restore_fields(self, object_type: str, record_id: str, values: dict[str, str]) -> None:
        self._update(f"{{object_type}}s", record_id, values)

    def iter_contacts(self, page_size: int = 100) -> Iterator[CrmRecord]:
        yield from self._records("contacts")


def build(connection: Connection) -> AcmeClient:
    return AcmeClient(connection)
'''

MAPPING = """
DEFAULT_FIELD_MAP = {{
    "first_name": "first_name",
    "last_name": "last_name",
    "email": "email",
    "phone": "phone",
    "source_tag": "source",
}}
"""


def write_package(root: Path, name: str, url: str) -> Path:
    """The package ``name`` under ``root``, talking to the vendor at ``url``."""
    package = root / name
    package.mkdir()
    (package / "__init__.py").write_text('"""Acme CRM (throwaway)."""\n')
    for module, text in (("spec", SPEC), ("client", CLIENT), ("mapping", MAPPING)):
        (package / f"{module}.py").write_text(text.format(url=url).lstrip())
    return package
