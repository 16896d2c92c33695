"""A short-lived cache of API-key lookups, read in authentication's one cache round trip.

Every API request used to SELECT its key with the client and agency joined; the row changes
rarely, so it is kept in the shared cache (Redis in production) under the key's hash for
``TTL_SECONDS``. Correctness rests on invalidation, not on the TTL:

- Any save or delete of an ``ApiKey``, ``Client`` or ``Agency`` (revoke, edit, cascade delete)
  replaces the affected keys' entries with a *tombstone*, at once and again after commit.
- A tombstone means "read the database and do not fill the cache"; an entry is only ever
  written with ``cache.add``, which never overwrites a tombstone. So a request that read the
  key before a revoke committed cannot put the old row back: either its ``add`` comes first
  and the tombstone overwrites it, or the tombstone is there and the ``add`` is refused.
- Only active keys are cached; unknown keys never are (guesses must not fill the cache).

``QuerySet.update()`` on these models sends no signal, so code must not revoke or re-parent
keys that way (none does; ``ApiKey.revoke`` saves).
"""

from __future__ import annotations

from collections.abc import Iterable

from django.core.cache import cache
from django.db import transaction
from django.db.models.signals import post_delete, post_save

from tenants.models import Agency, ApiKey, Client

TTL_SECONDS = 60
# Outlives any request that read the database before the change and fills the cache after it.
TOMBSTONE_SECONDS = 5 * TTL_SECONDS
TOMBSTONE = "invalidated"


def cache_name(key_hash: str) -> str:
    """The cache key of an API key's cached row (by its hash, known before any lookup)."""
    return f"apikey:row:{key_hash}"


def cached_key(entry: object) -> ApiKey | None:
    """The cached row from a ``get_many`` answer, or None (absent, or a tombstone)."""
    return entry if isinstance(entry, ApiKey) else None


def remember(key: ApiKey) -> None:
    """Cache an active key (with its client and agency loaded) unless a tombstone is there."""
    if key.is_active:
        cache.add(cache_name(key.key_hash), key, timeout=TTL_SECONDS)


def invalidate(key_hashes: Iterable[str]) -> None:
    """Tombstone these keys now and again after the current transaction commits."""
    names = [cache_name(h) for h in key_hashes]
    if not names:
        return

    def write() -> None:
        cache.set_many(dict.fromkeys(names, TOMBSTONE), timeout=TOMBSTONE_SECONDS)

    write()
    transaction.on_commit(write)


def _on_api_key_change(sender: type, instance: ApiKey, **kwargs: object) -> None:
    if not kwargs.get("created"):
        invalidate([instance.key_hash])


def _on_client_change(sender: type, instance: Client, **kwargs: object) -> None:
    if not kwargs.get("created"):
        invalidate(ApiKey.objects.filter(client_id=instance.pk).values_list("key_hash", flat=True))


def _on_agency_change(sender: type, instance: Agency, **kwargs: object) -> None:
    if not kwargs.get("created"):
        invalidate(
            ApiKey.objects.filter(client__agency_id=instance.pk).values_list("key_hash", flat=True)
        )


def connect_receivers() -> None:
    """Called from ``TenantsConfig.ready``. A cascade delete of a client or agency sends
    ``post_delete`` for each of its keys too, so they are tombstoned by their own receiver."""
    for model, receiver in (
        (ApiKey, _on_api_key_change),
        (Client, _on_client_change),
        (Agency, _on_agency_change),
    ):
        uid = f"tenants.api_key_cache.{model.__name__}"
        post_save.connect(receiver, sender=model, dispatch_uid=f"{uid}.save")
        post_delete.connect(receiver, sender=model, dispatch_uid=f"{uid}.delete")
