"""What every connector shares: provider specs as data, the error type, and the protocols of
each kind over unified models.

Vendor clients (``connectors/<provider>/client.py``) parse vendor JSON into these dataclasses
so ``Any`` never leaves a client module.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
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
    # The person in our own terms (contacts only), so duplicate scans need no vendor names.
    contact: CrmContact | None = None
    # True when create_contact found the person already there (HubSpot 409) and updated it.
    existed: bool = False


@dataclass(frozen=True)
class CrmField:
    """One entry of the CRM's field catalogue (including custom fields)."""

    name: str
    label: str
    type: str = "string"
    required: bool = False
    custom: bool = False


# What became of a meeting, in our words; each CRM client says it in its own.
MEETING_OUTCOMES: tuple[str, ...] = (
    "scheduled",
    "completed",
    "no_show",
    "cancelled",
    "rescheduled",
)
OUTCOME_LABELS = {
    "scheduled": "", "rescheduled": "", "completed": "Attended", "no_show": "No-show",
    "cancelled": "Cancelled",
}  # fmt: skip
# The line every meeting we log carries in its description: how a re-run finds it again in a
# CRM that has no idempotency key for activities (``MeetingDraft.reference``).
MEETING_REFERENCE = "Switchboard booking: "


@dataclass(frozen=True)
class MeetingDraft:
    """A booking as a meeting on a CRM contact (HubSpot meeting, Salesforce Event, Zoho Event,
    Pipedrive activity). ``booking_id`` is ours: written into the meeting's description as
    ``reference()`` so a retried job finds the meeting it made instead of logging another."""

    booking_id: str
    title: str
    start: datetime  # aware
    end: datetime  # aware
    time_zone: str  # IANA zone the booking was made in (shown in the description)
    description: str = ""
    location: str = ""
    outcome: str = "scheduled"  # one of MEETING_OUTCOMES
    source_tag: str = ""

    def __post_init__(self) -> None:
        if self.outcome not in MEETING_OUTCOMES:
            raise ValueError(f"unknown meeting outcome {self.outcome!r}")
        if self.start.tzinfo is None or self.end <= self.start:
            raise ValueError("a meeting needs an aware start before its end")

    def reference(self) -> str:
        return f"{MEETING_REFERENCE}{self.booking_id}"

    def labelled_title(self) -> str:
        """The title with the outcome in front where it is not the plain scheduled meeting,
        for CRMs whose meetings have no outcome field (staff see it in the calendar)."""
        label = OUTCOME_LABELS[self.outcome]
        return f"{label}: {self.title}" if label else self.title

    def body(self, *, outcome_line: bool = False) -> str:
        """The description as logged: ours, then the reference, zone and source-tag lines
        (and the outcome, for CRMs with no field of their own for it)."""
        lines = [self.description.strip()] if self.description.strip() else []
        if outcome_line:
            lines.append(f"Outcome: {self.outcome}")
        lines.append(self.reference())
        lines.append(f"Time zone: {self.time_zone}")
        if self.source_tag:
            lines.append(f"Source tag: {self.source_tag}")
        return "\n".join(lines)


def carries_reference(text: str, booking_id: str) -> bool:
    """Whether a meeting description read back from a CRM names this booking (a whole line,
    so booking 1 is not found in booking 12's meeting)."""
    wanted = f"{MEETING_REFERENCE}{booking_id}"
    return any(line.strip() == wanted for line in text.replace("<br>", "\n").splitlines())


