"""Input and output shapes of the availability and booking API.

Instants are RFC 3339 with a UTC offset, years 1900-2099 (stated in the schema as a pattern,
so a schema-valid instant is always one Python can compute with). Zones are IANA names,
listed in the schema.
"""

from __future__ import annotations

import re
import zoneinfo
from datetime import UTC, datetime
from functools import cache
from typing import Any

from django.core.validators import EmailValidator
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from syncs.intake.serializers import QueryIntegerField, StrictSerializer
from syncs.webhooks.serializers import StrictCharField

INSTANT_PATTERN = (
    r"^(19|20)[0-9]{2}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])"
    r"[Tt]([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](\.[0-9]{1,6})?"
    r"([Zz]|[+-]([01][0-9]|2[0-3]):[0-5][0-9])$"
)


@cache
def zone_names() -> list[str]:
    """Every IANA zone this server knows, sorted (the schema's enum)."""
    return sorted(zoneinfo.available_timezones())


@cache
def _zones() -> frozenset[str]:
    return frozenset(zone_names())


@extend_schema_field(
    {
        "type": "string",
        "format": "date-time",
        "pattern": INSTANT_PATTERN,
        "example": "2026-12-07T10:00:00+01:00",
    }
)
class InstantField(serializers.Field):
    """An instant with its UTC offset, returned in UTC. A wall time without an offset is
    refused: on a fall-back day it names two instants."""

    default_error_messages = {
        "invalid": "An RFC 3339 date-time with a UTC offset (years 1900-2099) is required.",
    }

    def to_internal_value(self, data: Any) -> datetime:
        if not isinstance(data, str) or not re.fullmatch(INSTANT_PATTERN, data):
            self.fail("invalid")
        try:
            value = datetime.fromisoformat(data.upper())
        except ValueError:
            self.fail("invalid")
        return value.astimezone(UTC)

    def to_representation(self, value: datetime) -> str:
        return value.isoformat()


@extend_schema_field({"type": "string", "enum": zone_names(), "example": "Europe/Berlin"})
class ZoneField(serializers.Field):
    """An IANA zone name, exactly as the tz database spells it."""

    default_error_messages = {"invalid": "An IANA time zone name is required, e.g. Europe/Berlin."}

    def to_internal_value(self, data: Any) -> str:
        if not isinstance(data, str) or data not in _zones():
            self.fail("invalid")
        return data

    def to_representation(self, value: Any) -> Any:
        return value


class AvailabilityQuerySerializer(serializers.Serializer):
    service = serializers.UUIDField(help_text="The service's id.")
    start = InstantField(help_text="The first slot start asked for.")
    end = InstantField(help_text="Slot starts before this (at most 31 days after start).")
    time_zone = ZoneField(help_text="The caller's IANA zone; slots are given in it.")


class SlotSerializer(serializers.Serializer):
    start = serializers.CharField(help_text="In the caller's zone, with its UTC offset.")
    end = serializers.CharField(help_text="In the caller's zone, with its UTC offset.")


class AvailabilitySerializer(serializers.Serializer):
    service = serializers.UUIDField()
    time_zone = serializers.CharField()
    slots = SlotSerializer(many=True)
    stale_calendars = serializers.ListField(
        child=serializers.CharField(),
        help_text="Calendars whose busy time could not be read fresh (their last known busy "
        "time still counts). Empty when every calendar answered.",
    )


def _text(max_length: int, **kwargs: Any) -> StrictCharField:
    """Text kept as sent (no trimming, so the schema's lengths hold), NUL refused."""
    return StrictCharField(max_length=max_length, trim_whitespace=False, **kwargs)


def _email() -> StrictCharField:
    """An e-mail address by DRF's ``EmailField`` rule (Django's ``EmailValidator``, with its
    message), blank allowed: the customer is invited at it, so a malformed one is a 400 now,
    not a calendar write refused later."""
    invalid = EmailValidator(message=serializers.EmailField.default_error_messages["invalid"])
    return _text(254, required=False, allow_blank=True, validators=[invalid])


class ContactSerializer(StrictSerializer):
    unknown_field_message = "Unknown field."
    name = _text(200, help_text="The customer's name.")
    email = _email()
    phone = _text(32, required=False, allow_blank=True)


