"""JSON payloads (an event as received, audit details, values written) shown as key/value
tables staff can read, nested objects as nested tables, instead of a Python repr."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe

register = template.Library()

MAX_DEPTH = 6  # intake refuses deeper JSON; this only keeps a hostile row from recursing far


def _cell(value: Any, depth: int) -> str:
    if isinstance(value, dict):
        return _table(value, depth + 1) if value else mark_safe('<span class="muted">{}</span>')
    if isinstance(value, list):
        if not value:
            return mark_safe('<span class="muted">(none)</span>')
        if all(not isinstance(v, dict | list) for v in value):
            return format_html_join(", ", "{}", ((_scalar(v),) for v in value))
        return format_html(
            '<ol class="kv-list">{}</ol>',
            format_html_join("", "<li>{}</li>", ((_cell(v, depth + 1),) for v in value)),
        )
    return format_html("{}", _scalar(value))


def _scalar(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _table(data: dict[str, Any], depth: int) -> str:
    if depth > MAX_DEPTH:
        return format_html("<code>{}</code>", str(data)[:200])
    rows = format_html_join(
        "",
        '<tr><th scope="row">{}</th><td>{}</td></tr>',
        ((key, _cell(value, depth)) for key, value in data.items()),
    )
    return format_html('<table class="kv">{}</table>', rows)


@register.filter
def kv_table(data: Any) -> str:
    """A dict as a two-column table (keys in the order received); anything else as text."""
    if isinstance(data, dict):
        if not data:
            return mark_safe('<span class="muted">(empty)</span>')
        return _table(data, 0)
    return _cell(data, 0)