class CrmClient(Protocol):
    """The CRM protocol. Every method raises ``ConnectorError``."""

    def find_contact(self, *, email: str = "", phone: str = "") -> CrmRecord | None:
        """The contact with this email, else with this phone, else None."""

    def create_contact(self, contact: CrmContact, *, source_tag: str) -> CrmRecord:
        """Create a contact tagged with ``source_tag``; returns it.

        A client whose ``tags_on_create`` attribute is true also takes ``tags=`` (what
        ``tag_contact`` would set) and sets them in the same call on a contact it creates.
        """

    def update_contact(self, record_id: str, values: dict[str, str]) -> CrmRecord:
        """Set fields; returns the record with the fields' *previous* values (for undo)."""

    def create_deal(
        self,
        *,
        contact_id: str,
        name: str,
        stage: str,
        amount: str = "",
        source_tag: str = "",
        write_key: str = "",
    ) -> CrmRecord:
        """Create a deal/opportunity linked to the contact.

        ``write_key`` is unique to the job: a client that can make the vendor enforce it
        (HubSpot: upsert by a unique property) makes a repeated create land on the same deal,
        reported with ``existed``. The others ignore it; their re-runs rely on ``find_deal``."""

    def find_deal(self, *, contact_id: str, name: str, source_tag: str = "") -> CrmRecord | None:
        """The deal ``create_deal`` made with this name for this contact (and this source tag,
        where the deal carries it), or None: what a re-run asks before creating, because a
        worker may have died between the vendor's create and our record of it."""

    def move_deal(self, deal_id: str, stage: str) -> CrmRecord:
        """Move a deal to a stage; returns the record with the previous stage."""

    def add_note(self, *, contact_id: str, body: str) -> CrmRecord:
        """Log text on the contact's timeline (note, task or engagement)."""

    def find_note(self, *, contact_id: str, body: str) -> CrmRecord | None:
        """The note ``add_note`` logged with this body on this contact, or None (asked on a
        re-run only, like ``find_deal``)."""

    def delete(self, object_type: str, record_id: str) -> None:
        """Delete a record we created (rollback). A record already gone is not an error."""

    def field_catalogue(self, object_type: str = "contact") -> list[CrmField]:
        """The CRM's fields for an object type, custom fields included."""

    def ensure_fields(
        self, object_type: str = "contact", wanted: Sequence[str] = ()
    ) -> list[tuple[str, str, list[str]]]:
        """The field-catalogue step the sync runs before a write (``syncs.crm.writes``).

        Confirms the fields a write of ``object_type`` may name (one unknown field can refuse
        a whole write) and adds the custom fields the CRM lacks where the grant allows:
        Switchboard's own (HubSpot, Zoho, Pipedrive), or those among ``wanted``, the
        connection's mapping targets (Salesforce; the others ignore it). Returns what changed
        as ``(change, kind, names)``: change "created", "refused" (the CRM would not let the
        user add them) or "hidden" (they exist, the user cannot see them); kind is the CRM's
        object (or "contact-fields") for the audit target. Each change is reported about once
        a day or per connect, not per lead. A client without it writes only known fields."""

    def tag_contact(self, record_id: str, tags: list[str]) -> CrmRecord:
        """Fire follow-up triggers by tagging the contact the way the CRM does it (HubSpot
        lifecycle stage or tag property, Salesforce description line, Zoho tags, Pipedrive
        labels). Returns the record with the *previous* values of what changed, for undo.

        A CRM whose tags must exist before a contact can carry one (Pipedrive's labels) also
        has ``ensure_tags(tags) -> list[str]``: it adds the missing ones and returns them."""

    def restore_fields(self, object_type: str, record_id: str, values: dict[str, str]) -> None:
        """Put back values an update or tag replaced (rollback). A record gone is not an error."""

    def iter_contacts(self, page_size: int = 100) -> Iterator[CrmRecord]:
        """Every contact, page by page with the vendor's cursor (duplicate scans)."""

    def opt_out(self, record_id: str, *, email: str = "") -> CrmRecord:
        """Mark the contact as not to be e-mailed, the CRM's own way (HubSpot: unsubscribed
        from all e-mail; Salesforce ``HasOptedOutOfEmail``; Zoho ``Email_Opt_Out``; Pipedrive
        ``marketing_status``). Returns the record with the *previous* values of what changed
        (empty fields: the contact had opted out already, nothing changed), for
        ``undo_opt_out``. Raises a permanent ``ConnectorError`` when the CRM kept the contact
        subscribed."""

    def undo_opt_out(self, record_id: str, previous: dict[str, str]) -> None:
        """Put back what ``opt_out`` changed (rollback), from its ``previous`` values. A
        record gone is not an error; a CRM that will not go back raises a permanent
        ``ConnectorError`` saying why."""

    def log_meeting(self, contact_id: str, draft: MeetingDraft) -> CrmRecord:
        """Log the booking as a meeting on the contact (object type "meeting"), idempotent on
        ``draft.booking_id``: when ``find_meeting`` finds it already, that one is returned with
        ``existed`` and nothing is created. Raises ``ConnectorError`` (permanent when the CRM
        refuses the meeting, e.g. the contact is gone)."""

    def update_meeting(self, record_id: str, draft: MeetingDraft) -> CrmRecord:
        """Move, rename or set the outcome of a meeting ``log_meeting`` made; returns the
        record with the *previous* values of what changed (for undo). A cancelled outcome keeps
        the meeting, marked cancelled the CRM's way, so its history stays on the contact."""

    def find_meeting(self, contact_id: str, booking_id: str) -> CrmRecord | None:
        """The meeting ``log_meeting`` made for this booking on this contact, or None."""

    # How the CRM decides which values a merged contact keeps, in the vendor's terms (shown
    # before staff confirm a merge): a class attribute of each client.
    merge_rule: str

    def merge_contacts(self, survivor_id: str, other_id: str) -> CrmRecord:
        """Merge contact ``other_id`` into ``survivor_id`` at the CRM: the other record is
        gone, its deals, notes and activities belong to the survivor, and the survivor's values
        win where both have one (``merge_rule``). Returns the surviving record (its id may be
        new: HubSpot). Cannot be undone. Raises ``ConnectorError`` (permanent: a record missing
        or refused)."""


