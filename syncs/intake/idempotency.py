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
from typing import Any, cast

from django.db import connections, transaction
from django.utils import timezone

from agency.problems import ProblemError
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


def _lookup(client: Client, route: str, key: str) -> IdempotencyRecord | None:
    return IdempotencyRecord.objects.filter(client=client, route=route, key=key).first()


def run_once(
    *,
    client: Client,
    route: str,
    key: str | None,
    data: object,
    action: Callable[[], tuple[int, dict[str, Any]]],
) -> Outcome:
    """Run ``action`` (which writes and returns status + body) at most once per key.

    Raises ProblemError 422 (key reused with another body) or 409 (still in flight).
    """
    if key is None:
        # ``action`` is atomic on its own (one statement, or its own transaction): wrapping it
        # would add a BEGIN and a COMMIT round trip to every request sent without a key.
        return Outcome(*action())
    digest = fingerprint(data)
    with transaction.atomic():
        record_id = _insert_in_flight(client, route, key, digest)
        if record_id is None:
            # The key exists: committed earlier, or by a concurrent request that PostgreSQL
            # made our INSERT wait for. Either way it is visible now; answer from it.
            existing = _lookup(client, route, key)
            if existing is None:
                raise ProblemError("idempotency-key-in-flight")
            return _answer(existing, digest)
        status, body = action()
        IdempotencyRecord.objects.filter(pk=record_id).update(
            state=IdempotencyState.COMPLETED, response_status=status, response_body=body
        )
    return Outcome(status, body)


def _insert_in_flight(client: Client, route: str, key: str, digest: str) -> int | None:
    """Insert the in-flight record, or nothing when (client, route, key) exists: its id or None.

    One statement (``INSERT … ON CONFLICT DO NOTHING RETURNING``, PostgreSQL and SQLite >= 3.35)
    instead of SELECT + SAVEPOINT + INSERT + RELEASE; the unique constraint still decides.
    """
    meta = IdempotencyRecord._meta
    conn = connections[IdempotencyRecord.objects.db]
    columns = ("client_id", "route", "key", "fingerprint", "state", "created_at")
    values = (
        client.pk,
        route,
        key,
        digest,
        IdempotencyState.IN_FLIGHT,
        conn.ops.adapt_datetimefield_value(timezone.now()),
    )
    quote = conn.ops.quote_name
    # Only the model's own identifiers are formatted in; every value is a bound parameter.
    sql = (
        f"INSERT INTO {quote(meta.db_table)} ({', '.join(quote(c) for c in columns)}) "  # noqa: S608
        f"VALUES ({', '.join(['%s'] * len(columns))}) "
        f"ON CONFLICT ({', '.join(quote(c) for c in columns[:3])}) DO NOTHING "
        f"RETURNING {quote(cast(str, meta.pk.column))}"  # Optional only on unattached fields
    )
    with conn.cursor() as cursor:
        cursor.execute(sql, values)
        row = cursor.fetchone()
    return row[0] if row else None
