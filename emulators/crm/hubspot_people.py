"""HubSpot emulator, people: e-mail subscription preferences (v4) and contact merge.

Subscription preferences are keyed by e-mail address, not by contact, as at HubSpot; they live
in the account's config (``subscriptions``: address → ``{"wide": bool, "statuses": {id:
status}}``), and the portal's subscription types in ``subscription_definitions``. A contact
with that address shows ``hs_email_optout`` as HubSpot derives it. The OAuth app needs
``communication_preferences.read_write``: an account with ``config["communication_preferences"]``
false answers 403 ``MISSING_SCOPES``. Facts and sources: ``connectors/hubspot/people.py``.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.urls import path
from django.utils import timezone

from emulators.crm import common, hubspot
from emulators.crm.models import EmuAccount

VENDOR = hubspot.VENDOR
DEFAULT_DEFINITIONS = (
    {"id": 1001, "name": "Marketing Information"},
    {"id": 1002, "name": "One to One"},
)


def error(status: int, message: str, category: str, **extra: Any) -> HttpResponse:
    body = {"status": "error", "message": message, "correlationId": str(uuid.uuid4()),
            "category": category, **extra}  # fmt: skip
    return common.json_response(body, status)


def _refused(account_id: str) -> HttpResponse | None:
    config = common.account_row(VENDOR, account_id).config
    if config.get("communication_preferences") is not False:
        return None
    return error(
        403, "This app hasn't been granted all required scopes to make this call.",
        "MISSING_SCOPES",
        errors=[{"message": "One or more of the following scopes are required.",
                 "context": {"requiredGranularScopes": ["communication_preferences.read_write"]}}],
    )  # fmt: skip


def _definitions(config: dict[str, Any]) -> list[dict[str, Any]]:
    return list(config.get("subscription_definitions") or DEFAULT_DEFINITIONS)


def _status_row(address: str, definition: dict[str, Any], status: str, **extra: Any) -> dict:
    return {
        "channel": "EMAIL", "subscriberIdString": address, "source": "Public API",
        "subscriptionId": definition["id"], "subscriptionName": definition["name"],
        "status": status, "timestamp": common.iso(timezone.now()), "legalBasis": None,
        "legalBasisExplanation": None, **extra,
    }  # fmt: skip


def _batch(results: list[dict[str, Any]]) -> HttpResponse:
    now = common.iso(timezone.now())
    return common.json_response(
        {"status": "COMPLETE", "results": results, "startedAt": now, "completedAt": now}
    )


def _checked(request: HttpRequest, account_id: str, address: str) -> HttpResponse | None:
    if (refused := _refused(account_id)) is not None:
        return refused
    if "@" not in address or address.startswith("@") or address.endswith("@"):
        return error(400, f"Invalid email address: {address}", "VALIDATION_ERROR")
    if request.GET.get("channel") not in (None, "EMAIL"):
        return error(400, f"Unknown channel: {request.GET.get('channel')}", "VALIDATION_ERROR")
    return None


def _mark_contacts(account_id: str, address: str, opted_out: bool) -> None:
    """HubSpot derives the read-only ``hs_email_optout`` of contacts with this address."""
    for record in common.records_of(VENDOR, account_id, "contacts").filter(email_key=address):
        record.data["hs_email_optout"] = "true" if opted_out else "false"
        common.save_record(record)


@common.endpoint(hubspot.STYLE)
def statuses(request: HttpRequest, account_id: str, address: str) -> HttpResponse:
    """``GET`` each subscription's status for the address; ``POST`` sets one (v4 can
    resubscribe a person who opted out of all, which also ends that opt-out)."""
    address = address.lower()
    if (refused := _checked(request, account_id, address)) is not None:
        return refused
    if request.method == "GET":
        config = common.account_row(VENDOR, account_id).config
        person = config.get("subscriptions", {}).get(address, {})
        return _batch([
            _status_row(address, d, person.get("statuses", {}).get(str(d["id"]), "NOT_SPECIFIED"))
            for d in _definitions(config)
        ])  # fmt: skip
    body = common.body_json(request)
    state = body.get("statusState") if isinstance(body, dict) else None
    if (
        state not in ("SUBSCRIBED", "NOT_SUBSCRIBED", "NOT_SPECIFIED")
        or "subscriptionId" not in body
    ):
        return error(400, "Invalid input JSON: statusState and subscriptionId are required",
                     "VALIDATION_ERROR")  # fmt: skip
    with transaction.atomic():
        row = EmuAccount.objects.select_for_update().get(vendor=VENDOR, account_id=account_id)
        wanted = str(body["subscriptionId"])
        definition = next((d for d in _definitions(row.config) if str(d["id"]) == wanted), None)
        if definition is None:
            return error(400, f"Subscription {wanted} does not exist", "VALIDATION_ERROR")
        person = row.config.setdefault("subscriptions", {}).setdefault(address, {})
        was_wide = bool(person.get("wide"))
        person.setdefault("statuses", {})[wanted] = state
        if state == "SUBSCRIBED":
            person["wide"] = False
        row.save(update_fields=["config"])
    if was_wide and state == "SUBSCRIBED":
        _mark_contacts(account_id, address, opted_out=False)
    reason = "RESUBSCRIBE_OCCURRED" if was_wide and state == "SUBSCRIBED" else "REQUESTED_CHANGE"
    return _batch([_status_row(address, definition, state, setStatusSuccessReason=reason,
                               legalBasis=body.get("legalBasis"))])  # fmt: skip


@common.endpoint(hubspot.STYLE)
def unsubscribe_all(request: HttpRequest, account_id: str, address: str) -> HttpResponse:
    """``GET``: the wide opt-out, if any (empty ``results`` otherwise); ``POST``: opt the
    address out of every e-mail subscription."""
    address = address.lower()
    if (refused := _checked(request, account_id, address)) is not None:
        return refused
    wide_row = {
        "channel": "EMAIL", "subscriberIdString": address, "status": "UNSUBSCRIBED",
        "wideStatusType": "PORTAL_WIDE", "timestamp": common.iso(timezone.now()),
    }  # fmt: skip
    if request.method == "GET":
        person = common.account_row(VENDOR, account_id).config.get("subscriptions", {})
        return _batch([wide_row] if person.get(address, {}).get("wide") else [])
    if request.method != "POST":
        return error(405, "Method not allowed", "VALIDATION_ERROR")
    with transaction.atomic():
        row = EmuAccount.objects.select_for_update().get(vendor=VENDOR, account_id=account_id)
        person = row.config.setdefault("subscriptions", {}).setdefault(address, {})
        person["wide"] = True
        person["statuses"] = {str(d["id"]): "NOT_SUBSCRIBED" for d in _definitions(row.config)}
        row.save(update_fields=["config"])
        definitions = _definitions(row.config)
    _mark_contacts(account_id, address, opted_out=True)
    return _batch([_status_row(address, d, "NOT_SUBSCRIBED") for d in definitions])


@common.endpoint(hubspot.STYLE)
def merge_contacts(request: HttpRequest, account_id: str) -> HttpResponse:
    """``POST /crm/v3/objects/contacts/merge``: the primary keeps its values (empty ones take
    the other's), the other's deals and notes are associated with the primary, and the other
    contact is gone."""
    if request.method != "POST":
        # HubSpot answers a method a route lacks with 405, an empty body and the methods it
        # takes in Allow (a 405 from api.hubapi.com quoted in HubSpot/hubspot-php#203, "Allow:
        # POST,GET,OPTIONS", "Content-Length: 0"; checked 2026-12-04).
        refused = HttpResponse(status=405)
        refused["Allow"] = "POST,OPTIONS"
        return refused
    body = common.body_json(request)
    ids = [str(body.get(k) or "") for k in ("primaryObjectId", "objectIdToMerge")] if isinstance(
        body, dict) else ["", ""]  # fmt: skip
    if not all(ids):
        return error(400, "Invalid input JSON: primaryObjectId and objectIdToMerge are required",
                     "VALIDATION_ERROR")  # fmt: skip
    primary_id, other_id = ids
    if primary_id == other_id:
        return error(400, "Cannot merge an object with itself", "VALIDATION_ERROR")
    with transaction.atomic():
        primary = common.get_record(VENDOR, account_id, "contacts", primary_id)
        other = common.get_record(VENDOR, account_id, "contacts", other_id)
        if primary is None or other is None:
            return error(404, "resource not found", "OBJECT_NOT_FOUND")
        for name, value in other.data.items():
            if value not in ("", None) and not primary.data.get(name):
                primary.data[name] = value
        common.save_record(primary, email=primary.data.get("email", ""),
                           phone=primary.data.get("phone", ""))  # fmt: skip
        for kind in ("deals", "notes"):
            for record in common.records_of(VENDOR, account_id, kind):
                links = record.links.get("associations", [])
                if any(str(a.get("toObjectId")) == other_id for a in links):
                    for link in links:
                        if str(link.get("toObjectId")) == other_id:
                            link["toObjectId"] = primary_id
                    common.save_record(record)
        other.delete()
    return common.json_response(hubspot_serialise(primary))


def hubspot_serialise(record: Any) -> dict[str, Any]:
    props = {"hs_object_id": record.ext_id, **record.data,
             "createdate": common.iso(record.created_at),
             "lastmodifieddate": common.iso(record.updated_at)}  # fmt: skip
    return {"id": record.ext_id, "properties": props, "createdAt": common.iso(record.created_at),
            "updatedAt": common.iso(record.updated_at), "archived": False}  # fmt: skip


def subscriptions_of(account_id: str, address: str) -> dict[str, Any]:
    """The address's subscription state (tests' oracle)."""
    config = common.account_row(VENDOR, account_id).config
    return dict(config.get("subscriptions", {}).get(address.lower(), {}))


urlpatterns = [
    path("hubspot/crm/v3/objects/contacts/merge", merge_contacts),
    path("hubspot/communication-preferences/v4/statuses/<str:address>/unsubscribe-all",
         unsubscribe_all),
    path("hubspot/communication-preferences/v4/statuses/<str:address>", statuses),
]  # fmt: skip
