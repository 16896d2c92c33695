"""The endpoint calendar vendors push to: ``POST /hooks/calendar/<provider>``.

No session and no API key: each notice is checked against the channel we stored for it (the
vendor package's ``push.read`` parses the request, ``connectors.push``): the channel must be
ours and of that vendor, and the secret it carries (Google's channel token, Graph's
``clientState``) must equal the one we set, compared in constant time; a resource id, when
the vendor sends one, must be the channel's. A notice that passes only counts a request for a
pass and queues it, so the answer comes at once; the pass itself runs on a worker.

Answers: the vendor's "received" status when any notice was taken; 403 when every notice
failed its check (nothing is queued); the vendor's "unknown channel" status when none named a
channel of ours; 400 problem+json for a request that is no notification of that vendor.
"""

from __future__ import annotations

import hmac
import logging

from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from common.problems import problem_response
from connectors.push import CHANGED, OPENED, RECREATE, RENEW, RESYNC, BadPush, Inbound, Notice
from connectors.registry import UnknownProvider, module_for
from syncs.calendar.sync import request_pass
from syncs.calendar.sync_state.models import CalendarSync

log = logging.getLogger(__name__)
TAKEN, REFUSED, UNKNOWN = "taken", "refused", "unknown"


@csrf_exempt
@require_POST
def receive(request: HttpRequest, provider: str) -> HttpResponse:
    try:
        reader = module_for(provider, "push")
    except UnknownProvider:
        reader = None
    if reader is None:
        return problem_response(request, "not-found", detail="No push endpoint for this path.")
    inbound = Inbound(
        query=request.GET.dict(),
        headers={name.lower(): value for name, value in request.headers.items()},
        body=request.body,
    )
    try:
        reading = reader.read(inbound)
    except BadPush as exc:
        return problem_response(request, "malformed-request", detail=str(exc))
    if reading.echo is not None:
        return HttpResponse(reading.echo, content_type="text/plain; charset=utf-8")
    outcomes = {_take(provider, notice) for notice in reading.notices}
    if TAKEN in outcomes:
        return HttpResponse(status=reader.ACCEPTED)
    if REFUSED in outcomes:
        return problem_response(request, "forbidden", detail="The notification was refused.")
    return problem_response(
        request, "not-found", status_code=reader.UNKNOWN, detail="No such channel."
    )


def _take(provider: str, notice: Notice) -> str:
    sync = (
        CalendarSync.objects.filter(channel_id=notice.watch_id, role__connection__provider=provider)
        .only("pk", "channel_secret", "channel_resource", "channel_message")
        .first()
    )
    if sync is None:
        return UNKNOWN
    secret_ok = bool(sync.channel_secret) and hmac.compare_digest(
        notice.secret.encode(), sync.channel_secret.encode()
    )
    resource_ok = not notice.resource_id or notice.resource_id == sync.channel_resource
    if not (secret_ok and resource_ok):
        log.warning("calendar push refused for sync %s: secret or resource mismatch", sync.pk)
        return REFUSED
    _act(sync, notice)
    return TAKEN


def _act(sync: CalendarSync, notice: Notice) -> None:
    from syncs.calendar import tasks  # the tasks module imports this package's services

    # The channel reaches us: trusted from now on (``freshness.has_live_channel``).
    CalendarSync.objects.filter(pk=sync.pk, channel_confirmed_at__isnull=True).update(
        channel_confirmed_at=timezone.now()
    )
    if notice.sequence is not None:
        CalendarSync.objects.filter(pk=sync.pk).update(channel_message=notice.sequence)
    if notice.action == CHANGED:
        request_pass(sync.pk)
    elif notice.action == RESYNC:
        request_pass(sync.pk, resync=True)
    elif notice.action in (RENEW, RECREATE):
        if notice.action == RECREATE:
            from syncs.calendar.watches import forget_channel

            forget_channel(sync.pk)
        sync_pk = sync.pk
        transaction.on_commit(lambda: tasks.keep_calendar_channel.delay(sync_pk, True))
    elif notice.action != OPENED:
        log.warning("calendar push: unknown action %r", notice.action)
