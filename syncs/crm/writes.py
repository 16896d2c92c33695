"""The CRM writes of one job: contact (find, then update or create), deal, note.

Each write is recorded at once as an ``ExternalRecord`` (and audited), committed on its own:
a job that is re-run after a crash finds what it already wrote and skips it, and the contact
is always searched before it is created, so a lost record never becomes a duplicate contact.
A deal or note is looked for before it is created only on a re-run (the job claimed before), to
catch one an earlier run created and died before recording; a first run pays no extra call.

In shadow mode the same steps run, reads included, but writes are only recorded as
``would_create`` / ``would_update`` with exactly the values that would have been sent.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import transaction

from connectors import call_log, registry
from connectors.base import ConnectorError, CrmClient, CrmContact, CrmRecord
from connectors.services import connection_clear_limited, connection_note_limited
from syncs.audit.log import SYSTEM, audit_log
from syncs.crm.mapping import STANDARD_TARGETS, rules_for
from syncs.dedupe.held import LINKED
from syncs.intake.normalise import Person
from syncs.models import ExternalRecord, RecordAction, SyncJob

NEW_CONTACT = "(new contact)"
# In a created contact's record values: the follow-up tags it was created with (no tag call).
TAGGED = "_tags"


@dataclass
class WriteContext:
    job: SyncJob
    crm: CrmClient
    person: Person
    lead: dict[str, Any]
    mapped: dict[str, str]
    shadow: bool
    written: dict[str, ExternalRecord] | None = None  # loaded by _done, kept by _record

    @property
    def tag(self) -> str:
        return self.job.event.source_tag


def _done(ctx: WriteContext, object_type: str) -> ExternalRecord | None:
    """What this job already wrote of ``object_type`` (the newest live record), or None.

    Read once per job (one query instead of one per step): the job is claimed, so only this
    worker adds records for it, and ``_record`` adds each new one to the same map. Not read at
    all on a job's first claim: only a run of the job writes its records, and none ran before.
    """
    if ctx.written is None:
        ctx.written = {}
        if not _rerun(ctx):
            return None
        live = ExternalRecord.objects.filter(job=ctx.job, rolled_back_at__isnull=True)
        for record in live.order_by("-created_at", "-pk"):
            ctx.written.setdefault(record.object_type, record)
    return ctx.written.get(object_type)


def _record(
    ctx: WriteContext, object_type: str, external_id: str, action: str, values: dict, **kw: Any
) -> ExternalRecord:
    """Remember a write (and audit a real one) right after it happened.

    The record, its audit entry and the log of the vendor calls that led to it are committed
    together: one commit per write instead of one per row.
    """
    with transaction.atomic():
        record = _insert_record(ctx, object_type, external_id, action, values, **kw)
        call_log.flush()
    if ctx.written is not None:
        ctx.written[object_type] = record
    return record


def _insert_record(
    ctx: WriteContext, object_type: str, external_id: str, action: str, values: dict, **kw: Any
) -> ExternalRecord:
    job = ctx.job
    record = ExternalRecord.objects.create(
        client=job.client,
        job=job,
        provider=job.provider,
        object_type=object_type,
        external_id=external_id,
        action=action,
        source_tag=ctx.tag,
        session_id=job.event.session_id,
        values=values,
        snapshot=kw.get("snapshot", {}),
    )
    if action in (RecordAction.CREATED, RecordAction.UPDATED) and kw.get("audit", True):
        audit_log(
            client=job.client,
            actor=SYSTEM,
            action=f"crm.{object_type}.{action}",
            target=f"{job.provider}:{object_type}:{external_id}",
            details={"job": job.pk, "event": str(job.event.public_id), "fields": sorted(values)},
        )
    return record


def write_contact(ctx: WriteContext) -> str:
    """Find the contact by e-mail, then phone; update what changed, or create it. Returns its
    id ('' for a contact only shadow-created)."""
    done = _done(ctx, "contact")
    if done is not None:
        return done.external_id
    if not ctx.shadow:
        _ensure_fields(ctx, "contact")
    linked = str(ctx.job.overrides.get(LINKED) or "")
    if linked:
        return _update_linked(ctx, linked)
    found = ctx.crm.find_contact(email=ctx.person.email, phone=ctx.person.phone)
    if found is None:
        return _create_contact(ctx)
    changes = {k: v for k, v in ctx.mapped.items() if found.fields.get(k) != v}
    if ctx.shadow:
        before = {k: found.fields.get(k, "") for k in changes}
        _record(ctx, "contact", found.id, RecordAction.WOULD_UPDATE, changes, snapshot=before)
        return found.id
    snapshot: dict[str, str] = {}
    if changes:
        previous = ctx.crm.update_contact(found.id, changes)
        # Every field the update replaced: the ones asked for, and any other the CRM wrote
        # them to (Salesforce: a Description line for a field the org lacks).
        snapshot = {k: previous.fields.get(k, "") for k in {**changes, **previous.fields}}
    _record(ctx, "contact", found.id, RecordAction.UPDATED, changes, snapshot=snapshot)
    return found.id


LIMITED_FIELDS = "Switchboard could not use the CRM fields {fields}: {why} {kept} {fix}"
LIMITED_WHY = {
    "refused": ("the CRM did not let the connected user add them.",
                "Add them (or let the connected user add fields) and reconnect."),
    "hidden": ("they exist, but the connected user has no access to them.",
               "Give the user's profile or permission set access to them."),
}  # fmt: skip
LIMITED_DROPPED = "Their values are left out of what is written to the CRM."


def _ensure_fields(ctx: WriteContext, object_type: str) -> None:
    """The CRM's field-catalogue step before a write (the clients' ``ensure_fields``): the CRM
    confirms the fields a write may name and adds Switchboard's own, or those the connection's
    mapping targets, where the grant allows; a write never names a field the CRM lacks, since
    one unknown field can refuse the whole write. Each field added changes the client's CRM
    settings: audited. A field refused, or hidden from the connected user, means its values
    land elsewhere or nowhere: audited, and shown to staff as a limited connection until the
    client reconnects. Clients report each change about once a day (or once per connect)."""
    ensure = getattr(ctx.crm, "ensure_fields", None)
    if ensure is None:
        return
    # The mapping writes contact fields only (its targets are what Salesforce may add).
    mapped = rules_for(ctx.job.connection) if object_type == "contact" else []
    wanted = [str(rule.get("target", "")) for rule in mapped]
    changes = ensure(object_type, wanted)
    for change, kind, names in changes:
        audit_log(
            client=ctx.job.client,
            actor=SYSTEM,
            action=f"crm.fields.{change}",
            target=f"{ctx.job.provider}:{kind}",
            details={"job": ctx.job.pk, "object": object_type, "fields": names},
        )
    for limit, (why, fix) in LIMITED_WHY.items():
        names = [name for change, _kind, found in changes if change == limit for name in found]
        if names:
            # Where the client puts such a value (see its create_contact), in the spec's words.
            kept = registry.crm_spec(ctx.job.provider).fields_kept or LIMITED_DROPPED
            message = LIMITED_FIELDS.format(fields=", ".join(names), why=why, kept=kept, fix=fix)
            assert ctx.job.connection is not None  # a job writes through its connection
            connection_note_limited(ctx.job.connection, message)
            break


def _update_linked(ctx: WriteContext, contact_id: str) -> str:
    """Staff linked this held lead to an existing contact: write onto it (mapped fields only;
    its name, e-mail and phone stay the CRM's), never search, never create."""
    values = dict(ctx.mapped)
    if ctx.shadow:
        _record(ctx, "contact", contact_id, RecordAction.WOULD_UPDATE, values)
        return contact_id
    snapshot: dict[str, str] = {}
    if values:
        previous = ctx.crm.update_contact(contact_id, values)
        snapshot = {k: previous.fields.get(k, "") for k in values}
    _record(ctx, "contact", contact_id, RecordAction.UPDATED, values, snapshot=snapshot)
    return contact_id


def _create_contact(ctx: WriteContext) -> str:
    """The normalised person in our terms, the mapped vendor fields in ``extra``."""
    person = ctx.person
    standard = {
        "email": person.email,
        "phone": person.phone,
        "first_name": person.first_name,
        "last_name": person.last_name,
        "company": person.company,
    }
    standard.update({k: v for k, v in ctx.mapped.items() if k in STANDARD_TARGETS})
    extra = {k: v for k, v in ctx.mapped.items() if k not in STANDARD_TARGETS}
    values: dict[str, Any] = {**standard, **extra, "_tag": ctx.tag}
    if ctx.shadow:
        _record(ctx, "contact", "", RecordAction.WOULD_CREATE, values)
        return ""
    contact = CrmContact(**standard, extra=extra)
    if _tags_on_create(ctx):
        values[TAGGED] = _create_tags(ctx)
        # tags= is taken by clients whose tags_on_create is true (CrmClient.create_contact).
        created = ctx.crm.create_contact(contact, source_tag=ctx.tag, tags=values[TAGGED])  # type: ignore[call-arg]
    else:
        created = ctx.crm.create_contact(contact, source_tag=ctx.tag)
    if getattr(created, "existed", False):
        # The CRM had the person after all (a search index lagging): it updated them and
        # handed back the previous values, so this is an update, undone by restoring.
        _record(ctx, "contact", created.id, RecordAction.UPDATED, values, snapshot=created.fields)
    else:
        _record(ctx, "contact", created.id, RecordAction.CREATED, values)
    return created.id


def deal_stage_key(lead: dict[str, Any]) -> str | None:
    """Default rules: intent booking/purchase, or a score at or above the threshold."""
    intent = str(lead.get("intent") or "").lower()
    if intent in settings.SYNC_DEAL_INTENTS:
        return intent
    score = lead.get("lead_score")
    if isinstance(score, int) and score >= settings.SYNC_DEAL_MIN_SCORE:
        return "qualified"
    return None


def _stage_name(ctx: WriteContext, key: str) -> str:
    """Per-connection override, else the stage the CRM's spec names in its default pipeline."""
    assert ctx.job.connection is not None  # a job writes through its connection
    configured = (ctx.job.connection.settings or {}).get("deal_stages", {})
    if key in configured:
        return str(configured[key])
    return registry.deal_stage(ctx.job.provider, key)


def _rerun(ctx: WriteContext) -> bool:
    """Claimed before: an earlier run may have created a record at the vendor and died before
    recording it, so look for it before creating. Counted by claims, not ``attempts`` (a
    throttled retry gives its attempt back), and never true on a first run: no extra call."""
    return ctx.job.claims > 1


def _not_owned(ctx: WriteContext, object_type: str, found: CrmRecord | None) -> CrmRecord | None:
    """``found``, unless another job's live record already owns it (not ours to adopt)."""
    if found is None:
        return None
    owned = ExternalRecord.objects.filter(
        client=ctx.job.client,
        provider=ctx.job.provider,
        object_type=object_type,
        external_id=found.id,
        rolled_back_at__isnull=True,
    ).exclude(job=ctx.job)
    return None if owned.exists() else found


def write_deal(ctx: WriteContext, contact_id: str) -> None:
    """Create a deal for the contact, or move the one we created for it before."""
    key = deal_stage_key(ctx.lead)
    if key is None or _done(ctx, "deal") is not None:
        return
    stage = _stage_name(ctx, key)
    earlier = (
        ExternalRecord.objects.filter(
            client=ctx.job.client,
            provider=ctx.job.provider,
            object_type="deal",
            action=RecordAction.CREATED,
            rolled_back_at__isnull=True,
            values__contact_id=contact_id,
        )
        .order_by("-created_at")
        .first()
        if contact_id
        else None
    )
    if earlier is not None:
        _move_deal(ctx, earlier, stage)
        return
    name = f"{ctx.person.full_name or ctx.person.email or ctx.person.phone} ({key})"
    values = {"contact_id": contact_id or NEW_CONTACT, "name": name, "stage": stage}
    if ctx.shadow:
        _record(ctx, "deal", "", RecordAction.WOULD_CREATE, values)
        return
    deal = None
    if _rerun(ctx) and contact_id:
        found = ctx.crm.find_deal(contact_id=contact_id, name=name, source_tag=ctx.tag)
        deal = _not_owned(ctx, "deal", found)
    if deal is None:
        _ensure_fields(ctx, "deal")
        _ensure_write_key(ctx)
        deal = ctx.crm.create_deal(
            contact_id=contact_id,
            name=name,
            stage=stage,
            source_tag=ctx.tag,
            write_key=deal_write_key(ctx.job),
        )
    _record(ctx, "deal", deal.id, RecordAction.CREATED, values)


LIMITED_WRITE_KEY = {
    "refused": "The CRM did not grant the permissions to add Switchboard's unique deal key "
    "({grant}). Deals still sync, but a retried sync relies on a search to avoid making a "
    "second deal. Reconnect and allow them to close that gap.",
    "not_unique": "The CRM's deal field {property} exists without unique values, so it cannot "
    "hold a retried deal create to one deal. Make it require unique values (or delete it: "
    "Switchboard adds it again).",
}


def limited_write_key(provider: str, change: str, prop: str) -> str:
    """What staff are told when the write key could not be used, naming the grant that the
    CRM's spec says lets Switchboard add it."""
    grant = registry.crm_spec(provider).write_key_grant or "the CRM's field settings"
    return LIMITED_WRITE_KEY[change].format(property=prop, grant=grant)


def _ensure_write_key(ctx: WriteContext) -> None:
    """Let the CRM hold deal creates to their write key where it can (HubSpot: a unique deal
    property). Adding the property changes the client's CRM settings, and a refusal means
    deals there rely on the re-run's search alone: either is audited, once per time the CRM
    was asked (about daily). A rollback keeps the property: other deals carry it by then."""
    ensure = getattr(ctx.crm, "ensure_write_key", None)
    change = ensure() if ensure is not None else ""
    prop = getattr(ctx.crm, "write_key_property", "")
    if change in LIMITED_WRITE_KEY:
        assert ctx.job.connection is not None  # a job writes through its connection
        message = limited_write_key(ctx.job.provider, change, prop)
        connection_note_limited(ctx.job.connection, message)
    elif change == "created":
        assert ctx.job.connection is not None
        connection_clear_limited(ctx.job.connection)
    if change:
        audit_log(
            client=ctx.job.client,
            actor=SYSTEM,
            action=f"crm.property.{change}",
            target=f"{ctx.job.provider}:deal-property",
            details={"job": ctx.job.pk, "object": "deal", "property": prop},
        )


def deal_write_key(job: SyncJob) -> str:
    """The key that makes the job's deal create idempotent at a vendor that enforces it: the
    event's public id (unique across installs) and the job (one per connection)."""
    return f"sb-{job.event.public_id}-{job.pk}"


def _move_deal(ctx: WriteContext, earlier: ExternalRecord, stage: str) -> None:
    if earlier.values.get("stage") == stage:
        return
    values = {"contact_id": earlier.values.get("contact_id", ""), "stage": stage}
    if ctx.shadow:
        _record(ctx, "deal", earlier.external_id, RecordAction.WOULD_UPDATE, values)
        return
    previous = ctx.crm.move_deal(earlier.external_id, stage)
    snapshot = {"stage": previous.fields.get("stage", earlier.values.get("stage", ""))}
    _record(ctx, "deal", earlier.external_id, RecordAction.UPDATED, values, snapshot=snapshot)


def note_body(ctx: WriteContext) -> str:
    event = ctx.job.event
    lines = [str(ctx.lead.get("conversation_summary") or "").strip()]
    if ctx.lead.get("transcript_url"):
        lines.append(f"Transcript: {ctx.lead['transcript_url']}")
    origin = " · ".join(p for p in (event.source_tag, event.chatbot_vendor, event.session_id) if p)
    lines.append(f"Source: {origin}")
    return "\n\n".join(line for line in lines if line)


def write_note(ctx: WriteContext, contact_id: str) -> None:
    """Log the conversation summary on the contact's timeline (when there is one)."""
    if not (ctx.lead.get("conversation_summary") or ctx.lead.get("transcript_url")):
        return
    if _done(ctx, "note") is not None:
        return
    values = {"contact_id": contact_id or NEW_CONTACT, "body": note_body(ctx)}
    if ctx.shadow:
        _record(ctx, "note", "", RecordAction.WOULD_CREATE, values)
        return
    note = None
    if _rerun(ctx) and contact_id:
        found = ctx.crm.find_note(contact_id=contact_id, body=values["body"])
        note = _not_owned(ctx, "note", found)
    if note is None:
        note = ctx.crm.add_note(contact_id=contact_id, body=values["body"])
    _record(ctx, "note", note.id, RecordAction.CREATED, values)


def follow_up_tags(ctx: WriteContext) -> list[str]:
    """The source tag, the chatbot vendor, and the connection's follow-up tags (a lifecycle
    stage, list or label the CRM's ``tag_contact`` understands)."""
    assert ctx.job.connection is not None  # a job writes through its connection
    configured = (ctx.job.connection.settings or {}).get("follow_up_tags", [])
    tags = [ctx.tag, ctx.job.event.chatbot_vendor, *[str(t) for t in configured]]
    return [t for t in dict.fromkeys(tags) if t]


def _tags_on_create(ctx: WriteContext) -> bool:
    return bool(getattr(ctx.crm, "tags_on_create", False))


def _created_tagged(ctx: WriteContext) -> bool:
    """This job created the contact with its tags already (nothing left to tag)."""
    contact = _done(ctx, "contact")
    return (
        contact is not None and contact.action == RecordAction.CREATED and TAGGED in contact.values
    )


def _ensure_tags(ctx: WriteContext, tags: list[str]) -> None:
    """Add the tags the CRM must know before a contact can carry them (Pipedrive labels);
    each one added is a change to the client's CRM settings, so it is audited. A label is
    kept by a rollback: other records (and people) may use it by then."""
    ensure_tags = getattr(ctx.crm, "ensure_tags", None)
    added = ensure_tags(tags) if ensure_tags is not None else []
    if added:
        audit_log(
            client=ctx.job.client,
            actor=SYSTEM,
            action="crm.tags.created",
            target=f"{ctx.job.provider}:tags",
            details={"job": ctx.job.pk, "tags": added},
        )


def _create_tags(ctx: WriteContext) -> list[str]:
    """The follow-up tags a new contact is created with, made known to the CRM first (HubSpot:
    options of its tags property). A CRM that would not add one gets the contact anyway, with
    the tags it knows, and the refusal is audited: a lead is never lost over a tag."""
    tags = follow_up_tags(ctx)
    try:
        _ensure_tags(ctx, tags)
    except ConnectorError as exc:
        if not exc.permanent:
            raise
        audit_log(
            client=ctx.job.client,
            actor=SYSTEM,
            action="crm.tags.refused",
            target=f"{ctx.job.provider}:tags",
            details={"job": ctx.job.pk, "tags": tags, "error": str(exc)[:500]},
        )
    return tags


def write_tags(ctx: WriteContext, contact_id: str) -> None:
    """Tag the contact for follow-up, when the CRM client supports tagging."""
    tag_contact = getattr(ctx.crm, "tag_contact", None)
    if tag_contact is None or _done(ctx, "contact_tags") is not None or _created_tagged(ctx):
        return
    tags = follow_up_tags(ctx)
    if ctx.shadow:
        _record(ctx, "contact_tags", contact_id, RecordAction.WOULD_UPDATE, {"tags": tags})
        return
    try:
        _ensure_tags(ctx, tags)
        previous = tag_contact(contact_id, tags)
    except ConnectorError as exc:
        if not exc.permanent:
            raise  # transient: the job retries, and skips what it already wrote
        # The CRM has no such tag or label and would not let us add it (a Pipedrive company
        # that keeps its fields to admins): the person, deal and note are in; say so rather
        # than kill a job that did its main work.
        audit_log(
            client=ctx.job.client,
            actor=SYSTEM,
            action="crm.tags.refused",
            target=f"{ctx.job.provider}:contact:{contact_id}",
            details={"job": ctx.job.pk, "tags": tags, "error": str(exc)[:500]},
        )
        return
    _record(
        ctx,
        "contact_tags",
        contact_id,
        RecordAction.UPDATED,
        {"tags": tags},
        snapshot=dict(previous.fields),
    )


# An opt-out's record: it lives on the contact (see syncs.rollback.services.CRM_OBJECT), and its
# snapshot is whatever the CRM client's ``opt_out`` says it replaced.
OPT_OUT = "contact_opt_out"


def write_opt_out(ctx: WriteContext, contact_id: str) -> None:
    """Tell the CRM the person opted out of e-mail (an ``opt_out`` event), recorded and audited
    like any update, so a rollback puts back what it replaced (``undo_opt_out``)."""
    if _done(ctx, OPT_OUT) is not None:
        return
    values = {"email_opt_out": "true"}
    if ctx.shadow:
        _record(ctx, OPT_OUT, contact_id, RecordAction.WOULD_UPDATE, values)
        return
    previous = ctx.crm.opt_out(contact_id, email=ctx.person.email)
    _record(ctx, OPT_OUT, contact_id, RecordAction.UPDATED, values, snapshot=dict(previous.fields))
