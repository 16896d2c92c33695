"""Input and output serializers of the intake API, one pair per operation.

Input is checked for shape only (types, lengths, ranges); whether a phone or an e-mail can be
made valid is the worker's business: what cannot becomes ``needs_review`` with the reason, so a
chatbot's lead is never lost over a typo.
"""

from __future__ import annotations

import json
from typing import Any

from rest_framework import serializers

from syncs.models import EventKind

MAX_EXTRA_BYTES = 16_384


class StrictTypes:
    """JSON types as documented: DRF would turn 0 into "0" and "82" into 82 silently."""

    json_type: type | tuple[type, ...] = str

    def to_internal_value(self, data: Any) -> Any:
        if not isinstance(data, self.json_type) or isinstance(data, bool):
            raise serializers.ValidationError(f"Expected a {self.type_name}.")
        return super().to_internal_value(data)  # type: ignore[misc]

    @property
    def type_name(self) -> str:
        return "string" if self.json_type is str else "integer"


class Text(StrictTypes, serializers.CharField):
    """Kept as sent (no trimming), so lengths mean what the schema says; normalisation trims."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("trim_whitespace", False)
        super().__init__(**kwargs)


class Pattern(StrictTypes, serializers.RegexField):
    def __init__(self, regex: str, **kwargs: Any) -> None:
        kwargs.setdefault("trim_whitespace", False)
        super().__init__(regex, **kwargs)


def storable_extra(value: object) -> object:
    """``extra`` as PostgreSQL's jsonb can hold it: NUL (U+0000), which JSON allows in any
    string or key and jsonb does not, becomes U+FFFD. Free-form text may carry any character
    (the schema cannot forbid NUL in nested keys), so it is made storable rather than refused;
    everything else is kept as sent. The named fields refuse NUL (DRF's string fields)."""
    if isinstance(value, dict):
        return {_storable(k): storable_extra(v) for k, v in value.items()}
    if isinstance(value, list):
        return [storable_extra(item) for item in value]
    return _storable(value) if isinstance(value, str) else value


def _storable(text: str) -> str:
    return text.replace("\x00", "\ufffd") if "\x00" in text else text


def _unpaired_surrogate(value: object) -> bool:
    """True when some string or key holds an unpaired surrogate (``\\ud800``): valid JSON,
    but not Unicode text, so it cannot be stored as UTF-8."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            stack.extend(item)
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
        elif isinstance(item, str) and not _no_surrogates(item):
            return True
    return False


def _no_surrogates(text: str) -> bool:
    """True when ``text`` holds no surrogate code point: exactly when it encodes to UTF-8."""
    if text.isascii():
        return True
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _given(attrs: dict, name: str) -> bool:
    return bool(str(attrs.get(name) or "").strip())


class Integer(StrictTypes, serializers.IntegerField):
    json_type = int


class StrictSerializer(serializers.Serializer):
    """Unknown fields are refused, not silently dropped: a misspelt field is a 400. Every
    request body of the API is read by one of these (the rule is in the API description)."""

    unknown_field_message = "Unknown field; put additional data under 'extra'."

    def validate(self, attrs: dict) -> dict:
        given = getattr(self, "initial_data", None) or {}
        unknown = sorted(set(given) - set(self.fields))
        if unknown:
            raise serializers.ValidationError(
                {name: [self.unknown_field_message] for name in unknown}
            )
        return attrs


class LeadInputSerializer(StrictSerializer):
    name = Text(max_length=200, required=False, allow_blank=True)
    first_name = Text(max_length=100, required=False, allow_blank=True)
    last_name = Text(max_length=100, required=False, allow_blank=True)
    email = Text(max_length=254, required=False, allow_blank=True)
    phone = Text(max_length=64, required=False, allow_blank=True)
    company = Text(max_length=200, required=False, allow_blank=True)
    lead_score = Integer(min_value=0, max_value=100, required=False)
    intent = Text(max_length=64, required=False, allow_blank=True)
    conversation_summary = Text(max_length=20_000, required=False, allow_blank=True)
    transcript_url = Pattern(
        # No control characters or whitespace, spelt out: Python's \s and ECMAScript's differ
        # (e.g. U+001E), and clients validate against this same pattern in the schema.
        r"^(https?://[^\x00-\x20\x7f-\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\ufeff]+)?$",
        max_length=2000,
        required=False,
        allow_blank=True,
    )
    chatbot_session_id = Text(max_length=255, required=False, allow_blank=True)
    chatbot_vendor = Text(max_length=64, required=False, allow_blank=True)
    source_tag = Pattern(
        r"^[A-Za-z0-9_.:-]{1,64}$",
        required=False,
        help_text="Tag written on everything this lead creates (default AI_Chatbot); "
        "rollback works by tag.",
    )
    extra = serializers.DictField(
        required=False,
        help_text="Any other fields, as an object. A NUL character (U+0000) in its text is "
        "stored as U+FFFD: the database cannot hold NUL.",
    )

    def validate_extra(self, value: dict) -> dict:
        if len(json.dumps(value)) > MAX_EXTRA_BYTES:
            raise serializers.ValidationError(f"At most {MAX_EXTRA_BYTES} bytes of JSON.")
        if _unpaired_surrogate(value):
            raise serializers.ValidationError("Text may not contain unpaired surrogates.")
        return value

    def validate(self, attrs: dict) -> dict:
        attrs = super().validate(attrs)
        if not (_given(attrs, "email") or _given(attrs, "phone")):
            raise serializers.ValidationError(
                {"email": ["A lead needs an email or a phone: that is how the CRM is searched."]}
            )
        return attrs


class EventPayloadSerializer(LeadInputSerializer):
    """Other events name the person by e-mail, phone or chatbot session."""

    def validate(self, attrs: dict) -> dict:
        attrs = StrictSerializer.validate(self, attrs)
        if not any(_given(attrs, n) for n in ("email", "phone", "chatbot_session_id")):
            raise serializers.ValidationError(
                {"email": ["Name the person: email, phone or chatbot_session_id."]}
            )
        return attrs


# Booking kinds are made by the booking API (syncs.calendar.bookings), never posted here.
INTAKE_KINDS = [
    (value, label) for value, label in EventKind.choices if not value.startswith("booking.")
]


class EventInputSerializer(StrictSerializer):
    kind = serializers.ChoiceField(choices=INTAKE_KINDS)
    payload = serializers.DictField()

    def validate(self, attrs: dict) -> dict:
        attrs = super().validate(attrs)
        # Any kind may name the person by session only: the worker finds the session's person.
        inner = EventPayloadSerializer(data=attrs["payload"])
        if not inner.is_valid():
            raise serializers.ValidationError({"payload": inner.errors})
        return attrs


class AcceptedSerializer(serializers.Serializer):
    id = serializers.UUIDField(help_text="The event id.")
    status = serializers.CharField(help_text="accepted, or waiting_connection without a CRM.")
    status_url = serializers.URLField(help_text="GET it (optionally with ?wait=N) for progress.")


class RolledBackSerializer(serializers.Serializer):
    at = serializers.DateTimeField(help_text="When the rollback undid the last of the writes.")
    rollback_id = serializers.IntegerField(
        allow_null=True, help_text="The rollback that undid them (as the console numbers it)."
    )
    source_tag = serializers.CharField(
        allow_blank=True, help_text="The source tag that rollback undid."
    )


class TargetSerializer(serializers.Serializer):
    target = serializers.CharField()
    provider = serializers.CharField()
    status = serializers.CharField(
        help_text="pending / queued / running / synced / needs_review / waiting_connection / "
        "failed (a retry is scheduled) / dead / rolled_back (synced, then every record it "
        "wrote was undone by a rollback)"
    )
    crm_id = serializers.CharField(allow_blank=True)
    attempts = serializers.IntegerField()
    next_attempt_at = serializers.DateTimeField(allow_null=True)
    reason = serializers.CharField(allow_blank=True)
    rolled_back = RolledBackSerializer(
        allow_null=True, help_text="Set when status is rolled_back: when, and by which rollback."
    )


class EventDetailSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    kind = serializers.CharField()
    status = serializers.CharField(
        help_text="accepted / processing / synced / needs_review / waiting_connection / failed / "
        "rolled_back (synced, then undone by a rollback: the records it wrote were deleted "
        "or restored; the targets say which)"
    )
    crm_id = serializers.CharField(
        allow_blank=True,
        allow_null=True,
        help_text="The CRM record written; after a rollback it no longer exists there.",
    )
    received_at = serializers.DateTimeField()
    rolled_back = RolledBackSerializer(
        allow_null=True, help_text="The latest rollback of a target, when status is rolled_back."
    )
    targets = TargetSerializer(many=True)


class QueryIntegerField(serializers.IntegerField):
    """An integer query parameter where a present but empty value (``?wait=``) is invalid.

    DRF reads an empty form or query value of an optional field as absent (its default), but
    the schema says the parameter is an integer, so a client sending ``wait=`` has a bug it
    should hear about (a 400), not a silent zero."""

    def get_value(self, dictionary: Any) -> Any:
        if dictionary.get(self.field_name) == "":
            return ""  # to_internal_value refuses it: "A valid integer is required."
        return super().get_value(dictionary)


class WaitQuerySerializer(serializers.Serializer):
    wait = QueryIntegerField(
        min_value=0,
        max_value=30,
        required=False,
        default=0,
        help_text="Seconds (0-30) to wait for a final state before answering.",
    )


class ProblemSerializer(serializers.Serializer):
    type = serializers.CharField()
    title = serializers.CharField()
    status = serializers.IntegerField()
    detail = serializers.CharField(required=False)
    instance = serializers.CharField(required=False)
