"""Input and output serializers of the intake API, one pair per operation.

Input is checked for shape only (types, lengths, ranges); whether a phone or an e-mail can be
made valid is the worker's business: what cannot becomes ``needs_review`` with the reason, so a
chatbot's lead is never lost over a typo.
"""

from __future__ import annotations

import json

from rest_framework import serializers

from syncs.models import EventKind

MAX_EXTRA_BYTES = 16_384


class StrictSerializer(serializers.Serializer):
    """Unknown fields are refused, not silently dropped: a misspelt field is a 400."""

    def validate(self, attrs: dict) -> dict:
        unknown = sorted(set(getattr(self, "initial_data", {}) or {}) - set(self.fields))
        if unknown:
            raise serializers.ValidationError(
                {name: ["Unknown field; put additional data under 'extra'."] for name in unknown}
            )
        return attrs


class LeadInputSerializer(StrictSerializer):
    name = serializers.CharField(max_length=200, required=False, allow_blank=True)
    first_name = serializers.CharField(max_length=100, required=False, allow_blank=True)
    last_name = serializers.CharField(max_length=100, required=False, allow_blank=True)
    email = serializers.CharField(max_length=254, required=False, allow_blank=True)
    phone = serializers.CharField(max_length=64, required=False, allow_blank=True)
    company = serializers.CharField(max_length=200, required=False, allow_blank=True)
    lead_score = serializers.IntegerField(min_value=0, max_value=100, required=False)
    intent = serializers.CharField(max_length=64, required=False, allow_blank=True)
    conversation_summary = serializers.CharField(
        max_length=20_000, required=False, allow_blank=True
    )
    transcript_url = serializers.URLField(max_length=2000, required=False, allow_blank=True)
    chatbot_session_id = serializers.CharField(max_length=255, required=False, allow_blank=True)
    chatbot_vendor = serializers.CharField(max_length=64, required=False, allow_blank=True)
    source_tag = serializers.RegexField(
        r"^[A-Za-z0-9_.:-]{1,64}$",
        required=False,
        help_text="Tag written on everything this lead creates (default AI_Chatbot); "
        "rollback works by tag.",
    )
    extra = serializers.DictField(required=False, help_text="Any other fields, as an object.")

    def validate_extra(self, value: dict) -> dict:
        if len(json.dumps(value)) > MAX_EXTRA_BYTES:
            raise serializers.ValidationError(f"At most {MAX_EXTRA_BYTES} bytes of JSON.")
        return value

    def validate(self, attrs: dict) -> dict:
        attrs = super().validate(attrs)
        if not (attrs.get("email") or attrs.get("phone")):
            raise serializers.ValidationError(
                {"email": ["A lead needs an email or a phone: that is how the CRM is searched."]}
            )
        return attrs


class EventPayloadSerializer(LeadInputSerializer):
    """Other events name the person by e-mail, phone or chatbot session."""

    def validate(self, attrs: dict) -> dict:
        attrs = StrictSerializer.validate(self, attrs)
        if not (attrs.get("email") or attrs.get("phone") or attrs.get("chatbot_session_id")):
            raise serializers.ValidationError(
                {"email": ["Name the person: email, phone or chatbot_session_id."]}
            )
        return attrs


class EventInputSerializer(StrictSerializer):
    kind = serializers.ChoiceField(choices=EventKind.choices)
    payload = serializers.DictField()

    def validate(self, attrs: dict) -> dict:
        attrs = super().validate(attrs)
        klass = (
            LeadInputSerializer
            if attrs["kind"] == EventKind.LEAD_CAPTURED
            else EventPayloadSerializer
        )
        inner = klass(data=attrs["payload"])
        if not inner.is_valid():
            raise serializers.ValidationError({"payload": inner.errors})
        return attrs


class AcceptedSerializer(serializers.Serializer):
    id = serializers.UUIDField(help_text="The event id.")
    status = serializers.CharField(help_text="accepted, or waiting_connection without a CRM.")
    status_url = serializers.URLField(help_text="GET it (optionally with ?wait=N) for progress.")


class TargetSerializer(serializers.Serializer):
    target = serializers.CharField()
    provider = serializers.CharField()
    status = serializers.CharField()
    crm_id = serializers.CharField(allow_blank=True)
    attempts = serializers.IntegerField()
    next_attempt_at = serializers.DateTimeField(allow_null=True)
    reason = serializers.CharField(allow_blank=True)


class EventDetailSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    kind = serializers.CharField()
    status = serializers.CharField(
        help_text="accepted / processing / synced / needs_review / waiting_connection / failed"
    )
    crm_id = serializers.CharField(allow_blank=True, allow_null=True)
    received_at = serializers.DateTimeField()
    targets = TargetSerializer(many=True)


class WaitQuerySerializer(serializers.Serializer):
    wait = serializers.IntegerField(
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
