"""A booking as a Pipedrive meeting activity on the person, against the Pipedrive emulator;
every activity body is checked against ``AddActivityRequest`` (``conftest``)."""

from __future__ import annotations

import pytest

from connectors.base import ConnectorError, CrmContact
from connectors.pipedrive.client import build
from emulators.crm import control
from tests.connectors.meeting_checks import draft, run_lifecycle

pytestmark = pytest.mark.django_db(transaction=True)
V = "pipedrive"


def test_it_logs_finds_moves_and_deletes_an_activity(emulated):
    connection, account = emulated(V)
    logged, updated = run_lifecycle(build(connection), V, account, "activities")
    # In UTC: 10:30 in Berlin on the day after the spring change is 08:30Z.
    assert (logged["due_date"], logged["due_time"], logged["duration"]) == (
        "2027-03-28", "08:30", "00:45",
    )  # fmt: skip
    assert (logged["type"], logged["done"], logged["busy"]) == ("meeting", False, True)
    assert logged["participants"] == [{"person_id": logged["person_id"], "primary": True}]
    assert "Switchboard booking: bk-1" in logged["note"]
    assert (updated["due_date"], updated["done"]) == ("2027-03-29", True)
    assert updated["subject"] == "No-show: Consultation with Ada"


def test_a_cancelled_meeting_is_done_and_no_longer_busy(emulated):
    connection, account = emulated(V)
    crm = build(connection)
    person = crm.create_contact(CrmContact(email="c@example.com", first_name="C"), source_tag="t")
    activity = crm.log_meeting(person.id, draft())
    crm.update_meeting(activity.id, draft(outcome="cancelled"))
    stored = control.record(V, account, activity.id)["data"]
    assert (stored["done"], stored["busy"]) == (True, False)


def test_an_activity_for_a_person_that_is_not_there_is_refused(emulated):
    connection, _ = emulated(V)
    with pytest.raises(ConnectorError) as refused:
        build(connection).log_meeting("999999", draft())
    assert refused.value.permanent
