"""Whatever an event body holds, the Graph emulator answers with a created event or Graph's
refusal, never a crash (which would reach a test as a 500 Graph never sends)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from emulators.graph import control, render, store, validate

pytestmark = pytest.mark.django_db
WINDOW = (datetime(2026, 12, 1, tzinfo=UTC), datetime(2027, 3, 1, tzinfo=UTC))

scalars = st.none() | st.booleans() | st.integers(-5, 40) | st.text(max_size=12)
values = st.recursive(
    scalars
    | st.sampled_from(
        [
            "UTC",
            "Europe/Berlin",
            "2027-01-01",
            "2027-01-01T09:00:00",
            "weekly",
            "monday",
            "numbered",
            "tentative",
        ]
    ),
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.dictionaries(
            st.sampled_from(
                [
                    "dateTime",
                    "timeZone",
                    "type",
                    "interval",
                    "daysOfWeek",
                    "startDate",
                    "endDate",
                    "numberOfOccurrences",
                    "dayOfMonth",
                    "month",
                    "index",
                    "pattern",
                    "range",
                    "id",
                    "value",
                    "emailAddress",
                    "address",
                ]
            ),
            inner,
            max_size=4,
        )
    ),
    max_leaves=12,
)
bodies = st.dictionaries(
    st.sampled_from(
        [
            "subject",
            "start",
            "end",
            "isAllDay",
            "showAs",
            "recurrence",
            "attendees",
            "transactionId",
            "singleValueExtendedProperties",
            "body",
            "colour",
        ]
    ),
    values,
    max_size=7,
)


@settings(
    max_examples=100,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(body=bodies)
def test_any_body_is_created_or_refused_never_a_crash(body):
    calendar = control.default_calendar("fuzz")
    try:
        event_id = control.insert_event("fuzz", calendar, body)
    except validate.Refusal as refusal:
        assert 400 <= refusal.status < 500 and refusal.code
    else:  # and what was stored can be shown in a view, series expanded
        box = control.mailbox("fuzz")
        items = render.view(store.calendar_of(box, calendar), WINDOW, "Europe/Berlin")
        assert all(i["start"]["timeZone"] == "Europe/Berlin" for i in items)
        assert event_id in {e["id"] for e in control.stored_events("fuzz")}
