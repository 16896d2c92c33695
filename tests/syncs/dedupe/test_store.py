"""The per-client database index: check, index, review decisions, tenant isolation."""

from __future__ import annotations

from importlib import import_module

import pytest
from django.apps import apps as django_apps
from django.db import connection
from django.test.utils import CaptureQueriesContext

from benchmarks.datasets.synthetic import distinct_people
from syncs import dedupe
from syncs.dedupe.models import DuplicateCandidate, Person, PersonKey
from syncs.dedupe.normalize import blocking_keys, build_profile, key_cap, stored_profile
from syncs.dedupe.store import ClientIndex, bulk_index, bulk_index_profiled
from syncs.intake.normalise import normalise_person

from ...conftest import make_user
from .test_match import FUZZY_JOHNS, JOHN, namesakes

pytestmark = pytest.mark.django_db

ROBERT = {
    "first_name": "Robert",
    "last_name": "Smith",
    "email": "robert.smith@acme.example",
    "phone": "+1 (415) 555-0100",
    "company": "Acme Inc",
}


def test_it_links_an_exact_match_and_folds_in_new_identifiers(world):
    robert = dedupe.index(world.client_a, ROBERT, {"hubspot": "101"})
    bob = {"first_name": "Bob", "last_name": "Smith", "email": "Robert.Smith@ACME.example"}
    bob["phone"] = "(415) 555-0111"
    result = dedupe.check(world.client_a, bob)
    assert result.linked == robert
    assert "nickname" in result.linked_reasons
    same = dedupe.index(world.client_a, bob, {"pipedrive": "7"}, result=result)
    assert same.pk == robert.pk
    same.refresh_from_db()
    assert same.phones == ["+14155550100", "+14155550111"]
    assert same.external_ids == {"hubspot": "101", "pipedrive": "7"}
    assert (
        dedupe.check(world.client_a, {"name": "Robert Smith", "phone": "4155550111"}).linked
        == robert
    )
    assert Person.objects.count() == 1


# A typo in the name and a plus-address of the mailbox, another phone: likely, not certain.
TYPO = {
    "first_name": "Robert",
    "last_name": "Smiht",
    "email": "robert.smith+web@acme.example",
    "phone": "+1 415 555 0199",
}


def test_it_queues_a_likely_duplicate_for_review(world):
    robert = dedupe.index(world.client_a, ROBERT)
    typo = TYPO
    result = dedupe.check(world.client_a, typo)
    assert result.linked is None
    assert [c.person for c in result.candidates] == [robert]
    newcomer = dedupe.index(world.client_a, typo, result=result)
    candidate = DuplicateCandidate.objects.get()
    assert (candidate.person, candidate.existing, candidate.status) == (newcomer, robert, "open")
    assert 0.5 <= candidate.score < 0.99
    assert "email_plus" in candidate.reasons


def test_it_takes_the_pipelines_normalised_person_and_says_when_to_hold(world):
    robert = dedupe.index(world.client_a, ROBERT)
    lead = normalise_person(
        {**TYPO, "first_name": "", "last_name": "", "name": "Robert Smiht"}, "US"
    )
    result = dedupe.check(world.client_a, lead)
    assert result.needs_review and [c.person for c in result.candidates] == [robert]
    assert f"person {robert.pk}" in result.reason
    exact = dedupe.check(world.client_a, normalise_person({"email": ROBERT["email"]}, "US"))
    assert exact.linked == robert and not exact.needs_review


def test_it_merges_a_candidate_into_the_existing_person(world, operator):
    robert = dedupe.index(world.client_a, ROBERT, {"hubspot": "101"})
    newcomer = dedupe.index(world.client_a, TYPO, {"salesforce": "003X"})
    candidate = DuplicateCandidate.objects.get()
    survivor = dedupe.merge(candidate, operator)
    assert survivor == robert
    survivor.refresh_from_db()
    newcomer.refresh_from_db()
    candidate.refresh_from_db()
    assert newcomer.merged_into == robert
    assert survivor.external_ids == {"hubspot": "101", "salesforce": "003X"}
    assert "robert.smith+web@acme.example" in survivor.emails
    assert (candidate.status, candidate.decided_by) == ("merged", operator)
    assert candidate.decided_at is not None
    assert not PersonKey.objects.filter(person=newcomer).exists()
    assert dedupe.check(world.client_a, {"email": "robert.smith+web@acme.example"}).linked == robert
    with pytest.raises(ValueError, match="already merged"):
        dedupe.merge(candidate, operator)


