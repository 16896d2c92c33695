"""Baseline views for benchmarks/lead_sync.py, mounted only when ``BENCHMARK_VIEWS`` is on
(never in production): neither authenticates anything.

- ``insert_row``: the cheapest write Django can do, one row, so the intake API's throughput
  can be printed as a ratio against it.
- ``direct_lead``: the seed article's webhook (``app.post('/ai-lead', ...)``): a plain view that
  calls the CRM synchronously and answers with its record id, no outbox, no retry, no
  duplicate check. Its throughput is printed beside the intake's: what the request path would
  cost if the CRM call were made inside it.
"""

from __future__ import annotations

import json

from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from agency.models import WorkerHeartbeat
from connectors.base import CrmContact
from connectors.models import Connection
from connectors.registry import client_for


@csrf_exempt
@require_POST
def insert_row(request: HttpRequest) -> JsonResponse:
    row = WorkerHeartbeat.objects.create(nonce="bench", hostname="bench")
    return JsonResponse({"id": row.pk}, status=201)


@csrf_exempt
@require_POST
def direct_lead(request: HttpRequest, connection_id: int) -> JsonResponse:
    """Create the lead's contact in the CRM of connection ``connection_id``, then answer."""
    body = json.loads(request.body)
    first, _, last = str(body.get("name", "")).partition(" ")
    connection = Connection.objects.get(pk=connection_id)
    contact = CrmContact(
        email=str(body.get("email", "")),
        phone=str(body.get("phone", "")),
        first_name=first,
        last_name=last,
    )
    record = client_for(connection).create_contact(contact, source_tag="AI_Chatbot")
    return JsonResponse({"status": "synced", "crm_id": record.id}, status=201)
