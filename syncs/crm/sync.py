"""The CRM target of the sync engine (``syncs.engine.targets``): what one lead job does in
a CRM (normalise → map → duplicate check → contact, deal, note, tags) and how a record written
there is undone.

The engine claims the job, checks its connection, classifies failures and stores the outcome;
this module only does the CRM's part, over the CRM protocol of ``connectors.base``.
"""

from __future__ import annotations

import logging
from typing import Any

from connectors import registry
from connectors.base import ConnectorError, CrmClient
from connectors.models import Connection
from syncs import dedupe
from syncs.crm import clients, meetings
from syncs.crm.mapping import apply_rules, rules_for
from syncs.crm.writes import (
    WriteContext,
    write_contact,
    write_deal,
    write_note,
    write_opt_out,
    write_tags,
)
from syncs.dedupe import held as held_duplicates
from syncs.engine.runs import NORMALISED, REVIEWED, hold_for_review
from syncs.intake.normalise import Person, normalise_person
from syncs.models import AiEvent, EventKind, ExternalRecord, SyncJob
from tenants.models import Client
from tenants.scoping import for_client

log = logging.getLogger(__name__)
PERSON_FIELDS = ("name", "first_name", "last_name", "email", "phone", "company")
# Records kept apart in our log but living on another CRM object (follow-up tags are fields
# of the contact); the CRM clients know only their own object types.
CRM_OBJECT = {"contact_tags": "contact", "contact_opt_out": "contact"}
# Records undone by their own client method, not by restoring fields: an opt-out (HubSpot's
# is a subscription status, not a field).
UNDO_METHOD = {"contact_opt_out": "undo_opt_out"}
DELETE, RESTORE = "delete", "restore"


def client_for(connection: Connection) -> CrmClient:
    """The CRM client for one of the client's CRM connections."""
    return clients.crm_client_for(connection)


def run(job: SyncJob, *, vendor: CrmClient | None = None) -> str | None:
    """Write the lead to the CRM; returns the contact's id ('' when only shadow-written), or
    None when the job stopped short (held for review). The engine has checked the job's
    connection is usable; ``ConnectorError`` from the CRM is the engine's to classify."""
    if meetings.is_meeting_job(job):  # a booking's meeting, not a lead
        return meetings.run(job, vendor=vendor)
    connection = job.connection
    assert connection is not None  # the engine runs no job without a usable one
    # Keys with a leading "_" are the job's own marks (released, held pair, linked contact).
    overrides = {k: v for k, v in job.overrides.items() if not k.startswith("_")}
    lead = _with_session_person({**job.event.payload, **overrides}, job)
    person = normalise_person(lead, job.client.default_region)
    if person.problems:
        hold_for_review(job, "; ".join(person.problems))
        return None
    fields = _lead_fields(lead, person, job.client.default_region)
    setattr(job, NORMALISED, person.as_dict())  # stored with the job's outcome
    mapped, problems = apply_rules(rules_for(connection), fields)
    if problems:
        hold_for_review(job, "; ".join(problems))
        return None
    # Staff who released a job from review have seen the likely duplicates: don't hold it again.
    if not job.overrides.get(REVIEWED):
        match = dedupe.check(job.client, person)
        if match.needs_review:
            held_duplicates.hold_duplicate(job, person, match)
            return None
    ctx = WriteContext(
        job=job,
        crm=vendor or clients.crm_client_for(connection),
        person=person,
        lead=fields,
        mapped=mapped,
        shadow=connection.shadow_mode,
    )
    contact_id = write_contact(ctx)
    if not ctx.shadow:
        _index_person(job, person, contact_id)
        held_duplicates.settle(job, contact_id)
    if job.event.kind == EventKind.OPT_OUT:
        write_opt_out(ctx, contact_id)
    else:
        write_deal(ctx, contact_id)
    write_note(ctx, contact_id)
    write_tags(ctx, contact_id)
    return contact_id


