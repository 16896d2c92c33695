"""OAuth emulator routes: each vendor's own paths under ``<slug>/``."""

from __future__ import annotations

from django.urls import path

from connectors.emulators import oauth_views as views
from connectors.emulators import side_views
from connectors.emulators.vendors import PROFILES

urlpatterns = [
    path("hubspot/oauth/v1/refresh-tokens/<str:token>", side_views.hubspot_refresh_token),
    path("hubspot/oauth/v1/access-tokens/<str:token>", side_views.hubspot_access_token_info),
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
