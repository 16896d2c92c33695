"""Apply a client's configuration from a YAML file (``manage.py apply_client_config``).

Agencies keep client set-ups in version control; applying a file is idempotent. Every error
names the file, line and field, and nothing is written unless the whole file is valid.

    agency: demo-agency            # slug of an existing agency
    client:
      slug: acme-dental
      name: Acme Dental
      time_zone: America/New_York
      default_region: US
      contact_email: owner@acme.example
      business_hours: {mon: [["09:00", "17:00"]], sat: [["10:00", "14:00"]]}
      connectors: {crm: hubspot, calendar: google, pos: square}
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from django.core.exceptions import ValidationError
from django.db import transaction

from tenants import providers
from tenants.models import Agency, Client

CLIENT_FIELDS = {
    "slug",
    "name",
    "time_zone",
    "default_region",
    "contact_email",
    "business_hours",
    "connectors",
}


class ConfigError(Exception):
    """A problem in the file, with where it is."""

    def __init__(self, path: str, line: int | None, field: str, message: str) -> None:
        where = f"{path}:{line}" if line else path
        super().__init__(f"{where}: {field}: {message}")


@dataclass
class _Located:
    value: Any
    line: int | None


def _locate(node: yaml.Node) -> Any:
    """Turn a composed YAML node into plain values, keeping each mapping value's line."""
    if isinstance(node, yaml.MappingNode):
        return {k.value: _Located(_locate(v), k.start_mark.line + 1) for k, v in node.value}
    if isinstance(node, yaml.SequenceNode):
        return [_locate(item) for item in node.value]
    return yaml.safe_load(yaml.serialize(node))


def _plain(value: Any) -> Any:
    if isinstance(value, _Located):
        return _plain(value.value)
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def load(path: str) -> tuple[str, dict[str, Any], int | None, dict[str, _Located]]:
    """Parse and check the file's shape; returns agency slug, client values and locations."""
    try:
        text = Path(path).read_text(encoding="utf-8")
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except OSError as exc:
        raise ConfigError(path, None, "file", exc.strerror or str(exc)) from exc
    except yaml.MarkedYAMLError as exc:
        line = exc.problem_mark.line + 1 if exc.problem_mark else None
        raise ConfigError(path, line, "yaml", str(exc.problem)) from exc
    if not isinstance(root, yaml.MappingNode):
        raise ConfigError(path, 1, "file", "expected a mapping with 'agency' and 'client'")
    doc = _locate(root)
    for key in doc:
        if key not in {"agency", "client"}:
            raise ConfigError(path, doc[key].line, key, "unknown top-level key")
    for key in ("agency", "client"):
        if key not in doc:
            raise ConfigError(path, None, key, "is required")
    client_node = doc["client"]
    if not isinstance(client_node.value, dict):
        raise ConfigError(path, client_node.line, "client", "expected a mapping")
    fields: dict[str, _Located] = client_node.value
    for key, located in fields.items():
        if key not in CLIENT_FIELDS:
            raise ConfigError(
                path,
                located.line,
                f"client.{key}",
                f"unknown field; expected one of {sorted(CLIENT_FIELDS)}",
            )
    for key in ("slug", "name"):
        if key not in fields:
            raise ConfigError(path, client_node.line, f"client.{key}", "is required")
    return (
        str(_plain(doc["agency"])),
        {k: _plain(v) for k, v in fields.items()},
        client_node.line,
        fields,
    )


def _apply_connectors(client: Client, located: _Located, path: str) -> None:
    if not isinstance(located.value, dict):
        raise ConfigError(
            path, located.line, "client.connectors", "expected a mapping of kind to provider"
        )
    catalogue = providers.registry().providers_by_kind()
    for kind, entry in located.value.items():
        provider, line = _plain(entry), entry.line
        if kind not in catalogue:
            raise ConfigError(
                path,
                line,
                f"client.connectors.{kind}",
                f"unknown kind; expected one of {list(catalogue)}",
            )
        if provider not in ("", None, *catalogue[kind]):
            raise ConfigError(
                path,
                line,
                f"client.connectors.{kind}",
                f"{provider!r} is not a {kind} provider; expected one of {list(catalogue[kind])}",
            )
        setattr(client, f"{kind}_provider", provider or "")


def apply(path: str) -> tuple[Client, bool]:
    """Create or update the client the file describes; returns (client, created)."""
    agency_slug, values, client_line, located = load(path)
    agency = Agency.objects.filter(slug=agency_slug).first()
    if agency is None:
        raise ConfigError(path, None, "agency", f"no agency with slug {agency_slug!r}")
    with transaction.atomic():
        client = (
            Client.objects.select_for_update().filter(agency=agency, slug=values["slug"]).first()
        )
        created = client is None
        client = client or Client(agency=agency, slug=values["slug"])
        for key, value in values.items():
            if key == "connectors":
                _apply_connectors(client, located[key], path)
            elif key != "slug":
                setattr(client, key, value)
        try:
            client.full_clean(validate_unique=False)
        except ValidationError as exc:
            field, messages = next(iter(exc.message_dict.items()))
            line = located[field].line if field in located else client_line
            if field.endswith("_provider"):
                line = located["connectors"].line if "connectors" in located else client_line
            raise ConfigError(path, line, f"client.{field}", "; ".join(messages)) from exc
        client.save()
    return client, created