def test_it_dismisses_a_candidate(world, operator):
    dedupe.index(world.client_a, ROBERT)
    dedupe.index(world.client_a, {"name": "Robert Smith", "company": "Acme"})
    candidate = DuplicateCandidate.objects.get()
    dedupe.dismiss(candidate, operator)
    candidate.refresh_from_db()
    assert (candidate.status, candidate.decided_by) == ("dismissed", operator)
    assert Person.objects.filter(merged_into=None).count() == 2
    with pytest.raises(ValueError, match="already dismissed"):
        dedupe.dismiss(candidate, make_user("other@northwind.example", world.agency))


def test_it_never_matches_another_clients_people(world):
    dedupe.index(world.client_b, ROBERT, {"salesforce": "b-1"})
    result = dedupe.check(world.client_a, ROBERT)
    assert result.linked is None and result.candidates == []
    assert result.rows_read == 0
    person = dedupe.index(world.client_a, ROBERT)
    assert person.client == world.client_a
    assert Person.objects.count() == 2
    assert not DuplicateCandidate.objects.exists()


def test_it_does_not_link_two_people_on_a_shared_role_mailbox(world):
    mary = dedupe.index(world.client_a, {"name": "Mary Jones", "email": "info@acme.example"})
    result = dedupe.check(world.client_a, {"name": "Peter Parker", "email": "INFO@acme.example"})
    assert result.examined == 1  # found through the mailbox key, and still not linked
    assert result.linked is None and result.candidates == []
    peter = dedupe.index(world.client_a, {"name": "Peter Parker", "email": "info@acme.example"})
    assert peter != mary


def test_profiles_built_elsewhere_load_the_rows_bulk_index_writes(world):
    """The benchmark builds profiles in worker processes (``bulk_index_profiled``); what is
    stored must be what ``bulk_index`` stores for the same people, in the same order."""
    world.client_b.default_region = world.client_a.default_region
    world.client_b.save()
    people = list(distinct_people(300, seed=8))
    bulk_index(world.client_a, people, batch=70)
    region = world.client_b.default_region
    profiled = [(fields, build_profile(fields, region)) for fields in people]
    assert bulk_index_profiled(world.client_b, profiled, batch=70) == 300
    assert _stored(world.client_a) == _stored(world.client_b)
    firsts = [row[0] for row in _stored(world.client_a)[0][:3]]
    assert firsts == [fields["first_name"] for fields in people[:3]]


def _stored(client) -> tuple[list[tuple], list[tuple[int, str, str]]]:
    """A client's people (in id order, without ids and times) and their keys by position."""
    skip = {"id", "client", "created_at", "updated_at", "merged_into"}
    columns = [f.name for f in Person._meta.concrete_fields if f.name not in skip]
    people = Person.objects.filter(client=client).order_by("id")
    position = {pid: n for n, pid in enumerate(people.values_list("id", flat=True))}
    keys = PersonKey.objects.filter(client=client).values_list("person_id", "kind", "value")
    return list(people.values_list(*columns)), sorted((position[p], k, v) for p, k, v in keys)


def test_the_people_a_check_returns_are_the_stored_rows_without_a_second_statement(world):
    """The lookup reads whole rows, and the people a check returns are built from them: equal,
    field by field, to what the ORM reads (JSON lists and dicts, times, CRM ids)."""
    robert = dedupe.index(world.client_a, ROBERT, {"hubspot": "101"})
    Person.objects.filter(pk=robert.pk).update(other_external_ids=["pipedrive:7"])
    bob = {**ROBERT, "first_name": "Bob", "phone": "(415) 555-0111"}
    with CaptureQueriesContext(connection) as queries:
        result = dedupe.check(world.client_a, bob)
    assert len(queries) == 1  # the lookup, with the estimate's time
    assert result.linked == robert
    typo = dedupe.check(world.client_a, TYPO)
    assert [c.person for c in typo.candidates] == [robert]
    for person in [result.linked, typo.candidates[0].person]:
        stored = Person.objects.get(pk=person.pk)
        for model_field in Person._meta.concrete_fields:
            name = model_field.attname
            assert getattr(person, name) == getattr(stored, name), name
            assert repr(getattr(person, name)) == repr(getattr(stored, name)), name  # time zones
        assert not person._state.adding
    assert result.linked.external_ids == {"hubspot": "101"}
    assert result.linked.other_external_ids == ["pipedrive:7"]