NO_NUL = r"^[^\u0000]*$"  # as StrictCharField states it
CONTACT_SCHEMA = {
    "type": "object",
    "additionalProperties": False,
    "required": ["name"],
    "properties": {
        "name": {"type": "string", "minLength": 1, "maxLength": 200, "pattern": NO_NUL},
        "email": {
            "type": "string",
            "maxLength": 254,
            "anyOf": [{"maxLength": 0}, {"format": "email"}],
        },
        "phone": {"type": "string", "maxLength": 32, "pattern": NO_NUL},
    },
    "description": "The customer: a name, and an e-mail (invited to the event) or a phone.",
}


@extend_schema_field(CONTACT_SCHEMA)
class ContactField(serializers.Field):
    """The contact object, closed like every request body (the schema says so in place)."""

    def to_internal_value(self, data: Any) -> dict[str, str]:
        inner = ContactSerializer(data=data)
        if not inner.is_valid():
            raise serializers.ValidationError(inner.errors)
        return dict(inner.validated_data)

    def to_representation(self, value: Any) -> Any:
        return value


class BookingInputSerializer(StrictSerializer):
    unknown_field_message = "Unknown field."
    service = serializers.UUIDField(help_text="The service's id.")
    start = InstantField(help_text="The slot's start, as availability gave it.")
    time_zone = ZoneField(help_text="The caller's IANA zone; the answer is given in it.")
    contact = ContactField()
    chatbot_session_id = _text(255, required=False, allow_blank=True)
    chatbot_vendor = _text(64, required=False, allow_blank=True)
    source_tag = serializers.RegexField(
        r"^[A-Za-z0-9_.:-]{1,64}$",
        required=False,
        trim_whitespace=False,
        help_text="Tag on the calendar event (default AI_Chatbot); rollback works by tag.",
    )


class RescheduleInputSerializer(StrictSerializer):
    unknown_field_message = "Unknown field."
    start = InstantField(
        required=False, help_text="The new slot's start (absent: the booking stays where it is)."
    )
    time_zone = ZoneField(
        required=False, help_text="The caller's IANA zone for the answer (default: as booked)."
    )


class WaitSerializer(serializers.Serializer):
    wait = QueryIntegerField(
        min_value=0,
        max_value=30,
        required=False,
        help_text="Seconds (0-30) to wait for the calendar write before answering 202 "
        "(default BOOKING_WAIT_SECONDS, 10).",
    )


class BookingContactOut(serializers.Serializer):
    name = serializers.CharField(allow_blank=True)
    email = serializers.CharField(allow_blank=True)
    phone = serializers.CharField(allow_blank=True)


class BookingSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    status = serializers.ChoiceField(
        choices=["held", "confirmed", "conflict", "failed", "expired", "cancelled"],
        help_text="held: being written to the calendar (a webhook follows); confirmed; "
        "conflict: the calendar took the time (another event during the write, or a change "
        "made there onto another booking's time; `booking.conflict` has alternatives); "
        "failed: the calendar "
        "refused it; expired: not written in time; cancelled.",
    )
    service = serializers.UUIDField()
    start = serializers.CharField(help_text="In the caller's zone, with its UTC offset.")
    end = serializers.CharField()
    time_zone = serializers.CharField()
    previous_start = serializers.CharField(
        allow_null=True, help_text="While a move is being written: the confirmed start."
    )
    contact = BookingContactOut()
    calendar_event_id = serializers.CharField(allow_null=True)
    provider = serializers.CharField(allow_blank=True)
    hold_expires_at = serializers.CharField(allow_null=True)
    reason = serializers.CharField(allow_blank=True)
    outcome = serializers.CharField(allow_blank=True, help_text="attended / no_show / ''.")
    chatbot_session_id = serializers.CharField(allow_blank=True)
    source_tag = serializers.CharField(allow_blank=True)
    created_at = serializers.CharField()
    manage_url = serializers.URLField(
        help_text="The customer's page to move or cancel this booking: a signed link, no "
        "sign-in, valid for BOOKING_LINK_MAX_AGE (60 days by default). Pass it on to them."
    )


class TakenProblemSerializer(serializers.Serializer):
    type = serializers.CharField()
    title = serializers.CharField()
    status = serializers.IntegerField()
    detail = serializers.CharField(required=False)
    alternatives = serializers.DictField(
        child=SlotSerializer(many=True),
        required=False,
        help_text="`before` and `after`: the nearest free slots (nearest first), in the "
        "caller's zone.",
    )
