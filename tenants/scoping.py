"""The one place tenant-owned queries are scoped.

Every tenant-owned model has a ``client`` foreign key. API code scopes by the client its key
belongs to; console code scopes by the agencies the signed-in staff member belongs to. Going
through these helpers (and never ``Model.objects`` directly in a view) is what keeps client A's
data out of client B's responses; the isolation tests walk every route to prove it.
"""

from __future__ import annotations

from typing import TypeVar
from uuid import UUID

from django.contrib.auth.models import AnonymousUser, User
from django.db.models import Model, QuerySet
from django.http import Http404

from tenants.models import Agency, Client, Membership

M = TypeVar("M", bound=Model)


def _queryset(source: type[M] | QuerySet[M]) -> QuerySet[M]:
    return source if isinstance(source, QuerySet) else source._default_manager.all()


def for_client(source: type[M] | QuerySet[M], client: Client) -> QuerySet[M]:
    """Rows of a tenant-owned model that belong to ``client``."""
    return _queryset(source).filter(client=client)


def agencies_for(user: User | AnonymousUser) -> QuerySet[Agency]:
    """Agencies the user is a member of; superusers see all."""
    if not user.is_authenticated:
        return Agency.objects.none()
    if user.is_superuser:
        return Agency.objects.all()
    return Agency.objects.filter(memberships__user=user)


def clients_for(user: User | AnonymousUser) -> QuerySet[Client]:
    """Clients of every agency the user belongs to."""
    return Client.objects.filter(agency__in=agencies_for(user)).select_related("agency")


def for_user(source: type[M] | QuerySet[M], user: User | AnonymousUser) -> QuerySet[M]:
    """Rows of a tenant-owned model whose client the user may see."""
    return _queryset(source).filter(client__in=clients_for(user))


def membership(user: User | AnonymousUser, agency: Agency) -> Membership | None:
    """The user's membership in ``agency`` (superusers act as owners), or None."""
    if not user.is_authenticated:
        return None
    if user.is_superuser:
        return Membership(user=user, agency=agency, role="owner")
    return Membership.objects.filter(user=user, agency=agency).first()


def client_for_user_or_404(user: User | AnonymousUser, public_id: UUID | str) -> Client:
    """A client the user may see, by public id; 404 (not 403) so ids of others leak nothing."""
    try:
        return clients_for(user).get(public_id=public_id)
    except (Client.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404("No such client.") from exc
