"""The per-client database index: the matcher's candidate source, and the services that write.

``check`` reads; ``index`` records a person (linking to an exact match, or creating the person
and queueing likely duplicates for review); ``merge`` and ``dismiss`` are staff decisions.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from syncs.dedupe.estimation import UNKNOWN, detector_for
from syncs.dedupe.match import DEFAULT, Detector, Outcome, rank
from syncs.dedupe.memory import HOLDER_KINDS
from syncs.dedupe.models import DuplicateCandidate, MatchModel, Person, PersonKey
from syncs.dedupe.normalize import Profile, blocking_keys, build_profile, key_cap, stored_profile
from syncs.intake.normalise import clean_name
from tenants.models import Client
from tenants.scoping import for_client


@dataclass(frozen=True)
class CandidateMatch:
    person: Person
    score: float
    reasons: tuple[str, ...]


@dataclass
class MatchResult:
    """What ``check`` found: the person an exact match links to, and scored candidates."""

    linked: Person | None = None
    linked_reasons: tuple[str, ...] = ()
    linked_score: float = 0.0  # the match probability of the link
    candidates: list[CandidateMatch] = field(default_factory=list)
    examined: int = 0  # people scored
    rows_read: int = 0  # key rows read from the index

    @property
    def needs_review(self) -> bool:
        """No exact match but likely duplicates: the pipeline's hook holds such a lead."""
        return self.linked is None and bool(self.candidates)

    @property
    def reason(self) -> str:
        if not self.candidates:
            return ""
        top = self.candidates[0]
        return (
            f"Possible duplicate of person {top.person.pk} ({top.person}), score "
            f"{top.score:.2f}: {', '.join(top.reasons)}."
        )


# The columns of a person a lookup reads, in this order: the whole row, so that the few people a
# check returns are built from it (``ClientIndex.people``) without a second statement.
_FIELDS = tuple(Person._meta.concrete_fields)
_COLUMNS = ", ".join(f"p.{f.column}" for f in _FIELDS)
_AT = {name: n for n, name in enumerate(f.attname for f in _FIELDS)}
_PROFILE_AT = tuple(
    _AT[name]
    for name in ("norm_first", "norm_last", "emails", "phones", "norm_company", "norm_generation")
)


