"""Default field map from our lead fields to Pipedrive person fields.

Pipedrive's own fields are ``name``, ``email`` and ``phone``; custom fields are addressed by a
40-character hash key that differs per company, so the map names them by their *field name*
(``"Source tag"``) and the client resolves names to keys from ``/v1/personFields``, creating
Switchboard's where the company lacks them and the grant allows (``fields.py``). A person has
no company text (that is an organization), so the company and the summary go to the note.
"""

from __future__ import annotations

DEFAULT_FIELD_MAP: dict[str, str] = {
    "first_name": "first_name",
    "last_name": "last_name",
    "email": "email",
    "phone": "phone",
    "lead_score": "AI lead score",
    "intent": "AI intent",
    "source_tag": "Source tag",
    "chatbot_vendor": "Chatbot vendor",
    "session_id": "Chatbot session id",
}
SOURCE_TAG_FIELD = "Source tag"  # a custom person field, by name
LABELS_FIELD = "label_ids"  # person labels: Pipedrive's tags
NOTE_FIELDS: tuple[str, ...] = ("summary", "company")
