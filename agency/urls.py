"""Root URLs: console, API, connect pages, health and the problem-type documentation."""

from __future__ import annotations

from django.conf import settings
from django.contrib import admin
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from agency import health
from agency.admin_site import restrict_admin_to_superusers
from common.problems import PROBLEM_TYPES, problem_response

restrict_admin_to_superusers(admin.site)


def problem_doc(request: HttpRequest, slug: str) -> HttpResponse:
    if slug not in PROBLEM_TYPES:
        raise Http404
    title, status = PROBLEM_TYPES[slug]
    return render(request, "problem.html", {"slug": slug, "title": title, "status": status})


# The intake API first: URLs are tried in order, and it is the hot path.
urlpatterns = [
    path("api/v1/", include("syncs.intake.urls")),
    path("api/v1/", include("tenants.api_urls")),
    path("api/v1/", include("syncs.webhooks.urls")),
    path("hooks/calendar/", include("syncs.calendar.push_urls")),
    path("api/v1/", include("syncs.calendar.bookings.urls")),
    path("api/v1/", include("syncs.appointments.urls")),
    path("", lambda request: redirect("console:home")),
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path("admin/", admin.site.urls),
    path("accounts/", include("allauth.urls")),
    path("console/", include("tenants.console_urls")),
    path("console/", include("syncs.webhooks.console_urls")),
    path("console/", include("connectors.console_urls")),
    path("console/", include("syncs.calendar.console.urls")),
    path("connect/", include("connectors.urls")),
    path("booking/", include("syncs.calendar.customer_urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    path("problems/<slug:slug>", problem_doc, name="problem-doc"),
]
if settings.EMULATORS_ENABLED:
    urlpatterns.append(path("emulators/", include("emulators.urls")))
if settings.BENCHMARK_VIEWS:
    from agency.bench import direct_lead, insert_row

    # First too, so the baseline pays no more URL resolving than the intake does.
    urlpatterns.insert(0, path("bench/insert-row", insert_row))
    urlpatterns.insert(1, path("bench/direct-lead/<int:connection_id>", direct_lead))


def handler404(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if request.path.startswith("/api/"):
        return problem_response(request, "not-found", detail="No such resource.")
    return render(request, "404.html", status=404)


def handler500(request: HttpRequest) -> HttpResponse:
    if request.path.startswith("/api/"):
        return problem_response(request, "server-error", detail="An unexpected error occurred.")
    return render(request, "500.html", status=500)
