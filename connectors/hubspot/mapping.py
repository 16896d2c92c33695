"""Default field map from our lead fields to HubSpot contact properties.

``firstname``..``company`` are HubSpot's own properties; the ``ai_*`` ones are custom
properties the portal gets at connect time (a mapping to a property that does not exist is
refused when saved, against the live property list). The summary also goes to a timeline note.
"""

from __future__ import annotations

DEFAULT_FIELD_MAP: dict[str, str] = {
    "first_name": "firstname",
    "last_name": "lastname",
    "email": "email",
    "phone": "phone",
    "company": "company",
    "lead_score": "ai_lead_score",
    "intent": "ai_intent",
    "summary": "ai_summary",
    "source_tag": "ai_source_tag",
    "chatbot_vendor": "ai_chatbot_vendor",
    "session_id": "ai_session_id",
}
SOURCE_TAG_PROPERTY = "ai_source_tag"
TAGS_PROPERTY = "switchboard_tags"  # multi-checkbox; values joined by ";" as HubSpot does
NOTE_FIELDS: tuple[str, ...] = ("summary",)  # also logged on the timeline
