"""``Idempotency-Key`` for POST operations (Stripe's semantics; IETF httpapi draft).

- The key is scoped by (client, route, key): two clients' keys never meet.
- The first request's response is stored in the same transaction as what it created, so a
  record exists exactly when the effect does; retries with the same body get that response
  again, marked ``Idempotent-Replayed: true``.
- The same key with a different body is refused (422) and writes nothing.
- Concurrent requests with one key: the unique constraint decides. On PostgreSQL the losers'
  INSERT waits for the winner's transaction and then fails; they read the winner's committed
  record and replay it. On SQLite writers are serialised (``BEGIN IMMEDIATE``), so a later
  request finds the record before inserting. A record seen but not completed answers 409.
- Requests that fail validation store nothing: they changed nothing, and the fixed request may
  reuse the key.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, transaction

from common.problems import ProblemError
from syncs.models import IdempotencyRecord, IdempotencyState
from tenants.models import Client

MAX_KEY_LENGTH = 255
REPLAY_HEADER = "Idempotent-Replayed"


@dataclass(frozen=True)
class Outcome:
    status: int
    body: dict[str, Any]
    replayed: bool = False


def fingerprint(data: object) -> str:
    """sha256 of the canonical JSON of the parsed body: key order and spacing do not matter."""
    canonical = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


def check_key(key: str | None) -> str | None:
    """The header's value, or None when absent; raises 400 for an unusable key."""
    if key is None:
        return None
    if not key or len(key) > MAX_KEY_LENGTH:
        raise ProblemError(
            "idempotency-key-invalid",
            f"Idempotency-Key must be 1 to {MAX_KEY_LENGTH} characters long.",
        )
    if not key.isprintable() or not key.isascii():
        raise ProblemError(
            "idempotency-key-invalid", "Idempotency-Key must be printable ASCII characters."
        )
    return key


def _answer(record: IdempotencyRecord, digest: str) -> Outcome:
    if record.fingerprint != digest:
        raise ProblemError(
            "idempotency-key-reused",
            "This Idempotency-Key was used with a different request body; use a new key.",
        )
    if record.state != IdempotencyState.COMPLETED:
        raise ProblemError(
            "idempotency-key-in-flight",
            "A request with this Idempotency-Key is still being processed; retry shortly.",
        )
    return Outcome(record.response_status or 200, record.response_body or {}, replayed=True)


def run_once(
    *,
    client: Client,
    route: str,
    key: str | None,
    data: object,
    action: Callable[[], tuple[int, dict[str, Any]]],
) -> Outcome:
    """Run ``action`` (which writes and returns status + body) at most once per key.

    The record is written in the same transaction as what ``action`` writes, so it exists
    exactly when the effect does. Raises ProblemError 422 (key reused with another body) or
    409 (still in flight).
    """
    if key is None:
        return Outcome(*action())
    digest = fingerprint(data)
    with transaction.atomic():
        # On a concurrent first request PostgreSQL makes this INSERT wait for the winner's
        # transaction; it then fails, and get_or_create reads the winner's committed record.
        try:
            record, created = IdempotencyRecord.objects.get_or_create(
                client=client,
                route=route,
                key=key,
                defaults={"fingerprint": digest, "state": IdempotencyState.IN_FLIGHT},
            )
        except IntegrityError:  # the winner's record is not visible yet
            raise ProblemError("idempotency-key-in-flight") from None
        if not created:
            return _answer(record, digest)
        status, body = action()
        record.state = IdempotencyState.COMPLETED
        record.response_status, record.response_body = status, body
        record.save(update_fields=["state", "response_status", "response_body"])
    return Outcome(status, body)
