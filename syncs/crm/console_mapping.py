"""The field mapping editor: per CRM connection, list the rules, add, edit or delete one.

Changes need the "configure" role and go through ``syncs.crm.mapping.field_mapping_save``, which
checks every target against the CRM's own field catalogue; its refusal is shown on the form.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST, require_safe

from connectors import registry
from connectors.base import ConnectorError, CrmField
from connectors.models import Connection
from syncs.audit.log import staff_actor
from syncs.crm import clients as crm_module
from syncs.crm.forms import RuleForm
from syncs.crm.mapping import STANDARD_TARGETS, field_mapping_save, rules_for
from syncs.models import FieldMapping
from syncs.ui.pages import context
from tenants import scoping
from tenants.console import require_role
from tenants.models import Client


def _connection(request: HttpRequest, public_id: str, connection_id: int) -> Connection:
    client = scoping.client_for_user_or_404(request.user, public_id)
    return get_object_or_404(
        scoping.for_client(Connection, client).filter(kind="crm").select_related("client"),
        pk=connection_id,
    )


@login_required
@require_safe
def mapping_index(request: HttpRequest, public_id: str) -> HttpResponse:
    client = scoping.client_for_user_or_404(request.user, public_id)
    connections = scoping.for_client(Connection, client).filter(kind="crm").order_by("provider")
    customised = set(
        scoping.for_client(FieldMapping, client).values_list("connection_id", flat=True)
    )
    return render(
        request,
        "console/syncs/mappings.html",
        context(request, client, connections=connections, customised=customised),
    )


def _with_fields(
    rules: list[dict[str, Any]], catalogue: list[CrmField] | None
) -> list[tuple[int, dict[str, Any], CrmField | None, bool]]:
    """Each rule with the CRM field it targets (label and type shown beside the API name) and
    whether the CRM has it: a rule naming a field since deleted in the CRM stands out."""
    by_name = {f.name: f for f in catalogue or []}
    return [
        (i, rule, by_name.get(rule["target"]),
         catalogue is None or rule["target"] in by_name or rule["target"] in STANDARD_TARGETS)
        for i, rule in enumerate(rules)
    ]  # fmt: skip


def _catalogue(connection: Connection) -> tuple[list[CrmField] | None, str]:
    """The CRM's contact fields, read now (one vendor call: the editor is opened rarely and a
    field added in the CRM a minute ago must be there), or None and why it could not be read."""
    try:
        return crm_module.crm_client_for(connection).field_catalogue("contact"), ""
    except ConnectorError as exc:
        return None, f"Could not read the CRM's field list: {exc}"


def _render_editor(
    request: HttpRequest,
    client: Client,
    connection: Connection,
    form: RuleForm | None = None,
    editing: int | None = None,
    status: int = 200,
    catalogue: tuple[list[CrmField] | None, str] | None = None,
) -> HttpResponse:
    rules = rules_for(connection)
    saved = scoping.for_client(FieldMapping, client).filter(connection=connection).exists()
    fields, catalogue_error = catalogue or _catalogue(connection)
    if form is None:
        initial = RuleForm.initial_for(rules[editing]) if editing is not None else None
        form = RuleForm(initial=initial, catalogue=fields)
    return render(
        request,
        "console/syncs/mapping.html",
        context(
            request,
            client,
            connection=connection,
            rules=_with_fields(rules, fields),
            saved=saved,
            form=form,
            editing=editing,
            catalogue=fields,
            catalogue_error=catalogue_error,
            provider_name=registry.get_spec(connection.provider).display_name,
        ),
        status=status,
    )


@login_required
def mapping_edit(request: HttpRequest, public_id: str, connection_id: int) -> HttpResponse:
    """GET shows the rules (``?edit=N`` loads rule N into the form); POST adds or replaces."""
    connection = _connection(request, public_id, connection_id)
    client = connection.client
    editing = _index(request.POST.get("index") or request.GET.get("edit"), connection)
    if request.method != "POST":
        return _render_editor(request, client, connection, editing=editing)
    require_role(request.user, client.agency, "configure")
    catalogue = _catalogue(connection)
    form = RuleForm(request.POST, catalogue=catalogue[0])
    if not form.is_valid():
        return _render_editor(request, client, connection, form, editing, 400, catalogue)
    rules = rules_for(connection)
    if editing is None:
        rules.append(form.rule())
    else:
        rules[editing] = form.rule()
    error = _save(request, connection, rules, catalogue[0])
    if error:
        form.add_error(None, error)
        return _render_editor(request, client, connection, form, editing, 400, catalogue)
    messages.success(request, "Mapping saved.")
    return redirect("console:sync-mapping", client.public_id, connection.pk)


@login_required
@require_POST
def mapping_rule_delete(
    request: HttpRequest, public_id: str, connection_id: int, index: int
) -> HttpResponse:
    connection = _connection(request, public_id, connection_id)
    require_role(request.user, connection.client.agency, "configure")
    rules = rules_for(connection)
    if _index(str(index), connection) is None:
        messages.error(request, "No such rule.")
    else:
        del rules[index]
        error = _save(request, connection, rules)
        if error:
            messages.error(request, error)
        else:
            messages.success(request, "Rule deleted.")
    return redirect("console:sync-mapping", connection.client.public_id, connection.pk)


def _index(raw: str | None, connection: Connection) -> int | None:
    if raw is None or not str(raw).isdigit():
        return None
    index = int(raw)
    return index if index < len(rules_for(connection)) else None


def _save(
    request: HttpRequest,
    connection: Connection,
    rules: list[dict[str, Any]],
    catalogue: list[CrmField] | None = None,
) -> str:
    """Save through the validator; returns the error to show ('' when saved)."""
    try:
        field_mapping_save(
            connection=connection,
            rules=rules,
            actor=staff_actor(request.user),
            catalogue=catalogue,
        )
    except ValidationError as exc:
        return "; ".join(exc.messages)
    except ConnectorError as exc:
        return f"Could not read the CRM's field list, nothing was saved: {exc}"
    return ""