def test_it_reads_few_index_rows_per_check(world):
    people = list(distinct_people(2000, seed=3))
    assert bulk_index(world.client_a, people) == 2000
    for fields in people[::100]:
        result = dedupe.check(world.client_a, fields)
        assert result.linked is not None or result.candidates  # info@ alone never links
        assert result.examined <= 20  # of 2,000 people
        assert result.rows_read <= 60


def test_it_finds_a_fuzzy_duplicate_among_many_namesakes(world):
    bulk_index(world.client_a, [*namesakes(120), JOHN])  # John Smith indexed last
    john = Person.objects.get(email=JOHN["email"])
    for fields in FUZZY_JOHNS:
        result = dedupe.check(world.client_a, fields)
        found = [result.linked] if result.linked else []
        assert found + [c.person for c in result.candidates] == [john], fields
        assert result.examined <= 3, fields


def test_it_reads_an_outsized_bucket_only_up_to_its_cap(world):
    office = {"email": "info@clinic.example", "company": "Clinic"}
    bulk_index(
        world.client_a, [{**office, "name": f"Person {i}"} for i in range(key_cap("email") + 5)]
    )
    result = dedupe.check(world.client_a, {"name": "Someone Else", "email": office["email"]})
    assert result.examined == key_cap("email")
    assert result.rows_read == key_cap("email") + key_cap("email_plus")


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the array statement is PostgreSQL's")
def test_the_array_statement_reads_the_same_rows_as_the_branches(world):
    """PostgreSQL reads the keys through one statement of arrays (its text the same whatever
    the keys, so it is prepared once); it must read exactly the rows of one branch per key,
    the caps included, and nothing of another client's."""
    office = {"email": "info@clinic.example", "company": "Clinic"}
    people = [{**office, "name": f"Person {i}"} for i in range(key_cap("email") + 5)]
    bulk_index(world.client_a, [*people, *namesakes(60), JOHN, ROBERT])
    bulk_index(world.client_b, [JOHN, ROBERT])
    index = ClientIndex(world.client_a)
    for fields in [*FUZZY_JOHNS, ROBERT, {"name": "Someone Else", "email": office["email"]}]:
        keys = sorted(blocking_keys(build_profile(fields)))
        rows = {}
        for statement in (index._statement_of_branches, index._statement_of_arrays):
            with connection.cursor() as cursor:
                cursor.execute(*statement(keys))
                rows[statement.__name__] = sorted(map(repr, cursor.fetchall()))
        assert rows["_statement_of_arrays"] == rows["_statement_of_branches"], fields
        assert rows["_statement_of_arrays"], fields


def test_the_migration_rebuilds_the_family_name_keys(world):
    migration = import_module("syncs.migrations.0008_dedupe_name_keys_and_covering_index")
    person = dedupe.index(world.client_a, JOHN)
    PersonKey.objects.filter(person=person, kind__in=migration.ADDED_KINDS).delete()
    PersonKey.objects.create(client=world.client_a, kind="last_fi", value="smith|j", person=person)
    migration.rebuild_name_keys(django_apps, None)
    migration.rebuild_name_keys(django_apps, None)  # applied again after going back
    keys = set(PersonKey.objects.filter(person=person).values_list("kind", "value"))
    assert keys == blocking_keys(stored_profile(person))
    assert PersonKey.objects.filter(client=world.client_a).count() == len(keys)


