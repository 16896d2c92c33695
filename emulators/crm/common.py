"""What every CRM emulator shares: who is calling, injected faults, counters, the record store.

A vendor module describes its own error bodies in a ``Style``; ``endpoint`` wraps each view so
authentication, fault injection and call counting happen the same way for all four.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass
from functools import wraps
from typing import Any

from django.db import connection, transaction
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt

from emulators import sql
from emulators.crm.models import EmuAccount, EmuRecord

WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
View = Callable[..., HttpResponse]


@dataclass(frozen=True)
class Style:
    """How one vendor says "who are you", "slow down" and "oops"."""

    vendor: str
    auth_scheme: str  # "Bearer" or "Zoho-oauthtoken"
    unauthorized: Callable[[], HttpResponse]
    rate_limited: Callable[[dict[str, Any]], HttpResponse]
    server_error: Callable[[], HttpResponse]
    # Called before and after every authenticated call (Salesforce's daily allowance).
    before: Callable[[EmuAccount], HttpResponse | None] | None = None
    after: Callable[[EmuAccount, HttpResponse], None] | None = None
    # Search and reads that use POST (HubSpot search) are not writes.
    read_posts: tuple[str, ...] = ()


def json_response(payload: Any, status: int = 200, **headers: str) -> HttpResponse:
    response = JsonResponse(payload, status=status, safe=False)
    for name, value in headers.items():
        response[name.replace("_", "-")] = value
    return response


def body_json(request: HttpRequest) -> Any:
    """The parsed JSON body, or None when it is missing or malformed."""
    try:
        return json.loads(request.body or b"null")
    except ValueError:
        return None


# The calling account's row, read once per emulated request and reused by the view (its
# catalogue, limits and config), instead of one SELECT per helper that asks.
_request_account: ContextVar[EmuAccount | None] = ContextVar("emu_request_account", default=None)


def account_row(vendor: str, account_id: str) -> EmuAccount:
    row = _request_account.get()
    if row is not None and (row.vendor, row.account_id) == (vendor, account_id):
        return row
    q = connection.ops.quote_name
    found = sql.fetchone(
        f"SELECT {sql.select_list(EmuAccount)} FROM {sql.table(EmuAccount)}"  # noqa: S608 -- names quoted from the model
        f" WHERE {q('vendor')} = %s AND {q('account_id')} = %s",
        [vendor, account_id],
    )
    if found is not None:
        return sql.load(EmuAccount, found)
    row, _ = EmuAccount.objects.get_or_create(vendor=vendor, account_id=account_id)
    return row


def _caller(vendor: str, token: str) -> tuple[str, EmuAccount | None] | None:
    """Whose valid access token this is (None: nobody's) and that account's row (None before
    its first call), in one statement: the OAuth emulator's token check joined to the row."""
    # Imported late so this module loads without the OAuth emulator.
    from emulators.auth import valid_access_token_params, valid_access_token_sql

    if not token:
        return None
    q = connection.ops.quote_name
    found = sql.fetchone(
        valid_access_token_sql(
            ", " + sql.select_list(EmuAccount, "a"),
            f" LEFT JOIN {sql.table(EmuAccount)} a ON a.{q('vendor')} = g.{q('provider')}"
            f" AND a.{q('account_id')} = g.{q('account_id')}",
        ),
        valid_access_token_params(vendor, token),
    )
    if found is None:
        return None
    account_id, row = found[0], found[1:]
    return account_id, sql.load(EmuAccount, row) if row[0] is not None else None


def _count_plain_call(style: Style, token: str, is_write: bool) -> EmuAccount | None:
    """The usual call in one statement: a valid token of an account that has a row and no
    fault queued gets its call counted and its row back. None sends the call the long way
    (``_admit``): no or a bad token, a first call, a queued fault, or a vendor that checks a
    limit before counting (Salesforce), so what a call is refused for stays as it was."""
    if not token or style.before is not None or style.after is not None:
        return None
    if not connection.features.can_return_columns_from_insert:  # UPDATE ... RETURNING alike
        return None
    from emulators.auth import valid_access_token_params, valid_access_token_sql

    q = connection.ops.quote_name
    found = sql.fetchone(
        f"UPDATE {sql.table(EmuAccount)} SET {q('api_calls')} = {q('api_calls')} + 1,"  # noqa: S608 -- names quoted from the model
        f" {q('write_calls')} = {q('write_calls')} + %s"
        f" WHERE {q('vendor')} = %s AND {q('faults')} = %s"
        f" AND {q('account_id')} = ({valid_access_token_sql()})"
        f" RETURNING {sql.select_list(EmuAccount)}",
        [
            int(is_write),
            style.vendor,
            sql.json_param([]),
            *valid_access_token_params(style.vendor, token),
        ],
    )
    return sql.load(EmuAccount, found) if found is not None else None


def _admit(
    style: Style, request: HttpRequest, token: str, is_write: bool
) -> EmuAccount | HttpResponse:
    """Authenticate, apply a queued fault or the vendor's limit, else count the call: the
    caller's row, or the response that refuses the call."""
    caller = _caller(style.vendor, token)
    if caller is None:
        return style.unauthorized()
    account_id, row = caller
    if row is None:
        row = account_row(style.vendor, account_id)
    fault = _take_fault(style.vendor, account_id, request.path) if row.faults else None
    if fault is not None and fault.get("kind") == "slow":
        time.sleep(float(fault.get("seconds", 1.0)))  # then answered as usual
    elif fault is not None:
        return _fault_response(style, fault)
    if style.before is not None and (refused := style.before(row)) is not None:
        return refused
    _count_call(row, is_write)
    return row


def _count_call(row: EmuAccount, is_write: bool) -> None:
    """One more call (and write) on the account's counters, atomically in the database."""
    q = connection.ops.quote_name
    sql.execute(
        f"UPDATE {sql.table(EmuAccount)} SET {q('api_calls')} = {q('api_calls')} + 1,"  # noqa: S608 -- names quoted from the model
        f" {q('write_calls')} = {q('write_calls')} + %s WHERE {q('id')} = %s",
        [int(is_write), row.pk],
    )


def _bearer(request: HttpRequest, scheme: str) -> str:
    header = request.headers.get("Authorization", "")
    prefix = scheme + " "
    return header[len(prefix) :].strip() if header.startswith(prefix) else ""


def _take_fault(vendor: str, account_id: str, path: str) -> dict[str, Any] | None:
    """Consume one injected fault matching this path, atomically across processes.

    Called only when the account's row showed faults: the lock is taken when there is
    something to consume, not on every call.
    """
    with transaction.atomic():
        row = (
            EmuAccount.objects.select_for_update()
            .filter(vendor=vendor, account_id=account_id)
            .first()
        )
        if row is None or not row.faults:
            return None
        for index, fault in enumerate(row.faults):
            if fault.get("path", "") in path:
                fault = dict(fault)
                remaining = int(fault.get("count", 1)) - 1
                if remaining > 0:
                    row.faults[index] = {**fault, "count": remaining}
                else:
                    row.faults.pop(index)
                row.save(update_fields=["faults"])
                return fault
    return None


def _fault_response(style: Style, fault: dict[str, Any]) -> HttpResponse:
    kind = fault.get("kind")
    if kind == "rate_limit":
        return style.rate_limited(fault)
    if kind == "unauthorized":
        return style.unauthorized()
    return style.server_error()


def endpoint(style: Style) -> Callable[[View], View]:
    """Authenticate the bearer token, apply faults and limits, count the call."""

    def decorate(view: View) -> View:
        @csrf_exempt
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            token = _bearer(request, style.auth_scheme)
            is_write = request.method in WRITE_METHODS and not any(
                request.path.endswith(suffix) for suffix in style.read_posts
            )
            row = _count_plain_call(style, token, is_write)
            if row is None:
                admitted = _admit(style, request, token, is_write)
                if isinstance(admitted, HttpResponse):
                    return admitted
                row = admitted
            account_id = row.account_id
            current = _request_account.set(row)
            try:
                response = view(request, account_id, *args, **kwargs)
            finally:
                _request_account.reset(current)
            if style.after is not None:
                row.refresh_from_db(fields=["api_calls", "config"])
                style.after(row, response)
            return response

        return wrapped

    return decorate


# --- the record store --------------------------------------------------------------------


def create_record(
    vendor: str,
    account_id: str,
    object_type: str,
    data: dict[str, Any],
    make_id: Callable[[int], str],
    *,
    email: str = "",
    phone: str = "",
    links: dict[str, Any] | None = None,
) -> EmuRecord:
    """Insert a record and give it the vendor-style id derived from its row number.

    Two plain statements (insert, then set the id the row number gives), the ORM's own pair.
    """
    now = timezone.now()
    record = EmuRecord(
        vendor=vendor,
        account_id=account_id,
        object_type=object_type,
        ext_id=uuid.uuid4().hex,
        data=data,
        links=links or {},
        email_key=email.strip().lower(),
        phone_key=phone.strip(),
        created_at=now,
        updated_at=now,
    )
    record.pk = sql.insert(
        EmuRecord,
        {
            "vendor": vendor,
            "account_id": account_id,
            "object_type": object_type,
            "ext_id": record.ext_id,
            "data": sql.json_param(record.data),
            "links": sql.json_param(record.links),
            "email_key": record.email_key,
            "phone_key": record.phone_key,
            "created_at": sql.datetime_param(now),
            "updated_at": sql.datetime_param(now),
        },
    )
    record.ext_id = make_id(record.pk)
    q = connection.ops.quote_name
    sql.execute(
        f"UPDATE {sql.table(EmuRecord)} SET {q('ext_id')} = %s WHERE {q('id')} = %s",  # noqa: S608 -- names quoted from the model
        [record.ext_id, record.pk],
    )
    record._state.adding = False
    record._state.db = connection.alias
    return record


def get_record(vendor: str, account_id: str, object_type: str, ext_id: str) -> EmuRecord | None:
    return EmuRecord.objects.filter(
        vendor=vendor, account_id=account_id, object_type=object_type, ext_id=ext_id
    ).first()


def records_of(vendor: str, account_id: str, object_type: str):  # -> QuerySet[EmuRecord]
    return EmuRecord.objects.filter(vendor=vendor, account_id=account_id, object_type=object_type)


def save_record(record: EmuRecord, *, email: str | None = None, phone: str | None = None) -> None:
    if email is not None:
        record.email_key = email.strip().lower()
    if phone is not None:
        record.phone_key = phone.strip()
    record.save()


def iso(dt: Any) -> str:
    """Vendor-style UTC timestamp with milliseconds."""
    return dt.strftime("%Y-%m-%dT%H:%M:%S.") + f"{dt.microsecond // 1000:03d}Z"
