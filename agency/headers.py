"""Security headers Django 5.2 does not set itself: a Content-Security-Policy.

The console, the connect pages and allauth's pages need no inline script or style and no other
host (allauth's scripts are static files; its TOTP QR code is a ``data:`` image), so the policy
allows only this origin. Django 6.0 adds ``SECURE_CSP``; this project is on 5.2 (Python 3.11).
Paths in ``CSP_EXEMPT_PATHS`` keep their own rules: the Django admin (superusers only) and the
Swagger UI, whose files come from this origin (drf-spectacular-sidecar) but whose page
``SpectacularSwaggerView`` renders with an inline bootstrap script.
"""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse

POLICY = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "object-src 'none'",
        "base-uri 'none'",
        "frame-ancestors 'none'",
    )
)


class ContentSecurityPolicyMiddleware:
    """Add ``Content-Security-Policy`` to every response that has none."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.exempt = tuple(settings.CSP_EXEMPT_PATHS)

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if "Content-Security-Policy" not in response and not request.path.startswith(self.exempt):
            response["Content-Security-Policy"] = POLICY
        return response
