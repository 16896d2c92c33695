"""Default field map from our lead fields to Salesforce Contact fields, and the custom fields it
needs.

Standard fields where Salesforce has them (``LeadSource`` carries the source tag). The
``AI_*__c`` custom fields exist in an org only once someone adds them: Switchboard adds them
itself on connect where the org lets the connecting user (Tooling API, ``CUSTOM_FIELDS``), and
a value whose field the org's describe does not list goes to a labelled line of the standard
``Description`` instead (``connectors.salesforce.fields``), so no write depends on a field
that is not there. A Contact has no company text field (that is an Account), hence
``AI_Company__c``.
"""

from __future__ import annotations

from typing import Any

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
# Where the company goes when the org has the field (the default map's target for it).
COMPANY_FIELD = "AI_Company__c"
# The custom fields above as the Tooling API creates them (CustomField ``Metadata``: Metadata
# API's CustomField type). ``label`` is also the label of the Description line that carries
# the value in an org without the field.
CUSTOM_FIELDS: dict[str, dict[str, Any]] = {
    "AI_Company__c": {"label": "Company", "type": "Text", "length": 255},
    "AI_Lead_Score__c": {"label": "AI lead score", "type": "Number", "precision": 18, "scale": 0},
    "AI_Intent__c": {"label": "AI intent", "type": "Text", "length": 255},
    "AI_Summary__c": {"label": "AI conversation summary", "type": "LongTextArea",
                      "length": 32768, "visibleLines": 5},
    "AI_Chatbot_Vendor__c": {"label": "Chatbot vendor", "type": "Text", "length": 80},
    "AI_Session_Id__c": {"label": "Chatbot session id", "type": "Text", "length": 255},
}  # fmt: skip
SOURCE_TAG_FIELD = "LeadSource"
TAGS_FIELD = "Description"  # follow-up tags live on one line of the description
NOTE_FIELDS: tuple[str, ...] = ("summary",)
# Salesforce requires LastName; web-to-lead uses this placeholder when none is known.
MISSING_LAST_NAME = "[not provided]"