def _with_session_person(lead: dict[str, Any], job: SyncJob) -> dict[str, Any]:
    """An event naming the person only by chatbot session takes the person's fields from the
    latest earlier event of that session (same client) that had an email or a phone."""
    session = lead.get("chatbot_session_id")
    if lead.get("email") or lead.get("phone") or not session:
        return lead
    earlier = (
        for_client(AiEvent, job.client)
        .filter(session_id=session, received_at__lte=job.event.received_at)
        .exclude(pk=job.event_id)
        .order_by("-received_at")
    )
    for event in earlier[:20]:
        if event.payload.get("email") or event.payload.get("phone"):
            known = {k: event.payload[k] for k in PERSON_FIELDS if event.payload.get(k)}
            return {**known, **lead}
    return lead


def _lead_fields(lead: dict[str, Any], person: Person, region: str) -> dict[str, Any]:
    """What mapping rules read: the lead as sent, with the normalised person on top."""
    person_fields = {k: v for k, v in person.as_dict().items() if k != "problems"}
    aliases = {  # the names the CRM packages' default maps use
        "summary": lead.get("conversation_summary", ""),
        "session_id": lead.get("chatbot_session_id", ""),
    }
    return {**lead, **aliases, **person_fields, "_region": region}


def _index_person(job: SyncJob, person: Person, contact_id: str) -> None:
    """Add the person to the client's duplicate index with the CRM id we just wrote, so later
    leads (and staff reviewing duplicates) see them. The CRM write stands either way: a failure
    here is logged loudly, not retried, since re-running the job would not change the index.

    ``index`` matches again rather than reuse the check made before the CRM calls: another job
    may have indexed the same person in between."""
    try:
        dedupe.index(job.client, person, {job.provider: contact_id})
    except Exception:
        log.exception("sync job %s: could not index the person for duplicate detection", job.pk)


def object_key(record: ExternalRecord) -> tuple[str, str, str]:
    """The CRM object a record wrote: follow-up tags and opt-outs live on the contact."""
    return (
        record.provider,
        CRM_OBJECT.get(record.object_type, record.object_type),
        record.external_id,
    )


def kept_reason(record: ExternalRecord) -> str:
    """Why the vendor will not let this write be undone ('' when it will), in the CRM
    package's own words (its ``people.opt_out_kept``, found through the registry, so a plug-in
    package outside ``connectors/`` is asked too), so the rollback's preview says it first and
    the step is kept rather than failed."""
    if record.object_type not in UNDO_METHOD or not record.snapshot:
        return ""
    try:
        people = registry.module_for(record.provider, "people")
    except registry.UnknownProvider:
        return ""  # a provider since removed from the registry: nothing says it must be kept
    kept = getattr(people, "opt_out_kept", None)
    return str(kept(dict(record.snapshot))) if kept is not None else ""


def undo(
    record: ExternalRecord,
    *,
    operation: str,
    values: dict[str, Any],
    client: Client,
    vendor: Any = None,
) -> bool:
    """Undo one record in the CRM as the rollback planned it: ``delete`` what we created, or
    ``restore`` the ``values`` an update replaced. Returns True when the CRM said the record
    was already gone. Raises ``ConnectorError`` (permanent when the client has no connection
    to that CRM any more, or its connector cannot restore fields)."""
    if operation == RESTORE and not values:
        return False  # the update changed nothing: nothing to put back
    crm = vendor or _client_of(client, record.provider)
    object_type = CRM_OBJECT.get(record.object_type, record.object_type)
    try:
        if operation == DELETE:
            crm.delete(object_type, record.external_id)
        elif record.object_type in UNDO_METHOD:
            getattr(crm, UNDO_METHOD[record.object_type])(record.external_id, dict(values))
        else:
            restore = getattr(crm, "restore_fields", None)
            if restore is None:
                raise ConnectorError(
                    f"The {record.provider} connector cannot restore fields.", permanent=True
                )
            restore(object_type, record.external_id, dict(values))
    except ConnectorError as exc:
        if exc.status in (404, 410):
            return True
        raise
    return False


def _client_of(client: Client, provider: str) -> CrmClient:
    connection = for_client(Connection, client).filter(provider=provider).first()
    if connection is None:
        raise ConnectorError(f"The client has no {provider} connection any more.", permanent=True)
    return clients.crm_client_for(connection)