# --- Calendar --------------------------------------------------------------------------


@dataclass(frozen=True)
class CalendarInfo:
    """One calendar of the connected account."""

    id: str
    name: str
    time_zone: str = ""  # IANA zone the owner set; all-day events are days in this zone
    can_write: bool = False
    primary: bool = False


@dataclass(frozen=True)
class BusyInterval:
    """Time a calendar says is taken. Timed intervals are aware datetimes; an all-day event is
    ``start``/``end`` dates (end exclusive) that only the owner's zone turns into instants.
    ``status`` is "busy" or "tentative"; free (transparent) and cancelled events are never
    returned as busy. ``event_id`` names the event (or recurrence instance) behind it."""

    start: datetime | date
    end: datetime | date
    status: str = "busy"
    event_id: str = ""


@dataclass(frozen=True)
class EventDraft:
    """An event we write. ``booking_id`` is our own id: the vendor's idempotency handle (Google's
    client-chosen event id, Graph's ``transactionId``, the CalDAV resource name and UID), so a
    retried create can never make two events."""

    booking_id: str
    summary: str
    start: datetime  # aware
    end: datetime  # aware
    time_zone: str  # IANA zone the event is shown in
    description: str = ""
    location: str = ""
    attendees: tuple[str, ...] = ()  # e-mail addresses
    source_tag: str = ""


@dataclass(frozen=True)
class CalendarEvent:
    """An event as read back from a calendar (one instance when expanded). ``start`` and
    ``end`` are None only for a deleted event the vendor reports by its id alone (Google's
    incremental list: "Deleted events are only guaranteed to have the id field populated")."""

    calendar_id: str
    id: str
    start: datetime | date | None = None
    end: datetime | date | None = None
    status: str = "confirmed"  # "confirmed" | "tentative" | "cancelled"
    transparent: bool = False  # shown as free
    summary: str = ""
    etag: str = ""
    booking_id: str = ""  # ours, when we wrote it
    recurring_event_id: str = ""  # the series an instance or exception belongs to
    declined_by: tuple[str, ...] = ()  # attendees who declined
    # The calendar's owner declined it (Google: the ``self`` attendee; Graph: the event's
    # ``responseStatus``; CalDAV: the organizer's own ATTENDEE line). Such an event blocks
    # nothing, so it is reported as ``transparent`` too.
    owner_declined: bool = False


@dataclass(frozen=True)
class ChangePage:
    """Events changed since a cursor (sync token, delta link, CTag/sync-token), and the cursor to
    ask with next time. Deleted or cancelled events come back with ``status="cancelled"``."""

    events: tuple[CalendarEvent, ...]
    cursor: str
    # Recurring series whose every instance in reach the page carries (read again in full
    # because an instance of theirs was reported: their master may have moved, or its rule
    # changed, which renames its instances). A mirror replaces all it holds of them, so the
    # old instances of a moved series do not stay busy until the next full read.
    series: tuple[str, ...] = ()