def test_the_model_migration_adds_the_new_keys_and_generations(world):
    migration = import_module("syncs.migrations.0012_dedupe_match_model")
    person = dedupe.index(world.client_a, {**JOHN, "last_name": "Smith Jr."})
    expected = {k for k in blocking_keys(stored_profile(person)) if k[0] in migration.ADDED_KINDS}
    assert expected  # the person has such keys
    PersonKey.objects.filter(person=person, kind__in=migration.ADDED_KINDS).delete()
    Person.objects.filter(pk=person.pk).update(norm_generation="")
    migration.add_generations_and_mailbox_name_keys(django_apps, None)
    person.refresh_from_db()
    assert person.norm_generation == "jr"
    stored = PersonKey.objects.filter(person=person, kind__in=migration.ADDED_KINDS)
    assert {(k.kind, k.value) for k in stored} == expected


def test_the_phone_typo_migration_indexes_people_stored_before_it(world):
    migration = import_module("syncs.migrations.0015_dedupe_phone_typo_keys")
    person = dedupe.index(world.client_a, JOHN)
    expected = {k for k in blocking_keys(stored_profile(person)) if k[0] in migration.ADDED_KINDS}
    assert {kind for kind, _ in expected} == {"ph_del", "em_pre"}
    PersonKey.objects.filter(person=person, kind__in=migration.ADDED_KINDS).delete()
    PersonKey.objects.create(client=world.client_a, kind="ph_tail", value="SM0|0100", person=person)
    migration.add_phone_typo_keys(django_apps, None)
    migration.add_phone_typo_keys(django_apps, None)  # applied again after going back
    stored = PersonKey.objects.filter(person=person)
    assert sorted((k.kind, k.value) for k in stored) == sorted(
        blocking_keys(stored_profile(person))
    )
    # Names in the other order, two digits swapped: found through the new key.
    lead = {"first_name": "Smith", "last_name": "John", "phone": "415 555 0010"}
    result = dedupe.check(world.client_a, lead)
    assert person in [result.linked, *(c.person for c in result.candidates)]


def test_the_index_re_check_reuses_the_checks_ranking(world):
    """A sync job checks its person, then ``index`` checks again (someone may have been
    indexed in between): when the re-check reads the same rows, the first ranking is reused
    (nothing compared again), with the same people, scores and reasons."""
    from syncs.dedupe.match import _compare

    robert = dedupe.index(world.client_a, ROBERT, {"hubspot": "101"})
    first = dedupe.check(world.client_a, TYPO)
    assert [c.person for c in first.candidates] == [robert]
    before = _compare.cache_info()
    again = dedupe.check(world.client_a, TYPO)
    after = _compare.cache_info()
    assert (after.hits, after.misses) == (before.hits, before.misses)
    assert again.examined == first.examined == 1
    assert [(c.person, c.score, c.reasons) for c in again.candidates] == [
        (c.person, c.score, c.reasons) for c in first.candidates
    ]


def test_the_index_re_check_sees_a_person_indexed_since_the_check(world):
    """Another job indexes the same person between a job's check and its index: the index's
    re-check links to that person rather than reusing the check's (empty) ranking."""
    first = dedupe.check(world.client_a, ROBERT)
    assert first.linked is None and not first.candidates
    sibling = dedupe.index(world.client_a, ROBERT, {"hubspot": "101"})
    person = dedupe.index(world.client_a, ROBERT, {"pipedrive": "7"})
    assert person.pk == sibling.pk
    assert Person.objects.count() == 1
    assert person.external_ids == {"hubspot": "101", "pipedrive": "7"}


def test_the_re_check_ranks_anew_when_a_person_read_has_changed(world):
    """A person the check scored gains a phone before the re-check (a sibling job's link):
    the re-check compares the changed person, not the check's copy, and now links."""
    robert = dedupe.index(world.client_a, ROBERT, {"hubspot": "101"})
    first = dedupe.check(world.client_a, TYPO)
    assert first.linked is None and [c.person for c in first.candidates] == [robert]
    assert "phones_differ" in first.candidates[0].reasons
    dedupe.index(world.client_a, {**ROBERT, "phone": TYPO["phone"]}, {"hubspot": "101"})
    again = dedupe.check(world.client_a, TYPO)
    assert (again.examined, again.linked, again.candidates) == (1, robert, [])
    assert "phone" in again.linked_reasons
