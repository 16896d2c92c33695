"""Merging two people merges their CRM records too, where the CRM can: first the plan staff
confirm (which record survives, which values win, and any CRM that cannot merge, said before
anything happens), then the merge itself, each CRM merge audited.

A CRM merge cannot be undone (the vendors say so), so it is not an ``ExternalRecord``: a
rollback never touches it. Earlier records of the merged-away contact then name a record the
vendor reports gone, which a rollback counts as already deleted.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db import transaction

from connectors.base import ConnectorError
from connectors.models import Connection
from connectors.registry import crm_feature, get_spec
from syncs import dedupe
from syncs.audit.log import audit_log, staff_actor
from syncs.crm.clients import crm_client_for
from syncs.dedupe.models import DuplicateCandidate
from tenants.scoping import for_client

FIELDS = (("Name", "name"), ("E-mail", "email"), ("Phone", "phone"), ("Company", "company"))


@dataclass(frozen=True)
class CrmStep:
    """One CRM's part of a merge: merge ``other_id`` into ``survivor_id``, or why not."""

    provider: str
    display_name: str
    survivor_id: str
    other_id: str
    can: bool
    note: str  # the vendor's rule when it can merge; why not when it cannot

    @property
    def needed(self) -> bool:
        return bool(self.survivor_id and self.other_id and self.survivor_id != self.other_id)


@dataclass(frozen=True)
class FieldOutcome:
    label: str
    survivor: str
    other: str

    @property
    def kept(self) -> str:
        return self.survivor or self.other


@dataclass(frozen=True)
class MergePlan:
    pair: DuplicateCandidate
    steps: list[CrmStep]
    fields: list[FieldOutcome]

    @property
    def blocked(self) -> list[CrmStep]:
        """CRMs holding both records that cannot merge them now: the merge waits for them."""
        return [s for s in self.steps if s.needed and not s.can]


def _value(person: Any, name: str) -> str:
    if name == "name":
        return f"{person.first_name} {person.last_name}".strip()
    return str(getattr(person, name, "") or "")


def merge_plan(pair: DuplicateCandidate) -> MergePlan:
    """What confirming would do: ``pair.existing`` survives, ``pair.person`` is merged in."""
    survivor, other = pair.existing, pair.person
    providers = sorted(set(survivor.external_ids or {}) | set(other.external_ids or {}))
    connections = {
        c.provider: c
        for c in for_client(Connection, pair.client).filter(provider__in=providers, kind="crm")
    }
    steps = [_step(p, survivor, other, connections.get(p)) for p in providers]
    fields = [FieldOutcome(label, _value(survivor, n), _value(other, n)) for label, n in FIELDS]
    return MergePlan(pair=pair, steps=steps, fields=fields)


def _step(provider: str, survivor: Any, other: Any, connection: Connection | None) -> CrmStep:
    ids = (str(survivor.external_ids.get(provider, "")), str(other.external_ids.get(provider, "")))
    name = get_spec(provider).display_name
    if not all(ids) or ids[0] == ids[1]:
        return CrmStep(provider, name, *ids, can=True, note="One record there: nothing to merge.")
    if connection is None or not connection.is_usable:
        state = "gone" if connection is None else connection.get_status_display().lower()
        why = f"The {name} connection is {state}: reconnect it, then merge."
        return CrmStep(provider, name, *ids, can=False, note=why)
    if not crm_feature(provider, "merge"):
        why = f"{name} cannot merge contacts through its API: merge them in {name} itself."
        return CrmStep(provider, name, *ids, can=False, note=why)
    rule = getattr(crm_client_for(connection), "merge_rule", "")
    return CrmStep(provider, name, *ids, can=True, note=rule)


def merge_confirmed(pair: DuplicateCandidate, user: Any) -> MergePlan:
    """Merge the CRM records, then the two people in our index. Raises ValueError (nothing
    merged in our index) when the pair is decided already, a CRM cannot merge, or a CRM
    refuses; a CRM merged before the refusal stays merged and audited."""
    if pair.status != DuplicateCandidate.Status.OPEN:
        raise ValueError(f"Pair {pair.pk} is already {pair.status}.")
    plan = merge_plan(pair)
    if plan.blocked:
        raise ValueError(" ".join(s.note for s in plan.blocked))
    actor = staff_actor(user)
    for step in (s for s in plan.steps if s.needed):
        connection = for_client(Connection, pair.client).get(provider=step.provider, kind="crm")
        try:
            merged = crm_client_for(connection).merge_contacts(step.survivor_id, step.other_id)
        except ConnectorError as exc:
            raise ValueError(f"{step.display_name} refused the merge: {exc}") from exc
        _after_crm_merge(pair, step, merged.id or step.survivor_id, actor, merged.fields)
    dedupe.merge(pair, user)
    return plan


def _after_crm_merge(
    pair: DuplicateCandidate, step: CrmStep, survivor_id: str, actor: str, fields: dict
) -> None:
    """Audit the CRM merge and make our people name the record that is left.

    The audit keeps the ids and the names of the fields the merged record holds, never their
    values: those are the person's e-mail, phones and what they said, and the audit log is
    kept longer and read more widely than the CRM record they belong to."""
    kept = sorted(str(name) for name, value in fields.items() if value not in (None, ""))
    with transaction.atomic():
        audit_log(
            client=pair.client,
            actor=actor,
            action="crm.contact.merged",
            target=f"{step.provider}:contact:{survivor_id}",
            details={"pair": pair.pk, "survivor": step.survivor_id, "merged": step.other_id,
                     "survivor_now": survivor_id, "vendor_fields": kept},
        )  # fmt: skip
        survivor, other = pair.existing, pair.person
        survivor.external_ids = {**survivor.external_ids, step.provider: survivor_id}
        other.external_ids = {k: v for k, v in other.external_ids.items() if k != step.provider}
        survivor.save(update_fields=["external_ids", "updated_at"])
        other.save(update_fields=["external_ids", "updated_at"])