class ClientIndex:
    """Candidate source over one client's ``PersonKey`` rows (never another client's).

    One round trip per check: the key lookups (each bounded by ``key_cap``, the first indexed
    kept, as in ``MemoryIndex``) and the rows of the people they name, in a single statement,
    one row per (key, person). The key lookups read only the covering index. Every part is
    filtered on the client id. ``Person`` instances are built only for the few people a check
    returns, from the rows already read (a second statement through the ORM cost a returning
    lead as much as the lookup). ``holders`` counts the people behind each e-mail and phone key,
    for the model's frequency adjustment (a landline five people give is weak evidence)."""

    def __init__(self, client: Client) -> None:
        self.client = client
        self.rows_read = 0
        self.holders: dict[tuple[str, str], int] = {}
        self.model_version: object = UNKNOWN  # the estimate's time, read with the candidates
        self._rows: dict[int, tuple] = {}  # person id -> its row as read, for ``people``
        self._load_time: Callable[[str], object] | None = None  # see ``_times_as_text``

    def lookup(self, keys: set[tuple[str, str]]) -> Mapping[int, Profile]:
        self.holders = {}
        if not keys:
            return {}
        ordered = sorted(keys)
        sql, params = self._statement(ordered)
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                self._load_time = _times_as_text(cursor.cursor)
            cursor.execute(sql, params)
            rows = cursor.fetchall()
        self.rows_read += len(rows)
        found: dict[int, Profile] = {}
        first, last, emails, phones, company, gen = _PROFILE_AT
        for key_no, *person, version in rows:
            self.model_version = version
            key = ordered[key_no]
            if key[0] in HOLDER_KINDS:
                self.holders[key] = self.holders.get(key, 0) + 1
            pid = person[0]
            if pid not in found:
                self._rows[pid] = tuple(person)
                found[pid] = _stored(
                    person[first],
                    person[last],
                    person[emails],
                    person[phones],
                    person[company],
                    person[gen],
                )
        if self._load_time is not None and isinstance(self.model_version, str):
            self.model_version = self._load_time(self.model_version)
        return found

    def _statement(self, keys: list[tuple[str, str]]) -> tuple[str, list]:
        if connection.vendor == "postgresql":
            return self._statement_of_arrays(keys)
        return self._statement_of_branches(keys)

    def _statement_of_branches(self, keys: list[tuple[str, str]]) -> tuple[str, list]:
        """One ``UNION ALL`` branch per key: any database. Its text grows with the keys."""
        keys_table, people = PersonKey._meta.db_table, Person._meta.db_table
        parts, params = [], []
        for number, (kind, value) in enumerate(keys):
            parts.append(
                f"SELECT {number} AS key_no, person_id FROM (SELECT person_id"  # noqa: S608
                f" FROM {keys_table} WHERE client_id = %s AND kind = %s AND value = %s"
                " ORDER BY person_id LIMIT %s) AS k"
            )
            params += [self.client.pk, kind, value, key_cap(kind)]
        sql = (
            f"WITH hits AS ({' UNION ALL '.join(parts)}) "  # noqa: S608
            f"SELECT h.key_no, {_COLUMNS},"
            f" (SELECT m.estimated_at FROM {MatchModel._meta.db_table} m WHERE m.client_id = %s)"
            f" FROM hits h JOIN {people} p ON p.id = h.person_id"
            " WHERE p.client_id = %s AND p.merged_into_id IS NULL"
        )
        return sql, [*params, self.client.pk, self.client.pk]

    def _statement_of_arrays(self, keys: list[tuple[str, str]]) -> tuple[str, list]:
        """PostgreSQL: the same lookups, the keys passed as arrays and each read by a
        ``LATERAL`` subquery, so the text is the same whatever the keys. A check has some 20
        keys: PostgreSQL planned the branches' statement afresh on every run (about 3 ms, twice
        per synced lead: the check and the index's re-check), and psycopg converted it anew
        (too many parameters to cache); this one is prepared once per connection and planned
        in a fraction of a millisecond. The hits are materialised before the join, as there,
        so people are read by id. A key's number is its ordinality (psycopg dumps each array
        in Python, per element). ``test_store`` holds both statements to the same rows."""
        keys_table, people = PersonKey._meta.db_table, Person._meta.db_table
        sql = (
            "WITH hits AS MATERIALIZED (SELECT k.key_no - 1 AS key_no, h.person_id"  # noqa: S608
            " FROM unnest(%s::varchar[], %s::varchar[], %s::int[]) WITH ORDINALITY"
            " AS k(kind, value, cap, key_no)"
            f" CROSS JOIN LATERAL (SELECT person_id FROM {keys_table}"
            " WHERE client_id = %s AND kind = k.kind AND value = k.value"
            " ORDER BY person_id LIMIT k.cap) AS h) "
            f"SELECT h.key_no, {_COLUMNS},"
            f" (SELECT m.estimated_at FROM {MatchModel._meta.db_table} m WHERE m.client_id = %s)"
            f" FROM hits h JOIN {people} p ON p.id = h.person_id"
            " WHERE p.client_id = %s AND p.merged_into_id IS NULL"
        )
        params = [
            [kind for kind, _ in keys],
            [value for _, value in keys],
            [key_cap(kind) for kind, _ in keys],
            self.client.pk,
            self.client.pk,
            self.client.pk,
        ]
        return sql, params

    def people(self, ids: Iterable[int]) -> dict[int, Person]:
        """The people of these ids, built from the rows the lookup read (with the database's
        converters applied, as the ORM does), or read when a lookup did not name them."""
        wanted = set(ids)
        found = {
            pid: _person(self._rows[pid], self._load_time) for pid in wanted & self._rows.keys()
        }
        if wanted - found.keys():
            missing = for_client(Person, self.client).filter(id__in=wanted - found.keys())
            found |= {p.id: p for p in missing}
        return found


def _times_as_text(cursor: Any) -> Callable[[str], object]:
    """Make this psycopg cursor read ``timestamptz`` values as their text, and return how the
    connection reads such a text (Django's time-zone loader). A lookup reads one row per
    (key, person), each with three times (the person's two and the estimate's), and loading
    them was half of a lookup's CPU; only the few people a check returns, and the estimate's
    time once, need theirs. psycopg's public adapters API: the change is this cursor's only."""
    from psycopg.pq import Format
    from psycopg.types.string import TextLoader

    oid = cursor.adapters.types["timestamptz"].oid
    loader = cursor.adapters.get_loader(oid, Format.TEXT)(oid, cursor)
    cursor.adapters.register_loader(oid, TextLoader)
    return lambda text: loader.load(text.encode())


# The positions of the columns ``_times_as_text`` leaves as text on PostgreSQL.
_TIMES = frozenset(n for n, f in enumerate(_FIELDS) if f.get_internal_type() == "DateTimeField")


