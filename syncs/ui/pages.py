"""The context every sync console page starts from, and its pagination."""

from __future__ import annotations

from typing import Any

from django.core.paginator import Page, Paginator
from django.db.models import QuerySet
from django.http import HttpRequest

from tenants import scoping
from tenants.models import Client

PAGE_SIZE = 25


def page_of(request: HttpRequest, queryset: QuerySet) -> Page:
    return Paginator(queryset, PAGE_SIZE).get_page(request.GET.get("page"))


def querystring_without_page(request: HttpRequest) -> str:
    params = request.GET.copy()
    params.pop("page", None)
    return params.urlencode()


def context(request: HttpRequest, client: Client, **extra: Any) -> dict[str, Any]:
    """What every sync page shows: the client, and what the member's role allows."""
    member = scoping.membership(request.user, client.agency)
    return {
        "client": client,
        "can_operate": bool(member and member.allows("operate")),
        "can_configure": bool(member and member.allows("configure")),
        "filters_qs": querystring_without_page(request),
        **extra,
    }
