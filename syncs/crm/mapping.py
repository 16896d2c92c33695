"""Field mapping: rules from lead fields to CRM fields, with transformations.

A rule is ``{"source": "<lead field>", "target": "<crm field>", "transform": "<name>",
"args": {...}}``. Sources are the normalised lead fields (``SOURCE_FIELDS``) or
``extra.<key>`` for anything the chatbot sent under ``extra``. Targets are either one of the
standard contact fields every CRM client understands (``STANDARD_TARGETS``) or a field of the
CRM's own catalogue (custom fields included), checked when the mapping is saved, so a typo is
refused then and not discovered while syncing.

Targets other than the standard ones are the vendor's own field names: they are what
``update_contact`` receives and what a created contact carries in ``CrmContact.extra``.
Defaults per CRM come from the provider package's ``mapping`` module (``DEFAULT_FIELD_MAP``,
found through the registry) when it has one; otherwise the standard fields map to themselves.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from typing import Any

from django.core.exceptions import ValidationError

from connectors import registry
from connectors.base import CrmField
from syncs.intake.normalise import normalise_phone, split_full_name

SOURCE_FIELDS = frozenset(
    {
        "first_name", "last_name", "full_name", "email", "phone", "company", "lead_score",
        "intent", "conversation_summary", "transcript_url", "chatbot_session_id",
        "chatbot_vendor", "source_tag", "summary", "session_id",
    }
)  # fmt: skip
STANDARD_TARGETS = frozenset({"email", "phone", "first_name", "last_name", "company"})
GENERIC_DEFAULT_RULES: list[dict[str, Any]] = [
    {"source": name, "target": name, "transform": "copy", "args": {}}
    for name in ("first_name", "last_name", "email", "phone", "company")
]


PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_.]*)\}")


def source_value(lead: dict[str, Any], source: str) -> str:
    """A lead field, or ``extra.<key>`` from what the chatbot sent under ``extra``."""
    if source.startswith("extra."):
        value = (lead.get("extra") or {}).get(source[len("extra.") :], "")
    else:
        value = lead.get(source, "")
    return "" if value is None else str(value)


def _template(value: str, args: dict[str, Any], lead: dict[str, Any]) -> str:
    """``{first_name} from {company}``: plain source names only (no format-string access)."""
    return PLACEHOLDER.sub(lambda m: source_value(lead, m.group(1)), str(args.get("template", "")))


def _template_problem(text: str) -> str:
    names = PLACEHOLDER.findall(text)
    unknown = [n for n in names if not _known_source(n)]
    if unknown:
        return f"unknown field(s) {unknown}"
    if "{" in PLACEHOLDER.sub("", text) or "}" in PLACEHOLDER.sub("", text):
        return "unbalanced braces"
    return "" if text else "args.template is empty"


Transform = Callable[[str, dict[str, Any], dict[str, Any]], str]
TRANSFORMS: dict[str, Transform] = {
    "copy": lambda value, args, lead: value,
    "lower": lambda value, args, lead: value.lower(),
    "upper": lambda value, args, lead: value.upper(),
    "split_full_name": lambda value, args, lead: split_full_name(value)[
        0 if args.get("part", "first") == "first" else 1
    ],
    "e164": lambda value, args, lead: (
        normalise_phone(value, str(lead.get("_region", ""))) if value else ""
    ),
    "constant": lambda value, args, lead: str(args.get("value", "")),
    "value_map": lambda value, args, lead: str(
        dict(args.get("map", {})).get(value, args.get("default", value))
    ),
    "template": _template,
}


def _check_rule(index: int, rule: object) -> None:
    if not isinstance(rule, dict):
        raise ValidationError(f"rule {index}: expected an object with source and target.")
    transform = rule.get("transform") or "copy"
    if transform not in TRANSFORMS:
        raise ValidationError(
            f"rule {index}: unknown transform {transform!r}; use one of {sorted(TRANSFORMS)}."
        )
    if not isinstance(rule.get("target"), str) or not rule["target"]:
        raise ValidationError(f"rule {index}: 'target' must name a CRM field.")
    source = rule.get("source", "")
    if transform not in ("constant", "template") and not _known_source(source):
        raise ValidationError(
            f"rule {index}: unknown source {source!r}; use one of {sorted(SOURCE_FIELDS)} "
            "or extra.<key>."
        )
    args = rule.get("args", {})
    if not isinstance(args, dict):
        raise ValidationError(f"rule {index}: 'args' must be an object.")
    if transform == "value_map" and not isinstance(args.get("map"), dict):
        raise ValidationError(f"rule {index}: value_map needs args.map (an object).")
    if transform == "template" and (problem := _template_problem(str(args.get("template", "")))):
        raise ValidationError(f"rule {index}: template: {problem}.")


def _known_source(source: object) -> bool:
    return isinstance(source, str) and (source in SOURCE_FIELDS or source.startswith("extra."))


def validate_rules_shape(rules: object) -> None:
    """Structure only (no CRM needed): raises ValidationError naming the rule at fault."""
    if not isinstance(rules, list):
        raise ValidationError("rules must be a list.")
    for index, rule in enumerate(rules):
        _check_rule(index, rule)


def validate_rules_against(rules: list[dict[str, Any]], catalogue: Iterable[CrmField]) -> None:
    """Every non-standard target must be a field the CRM has; raises ValidationError."""
    validate_rules_shape(rules)
    known = {f.name for f in catalogue}
    unknown = [r["target"] for r in rules if r["target"] not in STANDARD_TARGETS | known]
    if unknown:
        raise ValidationError(
            f"The CRM has no field named {', '.join(repr(u) for u in unknown)}. "
            "Pick a field from the CRM's field list (custom fields included)."
        )


def default_rules(provider: str) -> list[dict[str, Any]]:
    """The CRM's defaults: ``DEFAULT_FIELD_MAP`` (lead field → vendor field) of the provider's
    ``mapping`` module as copy rules, or the generic rules without one (or for a provider no
    longer registered: an old connection's page still opens)."""
    try:
        module = registry.mapping_for(provider)
    except registry.UnknownProvider:
        module = None
    field_map = getattr(module, "DEFAULT_FIELD_MAP", None)
    if not field_map:
        return [dict(rule) for rule in GENERIC_DEFAULT_RULES]
    return [
        {"source": source, "target": target, "transform": "copy", "args": {}}
        for source, target in field_map.items()
    ]


def apply_rules(
    rules: list[dict[str, Any]], lead: dict[str, Any]
) -> tuple[dict[str, str], list[str]]:
    """Mapped ``{target: value}`` and the problems (a transform refusing a value).

    Empty values are left out: a mapping never blanks a field in the CRM.
    """
    out: dict[str, str] = {}
    problems: list[str] = []
    for rule in rules:
        source = str(rule.get("source", ""))
        try:
            result = TRANSFORMS[rule.get("transform") or "copy"](
                source_value(lead, source), rule.get("args") or {}, lead
            )
        except ValueError as exc:
            problems.append(f"mapping {source!r} → {rule['target']!r}: {exc}")
            continue
        if result != "":
            out[rule["target"]] = result
    return out, problems


def field_mapping_save(
    *,
    connection: Any,
    rules: list[dict[str, Any]],
    actor: str,
    crm: Any = None,
    catalogue: list[CrmField] | None = None,
) -> Any:
    """Validate ``rules`` against the CRM's field catalogue (``catalogue`` when the caller has
    just read it, else fetched through the connection's CRM client or ``crm``) and save them.
    Raises ValidationError with the fields that do not exist, ConnectorError when the
    catalogue cannot be read; nothing is saved then.
    """
    from syncs.audit.log import audit_log
    from syncs.crm.clients import crm_client_for
    from syncs.models import FieldMapping

    if catalogue is None:
        catalogue = (crm or crm_client_for(connection)).field_catalogue("contact")
    validate_rules_against(rules, catalogue)
    mapping, _ = FieldMapping.objects.update_or_create(
        connection=connection, defaults={"client": connection.client, "rules": rules}
    )
    audit_log(
        client=connection.client,
        actor=actor,
        action="mapping.saved",
        target=f"connection:{connection.pk}",
        details={"rules": rules},
    )
    return mapping


def rules_for(connection: Any) -> list[dict[str, Any]]:
    """The connection's saved rules, else the provider's defaults.

    Uses the mapping loaded with the connection when it was (a sync job's claim reads it with
    ``select_related``); otherwise reads it now."""
    from connectors.models import Connection
    from syncs.models import FieldMapping

    if Connection.field_mapping.is_cached(connection):
        mapping = getattr(connection, "field_mapping", None)  # None: loaded, there is none
    else:
        mapping = FieldMapping.objects.filter(connection=connection).first()
    return list(mapping.rules) if mapping else default_rules(connection.provider)
