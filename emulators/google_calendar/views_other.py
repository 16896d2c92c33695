"""``users/me/calendarList``, ``freeBusy``, ``calendars/{id}/events/watch`` and
``channels/stop`` (Calendar API v3)."""

from __future__ import annotations

import re
import secrets
from datetime import timedelta
from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone

from emulators.google_calendar import freebusy, notify, store
from emulators.google_calendar.endpoint import (
    READ_EVENTS,
    READ_LIST,
    STOP_CHANNEL,
    body,
    endpoint,
    method_not_allowed,
    needs,
    number,
)
from emulators.google_calendar.errors import GoogleError, invalid, not_found, required
from emulators.google_calendar.models import GAccount, GChannel

ROLE_RANK = {"freeBusyReader": 0, "reader": 1, "writer": 2, "owner": 3}
# Google's push guide: a channel id is up to 64 characters of [A-Za-z0-9-_+/=]; the default
# and longest time to live for Calendar channels are not documented per resource (VENDORS.md:
# "typically about 1 week"): the emulator grants at most 7 days.
CHANNEL_ID = re.compile(r"[A-Za-z0-9\-_+/=]{1,64}")
MAX_TTL_S = 7 * 24 * 3600


@endpoint
def calendar_list(request: HttpRequest, account: GAccount) -> HttpResponse:
    if request.method != "GET":
        return method_not_allowed()
    needs(request, READ_LIST)
    if "syncToken" in request.GET:
        raise invalid("The emulator keeps no calendar-list sync tokens.", location="syncToken")
    size = number(request, "maxResults", 100, low=1, high=250)
    least = request.GET.get("minAccessRole")
    if least is not None and least not in ROLE_RANK:
        raise invalid(f"Invalid value '{least}' for minAccessRole.", location="minAccessRole")
    store.ensure_primary(account)
    rows = [
        c for c in account.calendars.all()
        if least is None or ROLE_RANK[c.access_role] >= ROLE_RANK[least]
    ]  # fmt: skip
    offset = _offset(request.GET.get("pageToken") or "0")
    items = [_entry(c) for c in rows[offset : offset + size]]
    answer: dict[str, Any] = {"kind": "calendar#calendarList", "etag": '"1"', "items": items}
    if offset + size < len(rows):
        answer["nextPageToken"] = str(offset + size)
    return JsonResponse(answer)


def _offset(token: str) -> int:
    if not token.isdigit():
        raise invalid("Invalid page token value.", location="pageToken")
    return int(token)


def _entry(calendar) -> dict[str, Any]:
    entry = {
        "kind": "calendar#calendarListEntry",
        "etag": f'"{calendar.pk}"',
        "id": calendar.cal_id,
        "summary": calendar.summary or calendar.cal_id,
        "timeZone": calendar.time_zone,
        "accessRole": calendar.access_role,
        "defaultReminders": [],
    }
    if calendar.primary:
        entry["primary"] = True
    return entry


@endpoint
def free_busy(request: HttpRequest, account: GAccount) -> HttpResponse:
    if request.method != "POST":
        return method_not_allowed()
    needs(request, READ_LIST)
    return JsonResponse(freebusy.query(account, body(request)))


@endpoint
def watch(request: HttpRequest, account: GAccount, calendar_id: str) -> HttpResponse:
    if request.method != "POST":
        return method_not_allowed()
    needs(request, READ_EVENTS)
    calendar = store.calendar_for(account, calendar_id, role=store.READER_ROLES)
    resource = body(request)
    if not isinstance(resource, dict):
        raise GoogleError(400, "Parse Error", "parseError")
    channel_id, address = _check_channel(account, resource)
    ttl = _ttl(resource.get("params") or {})
    channel = GChannel.objects.create(
        calendar=calendar,
        channel_id=channel_id,
        resource_id=secrets.token_urlsafe(18),
        address=address,
        token=str(resource.get("token") or ""),
        expires_at=timezone.now() + timedelta(seconds=ttl),
    )
    notify.opened(channel)
    answer = {
        "kind": "api#channel",
        "id": channel.channel_id,
        "resourceId": channel.resource_id,
        "resourceUri": notify.resource_uri(calendar),
        "expiration": str(int(channel.expires_at.timestamp() * 1000)),
    }
    if channel.token:
        answer["token"] = channel.token
    return JsonResponse(answer)


def _check_channel(account: GAccount, resource: dict[str, Any]) -> tuple[str, str]:
    channel_id, address = resource.get("id"), resource.get("address")
    if not channel_id:
        raise required("Required", location="id")
    if not isinstance(channel_id, str) or not CHANNEL_ID.fullmatch(channel_id):
        raise invalid(f"Invalid channel id {channel_id}", location="id")
    if resource.get("type") not in ("web_hook", "webhook"):
        raise invalid("Invalid value for: type", location="type")
    if not isinstance(address, str) or not address:
        raise required("Required", location="address")
    if not address.startswith("https://") and not (
        address.startswith("http://") and account.config.get("allow_http_address")
    ):
        message = f"WebHook callback must be HTTPS: {address}"
        raise GoogleError(400, message, "push.webhookUrlNotHttps")
    token = resource.get("token")
    if token is not None and (not isinstance(token, str) or len(token) > 256):
        raise invalid("Invalid value for: token", location="token")
    if GChannel.objects.filter(channel_id=channel_id).exists():
        raise GoogleError(400, f"Channel id {channel_id} not unique", "channelIdNotUnique")
    return channel_id, address


def _ttl(params: Any) -> int:
    if not isinstance(params, dict):
        raise invalid("Invalid value for: params", location="params")
    value = params.get("ttl", str(MAX_TTL_S))
    if not isinstance(value, str) or not value.isdigit() or int(value) < 1:
        raise invalid(f"Invalid ttl parameter value: {value}", location="params.ttl")
    return min(int(value), MAX_TTL_S)


@endpoint
def stop_channel(request: HttpRequest, account: GAccount) -> HttpResponse:
    if request.method != "POST":
        return method_not_allowed()
    needs(request, STOP_CHANNEL)
    resource = body(request)
    if not isinstance(resource, dict) or not resource.get("id") or not resource.get("resourceId"):
        raise required("Required", location="id")
    channel = GChannel.objects.filter(
        channel_id=resource["id"],
        resource_id=resource["resourceId"],
        calendar__account=account,
        stopped=False,
        expires_at__gt=timezone.now(),
    ).first()
    if channel is None:
        raise not_found()
    channel.stopped = True
    channel.save(update_fields=["stopped"])
    return HttpResponse(status=204)
