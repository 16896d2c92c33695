"""The Django admin is for platform superusers only.

Agency staff work in the console, whose every query is scoped to their agency; the admin is not,
so it must not be reachable by them even if someone ticks ``is_staff``.
"""

from __future__ import annotations

from django.contrib.admin import AdminSite
from django.http import HttpRequest


def restrict_admin_to_superusers(site: AdminSite) -> None:
    def has_permission(request: HttpRequest) -> bool:
        return bool(request.user.is_active and request.user.is_superuser)

    site.has_permission = has_permission  # type: ignore[method-assign]
    site.site_header = "Switchboard platform admin"
