"""A baseline view for benchmarks/lead_sync.py: the cheapest write Django can do.

Mounted only when ``BENCHMARK_VIEWS`` is on (never in production): it authenticates nothing and
inserts one row, so the intake API's throughput can be printed as a ratio against it.
"""

from __future__ import annotations

from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from agency.models import WorkerHeartbeat


@csrf_exempt
@require_POST
def insert_row(request: HttpRequest) -> JsonResponse:
    row = WorkerHeartbeat.objects.create(nonce="bench", hostname="bench")
    return JsonResponse({"id": row.pk}, status=201)
