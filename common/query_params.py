"""Unknown query parameters are refused on every API route, as unknown body fields are.

A misspelt parameter (``?wiat=10``, ``?pagesize=5``) used to be ignored, so the client got an
answer to a question it did not ask. Each API view names the parameters it reads in
``query_params`` (paginated views also take their paginator's); anything else is a 400
``validation-error`` naming it, before authentication, so it costs no database work.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from rest_framework.settings import api_settings

from common.problems import PROBLEM_CONTENT_TYPE, problem_body

API_PREFIX = "/api/v1/"
# Parameters that would carry an API key in the URL: let through here so that authentication
# (``tenants.api_auth``) refuses them with their own problem, saying where a key belongs.
QUERY_KEY_NAMES = ("api_key", "apikey", "key", "access_token", "token")


def allowed_query_params(view_class: type) -> set[str]:
    allowed = set(getattr(view_class, "query_params", ()))
    paginator = getattr(view_class, "pagination_class", None)
    if paginator is not None:
        allowed |= {paginator.page_query_param, paginator.page_size_query_param} - {None}
    # ?format= is DRF's renderer override; an API key in the URL gets its own problem.
    return allowed | {api_settings.URL_FORMAT_OVERRIDE, *QUERY_KEY_NAMES}


class UnknownQueryParamsMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(
        self, request: HttpRequest, view: Callable, args: Any, kwargs: Any
    ) -> HttpResponse | None:
        view_class = getattr(view, "cls", None)  # set by APIView.as_view()
        if view_class is None or not request.GET or not request.path_info.startswith(API_PREFIX):
            return None
        unknown = sorted(set(request.GET) - allowed_query_params(view_class))
        if not unknown:
            return None
        body = problem_body(
            "validation-error",
            "Unknown query parameters: " + ", ".join(repr(name) for name in unknown) + ".",
            instance=request.path,
            errors={name: ["Unknown query parameter."] for name in unknown},
        )
        return JsonResponse(body, status=400, content_type=PROBLEM_CONTENT_TYPE)