def _person(row: tuple, load_time: Callable[[str], object] | None = None) -> Person:
    """A ``Person`` from a row of ``_COLUMNS``, as a queryset would have built it (times read
    as text loaded with ``load_time``)."""
    values = []
    for n, (model_field, value) in enumerate(zip(_FIELDS, row, strict=True)):
        if load_time is not None and n in _TIMES and isinstance(value, str):
            value = load_time(value)
        expression = model_field.get_col(Person._meta.db_table)
        converters = connection.ops.get_db_converters(expression)
        converted = value
        for convert in [*converters, *model_field.get_db_converters(connection)]:
            converted = convert(converted, expression, connection)
        values.append(converted)
    return Person.from_db(connection.alias, [f.attname for f in _FIELDS], values)


def _ranked(
    profile: Profile,
    people: Mapping[int, Profile],
    detector: Detector,
    holders: Mapping[tuple[str, str], int],
) -> Outcome[int]:
    """``rank``, made once for the same inputs: a synced lead is checked twice (before its CRM
    calls, and again as ``index`` records it, since another job may have indexed someone in
    between), and the re-check mostly reads the very rows the check read. ``rank`` is a pure
    function of the profile, the people in the order read, the holder counts and the detector
    (the same object while the client's estimate is, see ``detector_for``), so an equal
    re-check gets the same outcome, and a re-check that read anything else is ranked anew."""
    return _rank_once(profile, tuple(people.items()), tuple(holders.items()), _Same(detector))


class _Same:
    """A detector compared by identity: its model is a mutable dataclass (unhashable, and
    compared field by field), and ``detector_for`` keeps one per client and estimate."""

    __slots__ = ("detector",)

    def __init__(self, detector: Detector) -> None:
        self.detector = detector

    def __hash__(self) -> int:
        return id(self.detector)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Same) and other.detector is self.detector


@lru_cache(maxsize=256)
def _rank_once(
    profile: Profile,
    people: tuple[tuple[int, Profile], ...],
    holders: tuple[tuple[tuple[str, str], int], ...],
    detector: _Same,
) -> Outcome[int]:
    return rank(profile, dict(people), detector.detector, dict(holders))


def _stored(
    first: str, last: str, emails: object, phones: object, company: str, generation: str
) -> Profile:
    """The profile of a person's columns as read (the JSON lists as their text, or as lists
    where the driver decoded them)."""
    if isinstance(emails, str) and isinstance(phones, str):
        return _stored_text(first, last, emails, phones, company, generation)
    return Profile(first, last, tuple(_json(emails)), tuple(_json(phones)), company, generation)


# A person's row is read again and again: by the index's re-check of each synced lead, and by
# every later lead of the client sharing a key with them. A profile is a pure function of the
# columns' text (and frozen), so it is decoded once.
@lru_cache(maxsize=8192)
def _stored_text(
    first: str, last: str, emails: str, phones: str, company: str, generation: str
) -> Profile:
    return Profile(
        first, last, tuple(json.loads(emails)), tuple(json.loads(phones)), company, generation
    )


def _json(value: object) -> list:
    return json.loads(value) if isinstance(value, str) else list(value or [])  # type: ignore[call-overload]


PERSON_FIELDS = ("first_name", "last_name", "name", "email", "phone", "company")


def as_fields(person: object) -> dict[str, str]:
    """A dict of person fields, or any object with those attributes (the pipeline's
    normalised ``syncs.intake.normalise.Person``)."""
    if isinstance(person, dict):
        return person
    return {name: str(getattr(person, name, "") or "") for name in PERSON_FIELDS}


def check(client: Client, person_fields: dict[str, str] | object) -> MatchResult:
    """Match incoming fields against the client's people. Reads only; raises nothing."""
    person_fields = as_fields(person_fields)
    profile = build_profile(person_fields, client.default_region)
    index = ClientIndex(client)
    candidates = index.lookup(blocking_keys(profile))
    detector = detector_for(client, index.model_version) if candidates else DEFAULT
    outcome = _ranked(profile, candidates, detector, index.holders)
    found = [outcome.linked, *outcome.candidates] if outcome.linked else outcome.candidates
    people = index.people(s.person for s in found) if found else {}
    return MatchResult(
        linked=people[outcome.linked.person] if outcome.linked else None,
        linked_reasons=outcome.linked.reasons if outcome.linked else (),
        linked_score=outcome.linked.score if outcome.linked else 0.0,
        candidates=[
            CandidateMatch(people[c.person], c.score, c.reasons) for c in outcome.candidates
        ],
        examined=outcome.examined,
        rows_read=index.rows_read,
    )


