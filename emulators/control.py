"""Fault switches and counters of the emulators, from tests (Python) or over HTTP (_control).

Switches live in the database so every process (web server, workers, test) sees the same ones.
"""

from __future__ import annotations

import time

from django.db import transaction
from django.db.models import Sum

from emulators.models import EmulatorGrant, EmulatorSwitch

KNOWN_KEYS = {
    "latency_s",
    "fail_429",
    "retry_after",
    "fail_500",
    "access_lifetime_s",
    "revoke_grants",
    "deny",
    "clock",  # HubSpot: the emulator's date, ISO (which API versions it still serves)
    "app_scopes",  # Pipedrive: the scopes set in the app's Marketplace settings (a list)
}


def configure(provider: str, **config: object) -> dict:
    """Merge ``config`` into the provider's switches; ``None`` removes a key. Returns them."""
    unknown = set(config) - KNOWN_KEYS
    if unknown:
        raise ValueError(f"unknown emulator switches: {sorted(unknown)}")
    with transaction.atomic():
        switch, _ = EmulatorSwitch.objects.select_for_update().get_or_create(provider=provider)
        merged = {**switch.config, **config}
        switch.config = {k: v for k, v in merged.items() if v is not None}
        switch.save(update_fields=["config"])
    return switch.config


def reset(provider: str) -> None:
    EmulatorSwitch.objects.filter(provider=provider).delete()


def switches(provider: str) -> dict:
    row = EmulatorSwitch.objects.filter(provider=provider).first()
    return dict(row.config) if row else {}


def token_calls(provider: str, account_id: str | None = None) -> int:
    """Token-endpoint calls received, over all grants of a provider (or one account)."""
    grants = EmulatorGrant.objects.filter(provider=provider)
    if account_id is not None:
        grants = grants.filter(account_id=account_id)
    return grants.aggregate(n=Sum("token_calls"))["n"] or 0


def take_fault(provider: str) -> tuple[int, float] | None:
    """Apply latency, then consume one queued 429 or 500 if any: (status, retry_after)."""
    config = switches(provider)
    if config.get("latency_s"):
        time.sleep(float(config["latency_s"]))
    for key, status in (("fail_429", 429), ("fail_500", 500)):
        if int(config.get(key) or 0) > 0:
            with transaction.atomic():
                switch = EmulatorSwitch.objects.select_for_update().get(provider=provider)
                left = int(switch.config.get(key) or 0)
                if left <= 0:
                    continue
                switch.config[key] = left - 1
                switch.save(update_fields=["config"])
            return status, float(config.get("retry_after") or 1)
    return None
