"""Input and output shapes of the webhook-endpoint API. No output ever carries a stored secret."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from syncs.intake.serializers import StrictSerializer
from syncs.webhooks.models import ALL_EVENTS, EVENT_TYPES

EVENT_CHOICES = (*EVENT_TYPES, ALL_EVENTS)


class StrictCharField(serializers.RegexField):
    """Text without NUL characters (stated in the schema as a pattern); numbers and booleans are
    refused instead of being turned into text."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(r"^[^\u0000]*$", **kwargs)

    def to_internal_value(self, data: object) -> str:
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


# The URL shape, stated in the schema so API clients (and Schemathesis) know exactly what passes:
# http(s), a host without credentials (a name, an IPv4 address or a bracketed IPv6 literal), an
# optional port 1-65535, printable ASCII after it. Whether the host may be called is decided by
# the SSRF check, which resolves it (and refuses private, loopback, link-local, mapped ones).
_H16 = "[0-9A-Fa-f]{1,4}"
_OCTET = "(25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])"
_LS32 = rf"({_H16}:{_H16}|{_OCTET}(\.{_OCTET}){{3}})"
# RFC 3986 §3.2.2's IPv6address, alternative by alternative, so that every literal the schema
# allows is one the API parses (a looser [0-9A-Fa-f:.]{2,45} let "[152F7:d5AB7]" through the
# schema to a 400; Schemathesis's positive_data_acceptance found it).
IPV6_LITERAL = (
    "("
    + "|".join(
        [
            rf"({_H16}:){{6}}{_LS32}",
            rf"::({_H16}:){{5}}{_LS32}",
            rf"({_H16})?::({_H16}:){{4}}{_LS32}",
            rf"(({_H16}:){{0,1}}{_H16})?::({_H16}:){{3}}{_LS32}",
            rf"(({_H16}:){{0,2}}{_H16})?::({_H16}:){{2}}{_LS32}",
            rf"(({_H16}:){{0,3}}{_H16})?::{_H16}:{_LS32}",
            rf"(({_H16}:){{0,4}}{_H16})?::{_LS32}",
            rf"(({_H16}:){{0,5}}{_H16})?::{_H16}",
            rf"(({_H16}:){{0,6}}{_H16})?::",
        ]
    )
    + ")"
)
URL_PATTERN = (
    rf"^https?://([A-Za-z0-9.-]{{1,253}}|\[{IPV6_LITERAL}\])"
    r"(:(6553[0-5]|655[0-2][0-9]|65[0-4][0-9]{2}|6[0-4][0-9]{3}|[1-5][0-9]{4}|[1-9][0-9]{0,3}))?"
    r"([/?#][!-~]*)?$"
)


class WebhookUrlField(serializers.RegexField):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(URL_PATTERN, max_length=2000, **kwargs)

    def to_internal_value(self, data: object) -> str:
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


class StrictBooleanField(serializers.BooleanField):
    def to_internal_value(self, data: object) -> bool:
        if not isinstance(data, bool):
            self.fail("invalid", input=data)
        return data


class EndpointInSerializer(StrictSerializer):
    unknown_field_message = "Unknown field."

    url = WebhookUrlField(help_text="Where events are POSTed; https outside development.")
    description = StrictCharField(max_length=255, required=False, allow_blank=True)
    event_types = serializers.ListField(
        child=serializers.ChoiceField(choices=EVENT_CHOICES),
        min_length=1,
        max_length=len(EVENT_CHOICES),
        help_text='Event types to receive; "*" means all.',
    )


class EndpointPatchSerializer(EndpointInSerializer):
    enabled = StrictBooleanField(required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, partial=True, **kwargs)


class EndpointOutSerializer(serializers.Serializer):
    id = serializers.UUIDField(source="public_id")
    url = serializers.CharField()
    description = serializers.CharField()
    event_types = serializers.ListField(child=serializers.CharField())
    status = serializers.CharField()
    disabled_reason = serializers.CharField()
    previous_secret_expires_at = serializers.DateTimeField(
        allow_null=True, help_text="While set and in the future, deliveries carry two signatures."
    )
    created_at = serializers.DateTimeField()


class EndpointCreatedSerializer(EndpointOutSerializer):
    secret = serializers.CharField(help_text="Shown only in this response. `whsec_` + base64.")


class SecretSerializer(serializers.Serializer):
    secret = serializers.CharField(help_text="The new secret, shown only in this response.")
    previous_secret_expires_at = serializers.DateTimeField()


class DeliveryOutSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="pk")
    message_id = serializers.CharField(source="message.public_id")
    event_type = serializers.CharField(source="message.event_type")
    status = serializers.CharField()
    attempts = serializers.IntegerField()
    next_attempt_at = serializers.DateTimeField(allow_null=True)
    last_attempt_at = serializers.DateTimeField(allow_null=True)
    last_status_code = serializers.IntegerField(allow_null=True)
    last_error = serializers.CharField()
    response_time_ms = serializers.IntegerField(allow_null=True)
    delivered_at = serializers.DateTimeField(allow_null=True)
    created_at = serializers.DateTimeField()


class TestSentSerializer(serializers.Serializer):
    message_id = serializers.CharField()
    delivery_id = serializers.IntegerField()
    status = serializers.CharField()
