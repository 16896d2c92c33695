"""What every connector shares: provider specs as data, the error type, and the protocols of
each kind over unified models.

Vendor clients (``connectors/<provider>/client.py``) parse vendor JSON into these dataclasses
so ``Any`` never leaves a client module.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol


class ConnectorError(Exception):
    """A vendor call failed.

    ``permanent`` stops retries (400/404/422: the request itself is wrong); ``retry_after`` is
    the vendor's own hint in seconds (429, 503); ``needs_reauth`` marks a dead grant.
    """

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        code: str = "",
        permanent: bool = False,
        retry_after: float | None = None,
        needs_reauth: bool = False,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.permanent = permanent
        self.retry_after = retry_after
        self.needs_reauth = needs_reauth


# --- CRM -------------------------------------------------------------------------------


@dataclass(frozen=True)
class CrmContact:
    """A person as we send it to a CRM (already normalised and mapped)."""

    email: str = ""
    phone: str = ""
    first_name: str = ""
    last_name: str = ""
    company: str = ""
    extra: dict[str, str] = field(default_factory=dict)  # mapped vendor fields, by vendor name


@dataclass(frozen=True)
class CrmRecord:
    """A record in the CRM: its id, object type and the field values we read back."""

    id: str
    object_type: str  # "contact", "lead", "deal", "note", ...
    fields: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class CrmField:
    """One entry of the CRM's field catalogue (including custom fields)."""

    name: str
    label: str
    type: str = "string"
    required: bool = False
    custom: bool = False


class CrmClient(Protocol):
    """The CRM protocol. Every method raises ``ConnectorError``."""

    def find_contact(self, *, email: str = "", phone: str = "") -> CrmRecord | None:
        """The contact with this email, else with this phone, else None."""

    def create_contact(self, contact: CrmContact, *, source_tag: str) -> CrmRecord:
        """Create a contact tagged with ``source_tag``; returns it."""

    def update_contact(self, record_id: str, values: dict[str, str]) -> CrmRecord:
        """Set fields; returns the record with the fields' *previous* values (for undo)."""

    def create_deal(
        self, *, contact_id: str, name: str, stage: str, amount: str = "", source_tag: str = ""
    ) -> CrmRecord:
        """Create a deal/opportunity linked to the contact."""

    def move_deal(self, deal_id: str, stage: str) -> CrmRecord:
        """Move a deal to a stage; returns the record with the previous stage."""

    def add_note(self, *, contact_id: str, body: str) -> CrmRecord:
        """Log text on the contact's timeline (note, task or engagement)."""

    def delete(self, object_type: str, record_id: str) -> None:
        """Delete a record we created (rollback). A record already gone is not an error."""

    def field_catalogue(self, object_type: str = "contact") -> list[CrmField]:
        """The CRM's fields for an object type, custom fields included."""