@dataclass(frozen=True)
class Watch:
    """A push channel (Google ``events.watch``, a Graph subscription): renewed before
    ``expires_at``, stopped when the connection goes."""

    id: str
    resource_id: str
    expires_at: datetime
    secret: str = ""  # the token / clientState the vendor echoes, checked on every notification


class CursorExpired(ConnectorError):
    """The vendor no longer knows the cursor (Google 410 GONE, Graph ``syncStateNotFound``,
    CalDAV ``valid-sync-token`` precondition): read everything again."""


class CalendarClient(Protocol):
    """The calendar protocol. Every method raises ``ConnectorError``."""

    def list_calendars(self) -> list[CalendarInfo]:
        """The account's calendars."""
        ...

    def busy(
        self, calendar_ids: Sequence[str], start: datetime, end: datetime
    ) -> dict[str, list[BusyInterval]]:
        """Busy time per calendar in [start, end), recurring events expanded with their
        exceptions. A calendar the vendor could not read raises (never an empty, "free" list)."""
        ...

    def create_event(self, calendar_id: str, draft: EventDraft) -> CalendarEvent:
        """Create, idempotent on ``draft.booking_id``: a retry returns the event already made."""
        ...

    def update_event(
        self, calendar_id: str, event_id: str, draft: EventDraft, *, etag: str = ""
    ) -> CalendarEvent:
        """Move or rename an event; with ``etag``, refused (permanent) if it changed meanwhile."""
        ...

    def cancel_event(self, calendar_id: str, event_id: str) -> None:
        """Cancel (delete) an event; one already gone is not an error."""
        ...

    def changes(self, calendar_id: str, cursor: str = "") -> ChangePage:
        """Changes since ``cursor`` ("" = a full read that returns the first cursor). Raises
        ``CursorExpired`` when the vendor forgot the cursor."""
        ...


class PushCalendarClient(CalendarClient, Protocol):
    """A calendar that can push changes (Google, Graph); CalDAV is polled only."""

    def watch(self, calendar_id: str, *, address: str, secret: str, ttl_seconds: int) -> Watch:
        """Ask the vendor to notify ``address`` of changes, until about ``ttl_seconds`` from now."""
        ...

    def stop_watch(self, watch: Watch) -> None:
        """Stop a channel; one already expired is not an error."""
        ...


# --- POS -------------------------------------------------------------------------------


@dataclass(frozen=True)
class PosCustomer:
    id: str
    email: str = ""
    phone: str = ""  # E.164
    name: str = ""


@dataclass(frozen=True)
class PosOrderLine:
    name: str
    quantity: str  # decimal string, as vendors send it
    category: str = ""
    sku: str = ""


@dataclass(frozen=True)
class PosOrder:
    id: str
    customer_id: str
    placed_at: datetime
    total_minor: int  # in the currency's minor unit
    currency: str
    lines: tuple[PosOrderLine, ...] = ()
    status: str = "completed"


@dataclass(frozen=True)
class InventoryLevel:
    sku: str
    location_id: str
    quantity: str
    counted_at: datetime


class PosClient(Protocol):
    """The POS protocol (built by the POS issue). Every method raises ``ConnectorError``."""

    def find_customers(self, *, email: str = "", phone: str = "") -> list[PosCustomer]:
        """Customers matching an e-mail or an E.164 phone."""
        ...

    def orders(self, customer_id: str, *, since: datetime | None = None) -> Iterator[PosOrder]:
        """A customer's orders, newest first, paged by the client."""
        ...

    def inventory(self, skus: Sequence[str]) -> list[InventoryLevel]:
        """Stock per SKU and location, with when each count was taken."""
        ...


# --- Provider specs (data) -------------------------------------------------------------


@dataclass(frozen=True)
class RateLimit:
    """A documented vendor limit: ``requests`` per ``per_seconds``, per app or per connection."""

    requests: int
    per_seconds: float
    # "connection" (per installed account / token), "account" (per vendor account: a Google
    # user, an Outlook mailbox, however many connections reach it) or "app" (per project).
    scope: str = "connection"
    source: str = ""  # where the number comes from (vendor doc), for the reader


