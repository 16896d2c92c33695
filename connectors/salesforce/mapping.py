"""Default field map from our lead fields to Salesforce Contact fields.

Standard fields where Salesforce has them (``LeadSource`` carries the source tag); the
``AI_*__c`` custom fields are what an org adds for chatbot data (mappings are checked against the
org's describe result when saved). A Contact has no company text field (that is an Account), so
the company goes to a custom field.
"""

from __future__ import annotations

DEFAULT_FIELD_MAP: dict[str, str] = {
    "first_name": "FirstName",
    "last_name": "LastName",
    "email": "Email",
    "phone": "Phone",
    "company": "AI_Company__c",
    "lead_score": "AI_Lead_Score__c",
    "intent": "AI_Intent__c",
    "summary": "AI_Summary__c",
    "source_tag": "LeadSource",
    "chatbot_vendor": "AI_Chatbot_Vendor__c",
    "session_id": "AI_Session_Id__c",
}
SOURCE_TAG_FIELD = "LeadSource"
TAGS_FIELD = "Description"  # follow-up tags live on one line of the description
NOTE_FIELDS: tuple[str, ...] = ("summary",)
# Salesforce requires LastName; web-to-lead uses this placeholder when none is known.
MISSING_LAST_NAME = "[not provided]"
