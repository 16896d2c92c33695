"""Local wall time turned into instants, across DST changes.

Business hours, all-day events and slot alignment are all said in a zone's wall time, which is
not a straight line over real time: a spring-forward skips some wall times, a fall-back repeats
some. Rather than convert wall times one by one (and guess what a missing or repeated one means),
this module cuts time into *pieces* over which the zone's UTC offset is constant; inside a piece
wall time is instant plus offset, so every question becomes plain arithmetic. The rule that
follows: an instant belongs to a wall-time window when its own wall clock reads a time inside
the window, on its own local date. A skipped time belongs to nothing; a repeated one twice.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

MINUTES_PER_DAY = 24 * 60
UTC_ZONE = UTC
# Offsets change at most twice a year in every zone, never twice within an hour, so probing
# hourly and then bisecting finds each change to the second.
_PROBE = timedelta(hours=1)

Span = tuple[datetime, datetime]
Window = tuple[int, int]  # minutes since local midnight, [start, end), end at most 1440


@dataclass(frozen=True)
class Piece:
    """[start, end) in UTC over which ``zone`` keeps one UTC ``offset``."""

    start: datetime
    end: datetime
    offset: timedelta

    def local_dates(self) -> Iterator[date]:
        """Every local date some instant of this piece has."""
        day = (self.start + self.offset).date()
        last = (self.end - timedelta(microseconds=1) + self.offset).date()
        while day <= last:
            yield day
            day += timedelta(days=1)

    def midnight(self, day: date) -> datetime:
        """The instant whose wall clock would read 00:00 on ``day`` at this piece's offset
        (it may lie outside the piece)."""
        return datetime.combine(day, time(), UTC) - self.offset


def zone_named(name: str) -> ZoneInfo:
    """The IANA zone ``name``; raises ``ValueError`` for an unknown one."""
    try:
        return ZoneInfo(name)
    except (ValueError, KeyError) as exc:  # ZoneInfoNotFoundError is a KeyError
        raise ValueError(f"{name!r} is not an IANA time zone") from exc


def _offset(zone: ZoneInfo, instant: datetime) -> timedelta:
    offset = instant.astimezone(zone).utcoffset()
    assert offset is not None  # a ZoneInfo always answers
    return offset


def _first_change(zone: ZoneInfo, lo: datetime, hi: datetime) -> datetime:
    """The first instant in (lo, hi] whose offset differs from lo's, to the second."""
    before = _offset(zone, lo)
    lo_s, hi_s = int(lo.timestamp()), int(hi.timestamp())
    while hi_s - lo_s > 1:
        mid = (lo_s + hi_s) // 2
        if _offset(zone, datetime.fromtimestamp(mid, UTC)) == before:
            lo_s = mid
        else:
            hi_s = mid
    return datetime.fromtimestamp(hi_s, UTC)


def offset_pieces(zone: ZoneInfo, start: datetime, end: datetime) -> list[Piece]:
    """[start, end) cut where ``zone`` changes its UTC offset. Transitions fall on whole
    seconds, so ``start`` is floored to one before probing."""
    start = start.astimezone(UTC).replace(microsecond=0)
    end = end.astimezone(UTC)
    pieces: list[Piece] = []
    piece_start, offset, probe = start, _offset(zone, start), start
    while probe < end:
        step = min(probe + _PROBE, end)
        if _offset(zone, step) != offset:
            change = _first_change(zone, probe, step)
            if change < end:
                pieces.append(Piece(piece_start, change, offset))
                piece_start, offset = change, _offset(zone, change)
        probe = step
    pieces.append(Piece(piece_start, end, offset))
    return pieces


def merge(spans: Sequence[Span]) -> list[Span]:
    """Sorted, disjoint spans covering the same instants; touching spans join, empty ones
    (a zero-length event) cover nothing and go."""
    merged: list[Span] = []
    for start, end in sorted(s for s in spans if s[1] > s[0]):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def wall_spans(
    pieces: Sequence[Piece], windows_for: Callable[[date], Sequence[Window]]
) -> list[Span]:
    """The instants whose local wall time lies in one of ``windows_for(their local date)``,
    as merged UTC spans."""
    spans: list[Span] = []
    for piece in pieces:
        for day in piece.local_dates():
            midnight = piece.midnight(day)
            for first, last in windows_for(day):
                start = max(piece.start, midnight + timedelta(minutes=first))
                end = min(piece.end, midnight + timedelta(minutes=last))
                if start < end:
                    spans.append((start, end))
    return merge(spans)


def aligned_instants(pieces: Sequence[Piece], interval_minutes: int) -> Iterator[datetime]:
    """Instants whose wall clock reads a whole multiple of ``interval_minutes`` after local
    midnight (counting restarts each midnight). A repeated wall time yields both instants, a
    skipped one none; yielded in time order."""
    step = timedelta(minutes=interval_minutes)
    for piece in pieces:
        for day in piece.local_dates():
            instant = piece.midnight(day)
            for _ in range(0, MINUTES_PER_DAY, interval_minutes):
                if piece.start <= instant < piece.end:
                    yield instant
                instant += step


def local_date(instant: datetime, zone: ZoneInfo) -> date:
    """The date a wall calendar in ``zone`` shows at ``instant``."""
    return instant.astimezone(zone).date()