@dataclass(frozen=True)
class ConcurrencyLimit:
    """A documented cap on requests in flight at once (``connectors.concurrency``): ``slots``
    per scope, as ``RateLimit.scope`` ("account": every connection to one mailbox shares it)."""

    slots: int
    scope: str = "account"
    source: str = ""  # where the number comes from (vendor doc), for the reader


@dataclass(frozen=True)
class OAuthSpec:
    """How a vendor's OAuth 2.0 differs from the textbook, as named attributes.

    URLs may contain ``{placeholders}`` filled from the connection's settings (``shop``,
    ``accounts_server``, ``domain_prefix``, ``region_host``, ``tenant``).
    """

    authorize_url: str
    token_url: str
    scopes: tuple[str, ...] = ()
    scope_separator: str = " "
    pkce: bool = False
    client_auth: str = "body"  # "body" (client_id/secret in the form) or "basic"
    token_body: str = "form"  # noqa: S105 -- "form" or "json", not a secret
    extra_authorize_params: tuple[tuple[str, str], ...] = ()
    refresh_url: str = ""  # when refresh has its own endpoint (Clover)
    revoke_url: str = ""
    introspect_url: str = ""  # RFC 7662-style token introspection (HubSpot: the portal id)
    refresh_rotates: bool = False  # single-use refresh tokens (Microsoft, Clover, Lightspeed X)
    expires_in_missing: bool = False  # Salesforce: no expires_in; refresh on INVALID_SESSION_ID
    # Where the expiry is in the token response: "expires_in" (seconds), "expires_at" (Square's
    # ISO-8601 timestamp) or "access_token_expiration" (Clover's epoch seconds).
    expiry_field: str = "expires_in"
    # Callback query parameters kept in Connection.settings (name in callback -> settings key).
    callback_settings: tuple[tuple[str, str], ...] = ()
    # Token-response fields kept in Connection.settings (e.g. instance_url -> api_base).
    token_settings: tuple[tuple[str, str], ...] = ()
    # Where the vendor account id comes from: "token:<field>", "callback:<param>",
    # "settings:<key>", "salesforce-id" (org id in the identity URL), "introspect:<field>"
    # (a field of the ``introspect_url`` answer) or "" (not given).
    account_id_from: str = ""
    # How revocation is called: "" (cannot), "form" (POST token=...), "form-credentials"
    # (the same with client_id and client_secret in the form: HubSpot 2026-03),
    # "client-secret-header" (JSON, Authorization: Client <secret>: Square).
    revoke_style: str = ""
    # Default values for URL placeholders before the callback tells the real one (Zoho DC).
    url_defaults: tuple[tuple[str, str], ...] = ()
    # Error codes (``error``, ``errors[0].code`` or ``message``) meaning the grant is dead.
    dead_grant_codes: tuple[str, ...] = ("invalid_grant",)
    # Allowed values for callback-supplied hosts: regexes the value must fully match.
    callback_host_patterns: tuple[tuple[str, str], ...] = ()
    # The same for hosts a token response names (settings key -> regex, case-insensitive): the
    # API base receives every access token, so it must be one of the vendor's own hosts.
    token_host_patterns: tuple[tuple[str, str], ...] = ()
    # How the vendor signs its callback query: "" (it does not) or "hmac-sha256-hex" (hex
    # HMAC-SHA256 of the sorted query without ``hmac``, keyed with our app secret: Shopify).
    callback_signature: str = ""


# The kinds of connector: each has its protocol above. A new kind is a new protocol (and a
# domain package in ``syncs``), not a new vendor.
KINDS: tuple[str, ...] = ("crm", "calendar", "pos")
# How a connection proves itself: "oauth2" (consent redirect, refresh token),
# "client_credentials" (a machine login with our app's credentials, no consent: Toast) or
# "basic" (the user's own password, stored as the token, never refreshed: CalDAV).
AUTH_KINDS: tuple[str, ...] = ("oauth2", "client_credentials", "basic")


