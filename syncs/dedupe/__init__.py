"""Duplicate detection: a per-client index of people and a matcher over it.

Public API (the sync pipeline calls ``check`` then ``index``)::

    result = dedupe.check(client, {"first_name": ..., "last_name": ..., "email": ...,
                                    "phone": ..., "company": ...})
    person = dedupe.index(client, fields, external_ids={"hubspot": "123"}, result=result)
    dedupe.merge(candidate, actor) / dedupe.dismiss(candidate, actor)

The matcher core (``normalize``, ``match``, ``memory``) works on plain values without a
database; ``store`` is the database layer. Imports here are lazy so the package can be imported
while Django is still loading models.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from syncs.dedupe.models import DuplicateCandidate, Person
    from syncs.dedupe.store import MatchResult
    from tenants.models import Client

__all__ = ["check", "dismiss", "index", "merge", "scan_contacts", "scan_crm"]


def check(client: Client, person_fields: dict[str, str] | object) -> MatchResult:
    """The person an exact email/phone match links to, and likely duplicates with scores."""
    from syncs.dedupe.store import check as _check

    return _check(client, person_fields)


def index(
    client: Client,
    person_fields: dict[str, str] | object,
    external_ids: dict[str, str] | None = None,
    **kwargs: Any,
) -> Person:
    """Record a person (link to the exact match or create and queue candidates)."""
    from syncs.dedupe.store import index as _index

    return _index(client, person_fields, external_ids, **kwargs)


def merge(candidate: DuplicateCandidate, actor: Any) -> Person:
    from syncs.dedupe.store import merge as _merge

    return _merge(candidate, actor)


def dismiss(candidate: DuplicateCandidate, actor: Any) -> DuplicateCandidate:
    from syncs.dedupe.store import dismiss as _dismiss

    return _dismiss(candidate, actor)


def scan_contacts(client: Client, contacts: Any) -> Any:
    from syncs.dedupe.scan import scan_contacts as _scan

    return _scan(client, contacts)


def scan_crm(connection: Any, page_size: int = 100) -> Any:
    from syncs.dedupe.scan import scan_crm as _scan

    return _scan(connection, page_size)
