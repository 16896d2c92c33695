"""The DST matrix of issue 17, property-tested: over spring-forward and fall-back days in five
zones, with timed, tentative, all-day and recurring events (an EXDATE and a moved instance),
``free_slots`` offers exactly what a plain minute-by-minute oracle (``matrix.oracle_slots``)
finds: nothing inside busy time plus buffers, nothing free lost."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from syncs.calendar.availability import IGNORED

from .matrix import MATRIX, ZONES, cases, oracle_instances, oracle_slots, run


def test_it_tests_real_transition_days():
    """The DST rows of the matrix are days whose offset really changes (else the matrix
    would test nothing), and Lord Howe's change is half an hour."""
    changes = {}
    for zone_name, day in MATRIX:
        zone = ZoneInfo(zone_name)
        before = datetime.combine(day, time(0), zone).utcoffset()
        after = datetime.combine(day, time(23, 59), zone).utcoffset()
        changes[(zone_name, day)] = after - before
    assert changes[("Europe/Berlin", date(2026, 3, 29))] == timedelta(hours=1)
    assert changes[("Europe/Berlin", date(2026, 10, 25))] == timedelta(hours=-1)
    assert changes[("America/New_York", date(2026, 3, 8))] == timedelta(hours=1)
    assert changes[("America/New_York", date(2026, 11, 1))] == timedelta(hours=-1)
    assert changes[("Australia/Lord_Howe", date(2026, 10, 4))] == timedelta(minutes=30)
    assert changes[("Australia/Lord_Howe", date(2026, 4, 5))] == timedelta(minutes=-30)


# --- Properties ------------------------------------------------------------------------------


@settings(max_examples=200, deadline=None, database=None)
@given(cases())
def test_it_offers_exactly_the_free_slots_the_oracle_finds(case):
    offered = {(s.start, s.end) for s in run(case).slots}
    expected = oracle_slots(case)
    assert not offered - expected, (
        f"offered inside busy or closed time: {sorted(offered - expected)}"
    )
    assert not expected - offered, f"free slots lost: {sorted(expected - offered)}"


@settings(max_examples=100, deadline=None, database=None)
@given(cases())
def test_it_never_offers_a_slot_touching_blocking_busy_time_plus_buffers(case):
    blocking = [(s, e) for s, e, status, role in case.timed if role != IGNORED and status == "busy"]
    if case.series_role != IGNORED:
        blocking += oracle_instances(case)
    before, after = timedelta(minutes=case.before), timedelta(minutes=case.after)
    for slot in run(case).slots:
        for s, e in blocking:
            assert not (slot.start - before < e and slot.end + after > s), (slot, s, e)


@settings(max_examples=60, deadline=None, database=None)
@given(cases(), st.sampled_from(ZONES))
def test_slots_in_the_callers_zone_keep_their_utc_offset(case, caller):
    slots = run(case).slots
    shown = [slot.in_zone(caller)[0].isoformat() for slot in slots]
    assert len(set(shown)) == len(shown)  # a repeated wall time differs by its offset
    for slot, text in zip(slots, shown, strict=True):
        parsed = datetime.fromisoformat(text)
        assert parsed == slot.start
        naive_utc = slot.start.astimezone(UTC).replace(tzinfo=None)
        wall = ZoneInfo(caller).fromutc(slot.start.astimezone(UTC).replace(tzinfo=ZoneInfo(caller)))
        assert parsed.utcoffset() == wall.replace(tzinfo=None) - naive_utc