def index(
    client: Client,
    person_fields: dict[str, str] | object,
    external_ids: dict[str, str] | None = None,
    *,
    result: MatchResult | None = None,
) -> Person:
    """Record a person. An exact match gets the new identifiers and ids and is returned;
    otherwise a new person is created and each likely duplicate queued for review.
    Pass the ``result`` of a ``check`` just made to skip matching twice."""
    person_fields = as_fields(person_fields)
    result = result if result is not None else check(client, person_fields)
    profile = build_profile(person_fields, client.default_region)
    with transaction.atomic():
        if result.linked is not None:
            return _absorb(result.linked, profile, external_ids or {})
        person = _create(client, person_fields, profile, external_ids or {})
        DuplicateCandidate.objects.bulk_create(
            [
                DuplicateCandidate(
                    client=client,
                    person=person,
                    existing=c.person,
                    score=c.score,
                    reasons=list(c.reasons),
                )
                for c in result.candidates
            ],
            ignore_conflicts=True,
        )
    return person


def new_person(client: Client, fields: dict[str, str], profile: Profile) -> Person:
    """An unsaved person from raw fields and their profile (bulk loading uses it too)."""
    first, last = display_name(fields)
    return Person(
        client=client,
        first_name=first[:200],
        last_name=last[:200],
        email=profile.emails[0] if profile.emails else "",
        phone=profile.phones[0] if profile.phones else "",
        company=(fields.get("company") or "").strip()[:200],
        norm_first=profile.first[:200],
        norm_last=profile.last[:200],
        norm_company=profile.company[:200],
        norm_generation=profile.generation[:8],
        emails=list(profile.emails),
        phones=list(profile.phones),
    )


def display_name(fields: dict[str, str]) -> tuple[str, str]:
    """The clean name staff see (greetings and titles gone), as the CRM gets it."""
    return clean_name(fields)


def key_rows(person: Person, profile: Profile) -> list[tuple[int, str, str, int]]:
    """Blocking keys plus one ``ext`` key per CRM id, so a CRM record finds its person: the
    ``PersonKey`` rows as (client id, kind, value, person id), for ``_insert_keys``."""
    ext = {ext_key(p, i) for p, i in person.external_ids.items()} | set(person.other_external_ids)
    keys = blocking_keys(profile) | {("ext", value) for value in ext}
    return [(person.client_id, kind, value[:255], person.pk) for kind, value in sorted(keys)]


def ext_key(provider: str, record_id: str) -> str:
    return f"{provider}:{record_id}"


def person_for_external_id(client: Client, provider: str, record_id: str) -> Person | None:
    """The (unmerged) person already holding this CRM id, through the indexed key table."""
    key = for_client(PersonKey, client).filter(kind="ext", value=ext_key(provider, record_id))
    return (
        for_client(Person, client).filter(merged_into=None, id__in=key.values("person_id")).first()
    )


def _create(client: Client, fields: dict, profile: Profile, external_ids: dict) -> Person:
    person = new_person(client, fields, profile)
    person.external_ids = {str(k): str(v) for k, v in external_ids.items()}
    person.save()
    _insert_keys(key_rows(person, profile))
    return person


def _absorb(person: Person, profile: Profile, external_ids: dict) -> Person:
    """Fold new identifiers (and CRM ids) into an existing person and index them."""
    person = Person.objects.select_for_update().get(pk=person.pk)  # a sibling may have written
    person.emails = _union(person.emails, profile.emails)
    person.phones = _union(person.phones, profile.phones)
    person.norm_first = person.norm_first or profile.first
    person.norm_last = person.norm_last or profile.last
    person.norm_company = person.norm_company or profile.company
    person.norm_generation = person.norm_generation or profile.generation
    _fold_ids(person, external_ids, person.other_external_ids)
    person.save()
    _reindex(person)
    return person


def _fold_ids(person: Person, ids: dict[str, str], others: Iterable[str]) -> None:
    """Add CRM ids; a second id for a provider is kept in ``other_external_ids`` (two CRM
    records of one person), never overwriting the first."""
    extra = list(dict.fromkeys([*person.other_external_ids, *others]))
    for provider, record_id in ids.items():
        current = person.external_ids.get(str(provider))
        if current is None:
            person.external_ids[str(provider)] = str(record_id)
        elif current != str(record_id) and ext_key(provider, record_id) not in extra:
            extra.append(ext_key(provider, record_id))
    person.other_external_ids = extra


def _union(old: Iterable[str], new: Iterable[str]) -> list[str]:
    return list(dict.fromkeys([*old, *new]))


def _reindex(person: Person) -> None:
    PersonKey.objects.filter(person=person).delete()
    _insert_keys(key_rows(person, stored_profile(person)))


