"""A body over the upload limit gets 413 problem+json on every API route, before any view runs.

Django raises ``RequestDataTooBig`` only when something reads ``request.body`` of a request whose
Content-Length is over ``DATA_UPLOAD_MAX_MEMORY_SIZE``; its answer is the HTML 400 page, and a
route that never reads the body (a GET) accepted any size. Here the declared length is compared
once per API request, so the client learns the limit instead of a bare 400. The WSGI input stops
at Content-Length, so a body cannot be longer than it says.
"""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse

from common.problems import PROBLEM_CONTENT_TYPE, problem_body

API_PREFIX = "/api/"


def body_limit_middleware(
    get_response: Callable[[HttpRequest], HttpResponse],
) -> Callable[[HttpRequest], HttpResponse]:
    def middleware(request: HttpRequest) -> HttpResponse:
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        if limit is not None and request.path_info.startswith(API_PREFIX):
            try:
                length = int(request.META.get("CONTENT_LENGTH") or 0)
            except ValueError:
                length = 0  # Django reads an unparsable length as none, and so do we
            if length > limit:
                return too_large(request, limit)
        return get_response(request)

    return middleware


def too_large(request: HttpRequest, limit: int) -> JsonResponse:
    body = problem_body(
        "payload-too-large",
        f"The request body is {request.META.get('CONTENT_LENGTH')} bytes; the limit is "
        f"{limit} bytes.",
        instance=request.path,
        max_bytes=limit,
    )
    return JsonResponse(body, status=413, content_type=PROBLEM_CONTENT_TYPE)
