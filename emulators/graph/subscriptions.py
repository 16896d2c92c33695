"""``/subscriptions`` of the emulated Graph (learn.microsoft.com/graph/api/subscription-post-
subscriptions, subscription-update, subscription-delete and resources/subscription; checked
2026-12-05). An Outlook event subscription lasts at most 10,080 minutes (under 7 days; the
4,230 minutes of VENDORS.md is the 2016 figure); creating one first validates the
notification (and lifecycle) URL (``notify.validation_passes``)."""

from __future__ import annotations

import re
import secrets
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import path
from django.utils import timezone

from emulators.graph import notify, store
from emulators.graph.errors import error
from emulators.graph.gate import graph_view
from emulators.graph.models import Mailbox, Subscription
from emulators.graph.validate import Refusal, unknown
from emulators.graph.views_events import BASE, body_of, not_allowed, refused

MAX_MINUTES = 10_080
CHANGE_TYPES = ("created", "updated", "deleted")
FIELDS = {
    "changeType",
    "notificationUrl",
    "lifecycleNotificationUrl",
    "resource",
    "expirationDateTime",
    "clientState",
    "latestSupportedTlsVersion",
    "includeResourceData",
    "@odata.type",
}
RESOURCE = re.compile(
    r"^/?(?:me|users/[^/]+)/(?:events|calendar/events|calendars/(?P<calendar>[^/]+)/events)$",
    re.I,
)
APPLICATION_ID = "3b1c4a5e-0000-4000-8000-00000000e6a1"


def _stamp(moment: datetime) -> str:
    moment = moment.astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond:06d}0Z"


def subscription_json(sub: Subscription) -> dict[str, Any]:
    return {
        "@odata.context": f"{BASE}#subscriptions/$entity",
        "id": sub.ext_id,
        "resource": sub.resource,
        "applicationId": APPLICATION_ID,
        "changeType": sub.change_type,
        "clientState": sub.client_state or None,
        "notificationUrl": sub.notification_url,
        "lifecycleNotificationUrl": sub.lifecycle_url or None,
        "expirationDateTime": _stamp(sub.expires_at),
        "creatorId": sub.mailbox.account_id,
        "latestSupportedTlsVersion": "v1_2",
        "includeResourceData": None,
        "notificationQueryOptions": None,
        "encryptionCertificate": None,
        "encryptionCertificateId": None,
        "notificationUrlAppId": None,
    }


def _invalid(message: str) -> Refusal:
    return Refusal(400, "InvalidRequest", message)


def _expiry(mailbox: Mailbox, value: Any) -> datetime:
    try:
        moment = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        raise _invalid(f"Invalid expirationDateTime '{value}'.") from None
    moment = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    limit = int(mailbox.config.get("max_subscription_minutes", MAX_MINUTES))
    now = timezone.now()
    if moment <= now:
        raise _invalid("Subscription expiration must be in the future.")
    if moment > now + timedelta(minutes=limit):
        raise _invalid(f"Subscription expiration can only be {limit} minutes in the future.")
    return moment


def _url(mailbox: Mailbox, value: Any, name: str) -> str:
    parts = urlsplit(str(value or ""))
    allowed = ("https", "http") if mailbox.config.get("allow_http_notification_url") else ("https",)
    if len(str(value)) > 500:
        raise _invalid(f"The {name} is too long.")
    if parts.scheme not in allowed or not parts.netloc:
        raise _invalid(f"The {name} must be an https URL.")
    return str(value)


def _new(mailbox: Mailbox, body: Any) -> Subscription:
    if not isinstance(body, dict):
        raise Refusal(400, "BadRequest", "Unable to read JSON request payload.")
    for name in body:
        if name not in FIELDS:
            raise unknown(name, "subscription")
    for name in ("changeType", "notificationUrl", "resource", "expirationDateTime"):
        if not body.get(name):
            raise _invalid(f"The property '{name}' is required.")
    kinds = str(body["changeType"]).split(",")
    if not kinds or any(k not in CHANGE_TYPES for k in kinds):
        raise _invalid(f"Invalid changeType '{body['changeType']}'.")
    match = RESOURCE.match(str(body["resource"]))
    if match is None:
        raise _invalid(f"Resource '{body['resource']}' is not supported.")
    calendar = None
    if match.group("calendar"):
        calendar = store.calendar_of(mailbox, match.group("calendar"))
        if calendar is None:
            raise Refusal(404, "ResourceNotFound", "The calendar of the resource was not found.")
    client_state = body.get("clientState") or ""
    if not isinstance(client_state, str) or len(client_state) > 128:
        raise _invalid("clientState must be a string of at most 128 characters.")
    return Subscription(
        mailbox=mailbox,
        ext_id=str(secrets.token_hex(16)),
        resource=str(body["resource"]),
        calendar=calendar,
        change_type=",".join(kinds),
        client_state=client_state,
        notification_url=_url(mailbox, body["notificationUrl"], "notificationUrl"),
        lifecycle_url=_url(mailbox, body["lifecycleNotificationUrl"], "lifecycleNotificationUrl")
        if body.get("lifecycleNotificationUrl")
        else "",
        expires_at=_expiry(mailbox, body["expirationDateTime"]),
    )


def _validated(mailbox: Mailbox, sub: Subscription) -> bool:
    timeout = float(mailbox.config.get("validation_timeout_s", notify.VALIDATION_TIMEOUT_S))
    urls = [sub.notification_url] + ([sub.lifecycle_url] if sub.lifecycle_url else [])
    return all(notify.validation_passes(url, timeout) for url in urls)


@graph_view
def subscriptions(request: HttpRequest, mailbox: Mailbox) -> HttpResponse:
    if request.method == "GET":
        rows = Subscription.objects.filter(mailbox=mailbox)
        return JsonResponse(
            {
                "@odata.context": f"{BASE}#subscriptions",
                "value": [subscription_json(s) for s in rows],
            }
        )
    if request.method != "POST":
        return not_allowed(request)
    try:
        sub = _new(mailbox, body_of(request))
    except Refusal as exc:
        return refused(request, exc)
    if not _validated(mailbox, sub):
        return error(
            request,
            400,
            "ValidationError",
            "Subscription validation request failed. "
            "Notification endpoint must respond with 200 OK to validation request.",
        )
    sub.save()
    return JsonResponse(subscription_json(sub), status=201)


@graph_view
def subscription(request: HttpRequest, mailbox: Mailbox, subscription_id: str) -> HttpResponse:
    sub = Subscription.objects.filter(mailbox=mailbox, ext_id=subscription_id).first()
    if sub is None or sub.expires_at <= timezone.now():
        return error(request, 404, "ResourceNotFound", "The object was not found.")
    if request.method == "DELETE":
        sub.delete()
        return HttpResponse(status=204)
    if request.method == "PATCH":
        body = body_of(request)
        try:
            if not isinstance(body, dict):
                raise Refusal(400, "BadRequest", "Unable to read JSON request payload.")
            for name in body:
                if name not in ("expirationDateTime", "notificationUrl", "@odata.type"):
                    raise unknown(name, "subscription")
            if "expirationDateTime" in body:
                sub.expires_at = _expiry(mailbox, body["expirationDateTime"])
        except Refusal as exc:
            return refused(request, exc)
        sub.save()
    elif request.method != "GET":
        return not_allowed(request)
    return JsonResponse(subscription_json(sub))


urlpatterns = [
    path("outlook/v1.0/subscriptions", subscriptions),
    path("outlook/v1.0/subscriptions/<str:subscription_id>", subscription),
]