@dataclass(frozen=True)
class ConnectInput:
    """A value the person connecting types before the consent redirect, because the vendor's
    URLs need it (Shopify's shop). Kept in the connection's settings under ``name``."""

    name: str
    label: str
    pattern: str  # the typed part must fully match this regex
    suffix: str = ""  # appended to what was typed (and stripped first if typed too)
    placeholder: str = ""

    def value(self, typed: str) -> str | None:
        """The settings value for what was typed, or None when it does not match."""
        part = typed.strip().lower().removesuffix(self.suffix)
        return part + self.suffix if re.fullmatch(self.pattern, part) else None


@dataclass(frozen=True)
class ScopeReason:
    """Why Switchboard asks for one OAuth scope, in words the person granting it understands
    (shown on the connect page before they are sent to the vendor)."""

    scope: str
    why: str
    optional: bool = False  # asked for, but the connection works (with less) without it


@dataclass(frozen=True)
class DealStage:
    """One of our deal stage keys and the vendor's stage for it in its default pipeline (a
    connection's ``settings["deal_stages"]`` overrides it)."""

    key: str  # "qualified" | "booking" | "purchase" (syncs.crm.writes.deal_stage_key)
    stage: str


@dataclass(frozen=True)
class CrmSpec:
    """What a CRM offers beyond the protocol's core, as data, so code that has no client at
    hand (the console, the merge plan, a limited-connection message) asks the registry instead
    of naming a vendor. ``tests/connectors/test_crm_completeness.py`` checks each flag against
    the client's methods."""

    deal_stages: tuple[DealStage, ...] = ()
    merge: bool = False  # merge_contacts
    opt_out: bool = False  # opt_out / undo_opt_out
    custom_fields: bool = False  # ensure_fields adds Switchboard's fields where the grant allows
    deal_write_key: bool = False  # ensure_write_key: the vendor holds a deal create to one deal
    tags_on_create: bool = False  # create_contact(tags=...) sets the follow-up tags in one call
    tags_must_exist: bool = False  # ensure_tags: a tag must be added before a contact carries it
    # Where a value goes when the CRM refuses or hides its field ("" : it is left out).
    fields_kept: str = ""
    # The grant that lets the write key be added, named for staff (when deal_write_key).
    write_key_grant: str = ""

    def stage_for(self, key: str) -> str:
        """The vendor's stage for our key; the key itself when the CRM declares none."""
        return next((s.stage for s in self.deal_stages if s.key == key), key)


CRM_FEATURES: tuple[str, ...] = (
    "merge", "opt_out", "custom_fields", "deal_write_key", "tags_on_create", "tags_must_exist",
)  # fmt: skip


@dataclass(frozen=True)
class ProviderSpec:
    """Everything that is data about a vendor. Logic lives in its ``client.py``."""

    slug: str
    kind: str  # "crm" | "calendar" | "pos"
    display_name: str
    auth: str  # one of AUTH_KINDS
    api_base: str  # default API host; per-tenant hosts come from Connection.settings["api_base"]
    oauth: OAuthSpec | None = None
    # How the token is sent, named for the header: "bearer", "zoho-oauthtoken"
    # (Authorization: Zoho-oauthtoken <token>), "x-shopify-access-token", "basic" or "none".
    auth_header: str = "bearer"
    default_headers: tuple[tuple[str, str], ...] = ()
    rate_limits: tuple[RateLimit, ...] = ()
    # Requests in flight at once (Graph: 4 per app per mailbox); each attempt holds a slot.
    concurrency_limits: tuple[ConcurrencyLimit, ...] = ()
    webhook_scheme: str = ""  # e.g. "hubspot-v3", "square-hmac", "basic-auth", "channel-token"
    login_url: str = ""  # client_credentials machine login (Toast)
    emulated: bool = True  # False: user-supplied server, never rewritten (CalDAV)
    docs: str = ""  # the vendor page the spec was taken from
    scope_reasons: tuple[ScopeReason, ...] = ()  # one per scope asked for (oauth2)
    connect_input: ConnectInput | None = None  # typed on the connect page before consent
    crm: CrmSpec | None = None  # kind "crm" only
    # Kind "calendar": ``changes`` returns every instance of a recurring series (Google's
    # singleEvents, Graph's calendarView delta), so a synced mirror holds all the busy time and
    # may answer for the calendar. Where it returns a series once (a CalDAV resource holds the
    # whole series), busy time is always read from the vendor.
    changes_expand_series: bool = False
