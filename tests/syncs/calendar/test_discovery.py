"""Calendar discovery against the Google and Graph emulators: a connection's calendars get
roles (the primary one takes bookings, the others block), a role staff set is never flipped, a
calendar gone from the account stops blocking, and a vendor's refusal is raised and recorded
with the vendor's own words, the rows untouched."""

from __future__ import annotations

import pytest

from connectors.base import ConnectorError
from connectors.models import Connection
from connectors.oauth import TokenSet
from connectors.services import connection_connect
from emulators.google_calendar import control as google_control
from emulators.google_calendar.models import GCalendar
from emulators.graph import control as graph_control
from emulators.models import EmulatorGrant
from syncs.calendar.discovery import DISCOVERY_FAILED, calendar_roles_discover
from syncs.calendar.models import CalendarRole
from syncs.calendar.tasks import discover_calendars
from syncs.models import AuditEntry
from tests.connectors.google.conftest import google  # noqa: F401
from tests.connectors.outlook.conftest import graph  # noqa: F401
from tests.syncs.conftest import drain_memory_queue

pytestmark = pytest.mark.django_db(transaction=True)
ROLE = CalendarRole.Role


def roles_of(connection: Connection) -> dict[str, CalendarRole]:
    return {r.calendar_id: r for r in CalendarRole.objects.filter(connection=connection)}


def test_it_gives_googles_primary_calendar_the_bookings_and_the_others_block(google):  # noqa: F811
    connection, account = google()
    google_control.primary(account, time_zone="America/New_York")
    google_control.add_calendar(
        account,
        "team@group.example",
        summary="Team",
        access_role="writer",
        time_zone="Europe/Berlin",
    )
    google_control.add_calendar(account, "holidays@group.example", access_role="reader")
    result = calendar_roles_discover(connection, actor="system")
    found = roles_of(connection)
    primary = f"{account}@example.com"
    assert {k: r.role for k, r in found.items()} == {
        primary: ROLE.WRITES,
        "team@group.example": ROLE.BLOCKS,
        "holidays@group.example": ROLE.BLOCKS,
    }
    assert found["team@group.example"].name == "Team"
    assert found["team@group.example"].time_zone == "Europe/Berlin"
    assert found[primary].time_zone == "America/New_York"
    assert len(result.added) == 3
    entry = AuditEntry.objects.get(action="calendar.discovered")
    assert entry.target == f"connection:{connection.pk}"


def test_it_never_flips_a_role_staff_set_and_ignores_a_calendar_that_is_gone(google):  # noqa: F811
    connection, account = google()
    google_control.add_calendar(account, "team@group.example", summary="Team")
    google_control.add_calendar(account, "old@group.example", summary="Old")
    calendar_roles_discover(connection, actor="system")
    primary = f"{account}@example.com"
    CalendarRole.objects.filter(connection=connection, calendar_id=primary).update(
        role=ROLE.BLOCKS, tentative=CalendarRole.Tentative.FREE
    )
    CalendarRole.objects.filter(calendar_id="team@group.example").update(role=ROLE.WRITES)
    google_control.add_calendar(account, "team@group.example", summary="Team (renamed)")
    GCalendar.objects.filter(account__account_id=account, cal_id="old@group.example").delete()

    result = calendar_roles_discover(connection, actor="system")

    found = roles_of(connection)
    assert found[primary].role == ROLE.BLOCKS
    assert found[primary].tentative == CalendarRole.Tentative.FREE
    assert found["team@group.example"].role == ROLE.WRITES
    assert found["team@group.example"].name == "Team (renamed)"
    assert found["old@group.example"].role == ROLE.IGNORED
    assert result.gone == ["Old"] and result.renamed == ["Team (renamed)"]
    assert "gone from the account, now ignored: Old" in result.summary()


