"""The test-facing side of the CRM emulators: read records, count effects, inject faults.

Python helpers for tests in the same process, and the same as a small HTTP API under
``/emulators/<vendor>/_emulator/accounts/<account>/`` for tests and benchmarks in other
processes. Neither is a vendor API: connectors never call them.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.urls import path
from django.views.decorators.csrf import csrf_exempt

from emulators.crm import common
from emulators.crm.models import EmuAccount, EmuRecord

VENDORS = ("hubspot", "salesforce", "zoho", "pipedrive")
# "slow": the call waits ``seconds`` and is then answered as usual (a worker killed meanwhile).
FAULT_KINDS = ("rate_limit", "server_error", "unauthorized", "slow")


def records(vendor: str, account_id: str, object_type: str | None = None) -> list[dict[str, Any]]:
    """Every record of the account (optionally of one object type): id, type, data, links."""
    rows = EmuRecord.objects.filter(vendor=vendor, account_id=account_id)
    if object_type:
        rows = rows.filter(object_type=object_type)
    return [
        {"id": r.ext_id, "object_type": r.object_type, "data": r.data, "links": r.links}
        for r in rows
    ]


def record(vendor: str, account_id: str, ext_id: str) -> dict[str, Any] | None:
    row = EmuRecord.objects.filter(vendor=vendor, account_id=account_id, ext_id=ext_id).first()
    if row is None:
        return None
    return {"id": row.ext_id, "object_type": row.object_type, "data": row.data, "links": row.links}


def counts(vendor: str, account_id: str) -> dict[str, Any]:
    """Records per object type plus the call counters (the tests' oracle)."""
    by_type: dict[str, int] = {}
    for object_type in EmuRecord.objects.filter(vendor=vendor, account_id=account_id).values_list(
        "object_type", flat=True
    ):
        by_type[object_type] = by_type.get(object_type, 0) + 1
    row = EmuAccount.objects.filter(vendor=vendor, account_id=account_id).first()
    return {
        "objects": by_type,
        "api_calls": row.api_calls if row else 0,
        "write_calls": row.write_calls if row else 0,
    }


def write_calls(vendor: str, account_id: str) -> int:
    return int(counts(vendor, account_id)["write_calls"])


def inject_fault(
    vendor: str,
    account_id: str,
    kind: str,
    *,
    count: int = 1,
    retry_after: float | None = None,
    path: str = "",
    seconds: float | None = None,
) -> None:
    """Make the next ``count`` calls (whose path contains ``path``) fail as ``kind``."""
    if kind not in FAULT_KINDS:
        raise ValueError(f"unknown fault kind {kind!r}")
    row = common.account_row(vendor, account_id)
    fault: dict[str, Any] = {"kind": kind, "count": count, "path": path}
    if retry_after is not None:
        fault["retry_after"] = retry_after
    if seconds is not None:
        fault["seconds"] = seconds
    row.faults = [*row.faults, fault]
    row.save(update_fields=["faults"])


def configure(vendor: str, account_id: str, **values: Any) -> None:
    """Set knobs: ``daily_limit`` (Salesforce), ``search_cap`` (HubSpot), ``content_notes``."""
    row = common.account_row(vendor, account_id)
    row.config = {**row.config, **values}
    row.save(update_fields=["config"])


def add_custom_field(
    vendor: str, account_id: str, object_type: str, name: str, label: str, type_: str = "string"
) -> None:
    """A custom field an admin created in the CRM (it then shows in the field catalogue)."""
    row = common.account_row(vendor, account_id)
    fields = row.config.setdefault("custom_fields", {}).setdefault(object_type, [])
    fields.append({"name": name, "label": label, "type": type_})
    row.save(update_fields=["config"])


# The object type each vendor's contact fields live on in the emulator's catalogue.
CONTACT_OBJECT = {"hubspot": "contacts", "salesforce": "Contact", "zoho": "Contacts",
                  "pipedrive": "person"}  # fmt: skip


def add_default_mapping_fields(vendor: str, account_id: str) -> None:
    """The custom fields our default field map writes (the vendor package's ``mapping``,
    through the registry), as an admin creates them when connecting a real account."""
    from connectors import registry

    mapping = registry.mapping_for(vendor)
    if mapping is None:
        raise LookupError(f"{vendor} has no default field map")
    for target in mapping.DEFAULT_FIELD_MAP.values():
        add_custom_field(vendor, account_id, CONTACT_OBJECT[vendor], target, target)


def connect_client(client: Any, vendor: str, account_id: str, hours: int = 24) -> Any:
    """Connect ``client`` to an emulated CRM account as the OAuth flow would, with a token
    good for ``hours`` and the custom fields its default field map writes: the set-up of the
    load tests and benchmarks, which need many connected clients quickly."""
    from datetime import timedelta

    from django.utils import timezone

    from connectors.models import Connection
    from emulators.auth import issue_token_for_tests

    connection = Connection.objects.create(
        client=client,
        provider=vendor,
        kind="crm",
        external_account_id=account_id,
        access_token=issue_token_for_tests(vendor, account_id, hours * 3600),
        token_expires_at=timezone.now() + timedelta(hours=hours),
    )
    add_default_mapping_fields(vendor, account_id)
    return connection


def seed(vendor: str, account_id: str, object_type: str, rows: list[dict[str, Any]]) -> list[str]:
    """Insert records as if an admin had imported them (no API call is counted)."""
    from emulators.crm import pipedrive, salesforce

    make_id = {
        "hubspot": lambda pk: str(100_000 + pk),
        "salesforce": lambda pk: salesforce.sf_id(salesforce.ID_PREFIX[object_type], pk),
        "zoho": lambda pk: str(4_150_868_000_000_000_000 + pk),
        "pipedrive": str,
    }[vendor]
    emails = {"hubspot": "email", "salesforce": "Email", "zoho": "Email"}
    phones = {"hubspot": "phone", "salesforce": "Phone", "zoho": "Phone"}
    ids = []
    for data in rows:
        if vendor == "pipedrive":
            email = pipedrive.primary(data.get("emails"))
            phone = pipedrive.primary(data.get("phones"))
        else:
            email, phone = str(data.get(emails[vendor], "")), str(data.get(phones[vendor], ""))
        record = common.create_record(
            vendor, account_id, object_type, data, make_id, email=email, phone=phone
        )
        ids.append(record.ext_id)
    return ids


def reset(vendor: str, account_id: str) -> None:
    EmuRecord.objects.filter(vendor=vendor, account_id=account_id).delete()
    EmuAccount.objects.filter(vendor=vendor, account_id=account_id).delete()


# --- HTTP control API --------------------------------------------------------------------


@csrf_exempt
def account_view(request: HttpRequest, vendor: str, account_id: str) -> HttpResponse:
    if vendor not in VENDORS:
        return common.json_response({"error": "unknown vendor"}, 404)
    if request.method == "DELETE":
        reset(vendor, account_id)
        return HttpResponse(status=204)
    return common.json_response(counts(vendor, account_id))


@csrf_exempt
def faults_view(request: HttpRequest, vendor: str, account_id: str) -> HttpResponse:
    body = common.body_json(request)
    if vendor not in VENDORS or request.method != "POST" or not isinstance(body, dict):
        return common.json_response({"error": "POST a JSON object"}, 400)
    try:
        inject_fault(
            vendor,
            account_id,
            str(body.get("kind", "")),
            count=int(body.get("count", 1)),
            retry_after=body.get("retry_after"),
            path=str(body.get("path", "")),
        )
    except (TypeError, ValueError) as exc:
        return common.json_response({"error": str(exc)}, 400)
    return common.json_response(counts(vendor, account_id), 201)


@csrf_exempt
def config_view(request: HttpRequest, vendor: str, account_id: str) -> HttpResponse:
    body = common.body_json(request)
    if vendor not in VENDORS or request.method != "POST" or not isinstance(body, dict):
        return common.json_response({"error": "POST a JSON object"}, 400)
    allowed = {k: v for k, v in body.items() if k in ("daily_limit", "search_cap", "content_notes")}
    configure(vendor, account_id, **allowed)
    return common.json_response(common.account_row(vendor, account_id).config)


@csrf_exempt
def records_view(request: HttpRequest, vendor: str, account_id: str) -> HttpResponse:
    if vendor not in VENDORS:
        return common.json_response({"error": "unknown vendor"}, 404)
    return common.json_response(records(vendor, account_id, request.GET.get("object_type")))


PREFIX = "<str:vendor>/_emulator/accounts/<str:account_id>"
urlpatterns = [
    path(PREFIX, account_view),
    path(f"{PREFIX}/faults", faults_view),
    path(f"{PREFIX}/config", config_view),
    path(f"{PREFIX}/records", records_view),
]
