"""Default field map from our lead fields to Zoho CRM Contacts fields (API names).

Standard fields where Zoho has them (``Lead_Source`` carries the source tag); the ``AI_*`` custom
fields are what an org adds for chatbot data (checked against ``/settings/fields`` when a
mapping is saved). Contacts have no company text field (``Account_Name`` is a lookup).
"""

from __future__ import annotations

DEFAULT_FIELD_MAP: dict[str, str] = {
    "first_name": "First_Name",
    "last_name": "Last_Name",
    "email": "Email",
    "phone": "Phone",
    "company": "AI_Company",
    "lead_score": "AI_Lead_Score",
    "intent": "AI_Intent",
    "summary": "AI_Summary",
    "source_tag": "Lead_Source",
    "chatbot_vendor": "AI_Chatbot_Vendor",
    "session_id": "AI_Session_Id",
}
SOURCE_TAG_FIELD = "Lead_Source"
# The company has no standard text field on Contacts: a custom one we add where Zoho lets us
# (``ZohoClient.ensure_fields``). Zoho names a created field from its label (spaces become
# underscores); the client reads the name back from the fields metadata before writing it.
COMPANY_FIELD = "AI_Company"
COMPANY_FIELD_DEFINITION = {"field_label": "AI Company", "data_type": "text", "length": 255}
# Standard Contacts textarea that keeps what the org has no field (or picklist value) for.
LEFTOVER_FIELD = "Description"
TAGS_FIELD = "Tag"  # Zoho's own record tags
NOTE_FIELDS: tuple[str, ...] = ("summary",)
MISSING_LAST_NAME = "[not provided]"  # Last_Name is mandatory on Contacts