def test_a_second_connection_does_not_take_the_bookings_from_the_first(google, graph):  # noqa: F811
    g_connection, _account = google()
    calendar_roles_discover(g_connection, actor="system")
    calendar_roles_discover(graph.connection, actor="system")
    writers = CalendarRole.objects.filter(client=g_connection.client, role=ROLE.WRITES)
    assert [r.connection_id for r in writers] == [g_connection.pk]
    assert roles_of(graph.connection)[graph.calendar].role == ROLE.BLOCKS


def test_it_gives_graphs_default_calendar_the_bookings(graph):  # noqa: F811
    shared = graph_control.add_calendar(graph.account, "Colleague", can_edit=False)
    calendar_roles_discover(graph.connection, actor="system")
    found = roles_of(graph.connection)
    assert found[graph.calendar].role == ROLE.WRITES
    assert found[shared].role == ROLE.BLOCKS and found[shared].name == "Colleague"
    assert found[shared].time_zone == ""  # Graph's calendar has no zone: the client's is used


def test_a_refused_list_is_raised_with_googles_words_and_changes_nothing(google):  # noqa: F811
    connection, account = google()
    calendar_roles_discover(connection, actor="system")
    before = {k: r.role for k, r in roles_of(connection).items()}
    # A grant without a calendar-list scope: Google's 403 insufficientPermissions.
    EmulatorGrant.objects.filter(provider="google", account_id=account).update(
        scopes=["https://www.googleapis.com/auth/calendar.events"]
    )
    with pytest.raises(ConnectorError) as caught:
        calendar_roles_discover(connection, actor="system")
    assert "insufficient authentication scopes" in str(caught.value)
    assert {k: r.role for k, r in roles_of(connection).items()} == before


def test_connecting_a_calendar_discovers_its_calendars_on_a_worker(google, world):  # noqa: F811
    _connection, account = google()
    google_control.add_calendar(account, "team@group.example", summary="Team")
    drain_memory_queue("syncs.calendar.discover")
    connection = connection_connect(
        client=world.client_a,
        provider="google",
        tokens=TokenSet(access_token=Connection.objects.get(provider="google").access_token),
        tenant_settings={},
    )
    published = drain_memory_queue("syncs.calendar.discover")
    assert published == [([connection.pk], None)]
    assert discover_calendars.apply(args=[connection.pk]).get() == "2 new; 0 unchanged"
    assert set(roles_of(connection)) == {f"{account}@example.com", "team@group.example"}


def test_a_crm_connection_discovers_nothing(world):
    drain_memory_queue("syncs.calendar.discover")
    connection_connect(
        client=world.client_a,
        provider="hubspot",
        tokens=TokenSet(access_token="t"),
        tenant_settings={},
    )
    assert drain_memory_queue("syncs.calendar.discover") == []


def test_a_refused_discovery_on_the_worker_is_recorded_for_staff(google):  # noqa: F811
    connection, account = google()
    EmulatorGrant.objects.filter(provider="google", account_id=account).update(
        scopes=["https://www.googleapis.com/auth/calendar.events"]
    )
    assert discover_calendars.apply(args=[connection.pk]).get() == "refused"
    entry = AuditEntry.objects.get(action=DISCOVERY_FAILED)
    assert entry.details["status"] == 403
    assert "insufficient authentication scopes" in entry.details["message"]
    assert not CalendarRole.objects.exists()


def test_an_account_without_a_primary_writes_to_its_only_writable_calendar():
    from connectors.base import CalendarInfo
    from syncs.calendar.discovery import booking_calendar

    home = CalendarInfo("/dav/home/", "Home", can_write=True)
    shared = CalendarInfo("/dav/shared/", "Shared", can_write=False)
    work = CalendarInfo("/dav/work/", "Work", can_write=True)
    assert booking_calendar([shared, home]) == "/dav/home/"
    assert booking_calendar([shared, home, work]) is None  # two: staff choose
    primary = CalendarInfo("primary", "Me", can_write=True, primary=True)
    assert booking_calendar([home, primary]) == "primary"