def merge(candidate: DuplicateCandidate, actor: Any) -> Person:
    """Staff decision: ``candidate.person`` is ``candidate.existing``. The newer person is
    folded into the existing one (identifiers, CRM ids), kept for history with
    ``merged_into`` set, and removed from matching. Returns the surviving person.
    Raises ``ValueError`` when the candidate was already decided."""
    with transaction.atomic():
        candidate = DuplicateCandidate.objects.select_for_update().get(pk=candidate.pk)
        if candidate.status != DuplicateCandidate.Status.OPEN:
            raise ValueError(f"candidate {candidate.pk} is already {candidate.status}")
        survivor, absorbed = candidate.existing, candidate.person
        survivor.emails = _union(survivor.emails, absorbed.emails)
        survivor.phones = _union(survivor.phones, absorbed.phones)
        _fold_ids(survivor, absorbed.external_ids, absorbed.other_external_ids)
        survivor.save()
        _reindex(survivor)
        PersonKey.objects.filter(person=absorbed).delete()
        absorbed.merged_into = survivor
        absorbed.save(update_fields=["merged_into", "updated_at"])
        _decide(candidate, DuplicateCandidate.Status.MERGED, actor)
        _repoint_open_candidates(absorbed, survivor)
    return survivor


def _repoint_open_candidates(absorbed: Person, survivor: Person) -> None:
    """Open pairs naming the absorbed person now concern the survivor; a pair that would
    compare the survivor with itself is closed as merged."""
    open_pairs = DuplicateCandidate.objects.filter(status=DuplicateCandidate.Status.OPEN)
    for pair in open_pairs.filter(person=absorbed) | open_pairs.filter(existing=absorbed):
        if pair.person_id == absorbed.id:
            pair.person = survivor
        if pair.existing_id == absorbed.id:
            pair.existing = survivor
        if pair.person_id == pair.existing_id:
            pair.status = DuplicateCandidate.Status.MERGED
        pair.save()


def dismiss(candidate: DuplicateCandidate, actor: Any) -> DuplicateCandidate:
    """Staff decision: not the same person. Raises ``ValueError`` when already decided."""
    with transaction.atomic():
        candidate = DuplicateCandidate.objects.select_for_update().get(pk=candidate.pk)
        if candidate.status != DuplicateCandidate.Status.OPEN:
            raise ValueError(f"candidate {candidate.pk} is already {candidate.status}")
        _decide(candidate, DuplicateCandidate.Status.DISMISSED, actor)
    return candidate


def _decide(candidate: DuplicateCandidate, status: str, actor: Any) -> None:
    candidate.status = status
    candidate.decided_by = actor if getattr(actor, "pk", None) else None
    candidate.decided_at = timezone.now()
    candidate.save(update_fields=["status", "decided_by", "decided_at"])


def bulk_index(client: Client, people: Iterable[dict[str, str]], batch: int = 2000) -> int:
    """Load people without matching them against each other (an initial import, a benchmark).
    Returns how many were stored."""
    profiled = ((fields, build_profile(fields, client.default_region)) for fields in people)
    return bulk_index_profiled(client, profiled, batch)


def bulk_index_profiled(
    client: Client, people: Iterable[tuple[dict[str, str], Profile]], batch: int = 2000
) -> int:
    """``bulk_index`` for people whose profiles were built already (``build_profile`` with the
    client's region): a large load may build them in other processes, as name parsing is
    most of its CPU. Stored in the order given."""
    stored = 0
    chunk: list[tuple[Person, Profile]] = []
    for fields, profile in people:
        chunk.append((new_person(client, fields, profile), profile))
        if len(chunk) >= batch:
            stored += _store_chunk(chunk)
            chunk = []
    return stored + (_store_chunk(chunk) if chunk else 0)


def _store_chunk(chunk: list[tuple[Person, Profile]]) -> int:
    with transaction.atomic():
        Person.objects.bulk_create([person for person, _ in chunk])
        _insert_keys(
            (person.client_id, kind, value[:255], person.pk)
            for person, profile in chunk
            for kind, value in blocking_keys(profile)
        )
    return len(chunk)


def _insert_keys(rows: Iterable[tuple[int, str, str, int]]) -> None:
    """Key rows as plain tuples: building model instances (millions in a bulk load, some 20
    for each synced lead) costs more than the insert. PostgreSQL takes them through COPY."""
    table = PersonKey._meta.db_table
    columns = "client_id, kind, value, person_id"
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        else:
            sql = f"INSERT INTO {table} ({columns}) VALUES (%s, %s, %s, %s)"  # noqa: S608
            cursor.executemany(sql, list(rows))
