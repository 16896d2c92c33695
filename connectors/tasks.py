"""Beat tasks keeping tokens alive. Thin: they select ids and call ``connectors.tokens``."""

from __future__ import annotations

from datetime import timedelta

from celery import shared_task

from connectors import tokens


@shared_task
def refresh_connection(pk: int) -> None:
    tokens.refresh_by_id(pk)


@shared_task
def refresh_expiring_tokens() -> int:
    """Every 5 minutes: refresh every token that expires within 15 minutes."""
    ids = tokens.due_for_refresh(within=timedelta(minutes=15))
    for pk in ids:
        refresh_connection.delay(pk)
    return len(ids)


@shared_task
def refresh_stale_tokens() -> int:
    """Hourly: refresh every grant not refreshed for 24 h, so idle grants are not revoked."""
    ids = tokens.stale(older_than=timedelta(hours=24))
    for pk in ids:
        refresh_connection.delay(pk)
    return len(ids)
