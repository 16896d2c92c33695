"""OAuth emulator routes: each vendor's own paths under ``<slug>/``."""

from __future__ import annotations

from django.urls import path

from emulators import hubspot_oauth, side_views
from emulators import oauth_views as views
from emulators.vendors import PROFILES

urlpatterns = [
    # HubSpot: v1 until its sunset (hubspot_oauth.V1_SUNSET), the dated 2026-03 API beside it.
    path("hubspot/oauth/v1/refresh-tokens/<str:token>", hubspot_oauth.refresh_token_v1),
    path("hubspot/oauth/v1/access-tokens/<str:token>", hubspot_oauth.access_token_info_v1),
    path(
        "hubspot/oauth/v1/token",
        hubspot_oauth.until(hubspot_oauth.V1_SUNSET)(views.token),
        {"slug": "hubspot"},
    ),
    path("hubspot/oauth/2026-03/token/introspect", hubspot_oauth.introspect),
    path("hubspot/oauth/2026-03/token/revoke", hubspot_oauth.revoke),
    path("toast/authentication/v1/authentication/login", side_views.toast_login),
    path("toast/_control", side_views.control_view, {"slug": "toast"}),
    path("outlook/v1.0/me", side_views.graph_me),  # identity call of the User.Read scope
]
for _slug, _p in PROFILES.items():
    urlpatterns += [
        path(f"{_slug}/{_p.authorize_path}", views.consent, {"slug": _slug}),
        path(f"{_slug}/{_p.token_path}", views.token, {"slug": _slug}),
        path(f"{_slug}/_control", side_views.control_view, {"slug": _slug}),
    ]
    if _p.refresh_path:
        urlpatterns.append(
            path(
                f"{_slug}/{_p.refresh_path}", views.token, {"slug": _slug, "refresh_endpoint": True}
            )
        )
    if _p.revoke_path:
        urlpatterns.append(path(f"{_slug}/{_p.revoke_path}", views.revoke, {"slug": _slug}))
