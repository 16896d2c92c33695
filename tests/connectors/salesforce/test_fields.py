"""What a Salesforce Contact write carries, given the org's describe (``fields.fit``)."""

from __future__ import annotations

from connectors.salesforce.fields import Field, fit

FIELDS = {
    "Title": Field("string", 128, True, True, "Title"),
    "LastName": Field("string", 80, True, True, "Last Name"),
    "AI_Lead_Score__c": Field("double", 0, True, True, "AI lead score"),
    "Description": Field("textarea", 32000, True, True, "Contact Description"),
}


def test_it_clears_a_field_the_org_has_and_sends_nothing_for_one_it_lacks():
    assert fit({"Title": "", "AI_Intent__c": ""}, FIELDS, creating=False) == {"Title": ""}


def test_it_sends_numbers_as_numbers_and_keeps_what_is_not_one_as_text():
    assert fit({"AI_Lead_Score__c": "82"}, FIELDS, creating=True) == {"AI_Lead_Score__c": 82}
    assert fit({"AI_Lead_Score__c": "high"}, FIELDS, creating=True) == {
        "Description": "AI lead score: high"
    }


def test_it_cuts_a_long_text_to_its_field_and_keeps_the_whole_on_a_line():
    sent = fit({"LastName": "x" * 81}, FIELDS, creating=True, description="VIP")
    assert sent == {"LastName": "x" * 80, "Description": "VIP\nLast Name: " + "x" * 81}


def test_a_line_for_a_label_replaces_the_older_one():
    sent = fit({"AI_Intent__c": "booking"}, FIELDS, creating=False,
               description="AI intent: question\nVIP")  # fmt: skip
    assert sent == {"Description": "VIP\nAI intent: booking"}
