"""The matcher core on plain values: each named behaviour of the issue."""

from __future__ import annotations

from benchmarks.datasets.synthetic import distinct_people
from syncs.dedupe.match import AUTO_LINK, REVIEW_THRESHOLD, score_pair
from syncs.dedupe.memory import MemoryIndex
from syncs.dedupe.normalize import (
    blocking_keys,
    build_profile,
    email_alias_key,
    email_plus_key,
    is_role_mailbox,
    normalise_phone,
    split_full_name,
)


def score(new: dict, old: dict, region: str = "US"):
    return score_pair(build_profile(new, region), build_profile(old, region))


def test_it_links_a_nickname_with_the_same_phone():
    value, reasons, exact = score(
        {"first_name": "Bob", "last_name": "Smith", "phone": "415 555 0100"},
        {"first_name": "Robert", "last_name": "Smith", "phone": "+1 (415) 555-0100"},
    )
    assert exact and value >= AUTO_LINK
    assert "nickname" in reasons and "phone" in reasons


def test_it_never_links_the_same_name_with_nothing_else_in_common():
    value, reasons, exact = score(
        {"name": "John Smith", "email": "john@a.example", "phone": "212 555 0101"},
        {"name": "John Smith", "email": "jsmith@b.example", "phone": "312 555 0199"},
    )
    assert not exact
    assert value < REVIEW_THRESHOLD
    assert {"first_name", "last_name", "phones_differ"} <= set(reasons)


def test_it_scores_a_typo_with_a_plus_address_as_likely_one_person():
    value, reasons, _ = score(
        {"name": "Jonathan Smiht", "email": "jsmith+crm@acme.example"},
        {"name": "Jonathan Smith", "email": "jsmith@acme.example"},
    )
    assert REVIEW_THRESHOLD <= value < 1.0
    assert {"last_typo", "email_plus"} <= set(reasons)


def test_it_reads_phone_formats_as_one_number_in_the_client_region():
    assert normalise_phone("+1 (415) 555-0100", "US") == normalise_phone("4155550100", "US")
    assert normalise_phone("4155550100", "US") == "+14155550100"
    assert normalise_phone("020 7946 0958", "GB") == "+442079460958"
    assert normalise_phone("call me", "US") == ""
    _, _, exact = score(
        {"name": "Ann Lee", "phone": "+1 (415) 555-0100"},
        {"name": "Ann Lee", "phone": "4155550100"},
    )
    assert exact


def test_it_folds_email_case_and_gmail_aliases():
    assert email_alias_key("john.doe+x@gmail.com") == "johndoe@gmail.com"
    assert email_alias_key("JohnDoe@googlemail.com".lower()) == "johndoe@gmail.com"
    assert email_plus_key("jane+news@acme.example") == "jane@acme.example"
    assert email_alias_key("jane+news@acme.example") == "jane+news@acme.example"
    _, reasons, exact = score(
        {"name": "John Doe", "email": "John.Doe+x@GMail.com"},
        {"name": "John Doe", "email": "johndoe@gmail.com"},
    )
    assert exact and "email" in reasons


def test_it_does_not_link_two_names_on_a_shared_role_mailbox():
    assert is_role_mailbox("info@acme.example") and is_role_mailbox("Sales+x@acme.example")
    assert not is_role_mailbox("jane@acme.example")
    value, reasons, exact = score(
        {"name": "Mary Jones", "email": "info@acme.example"},
        {"name": "Peter Parker", "email": "INFO@acme.example"},
    )
    assert not exact and value < REVIEW_THRESHOLD
    assert "role_mailbox" in reasons


def test_it_does_not_link_a_shared_phone_when_given_names_contradict():
    value, reasons, exact = score(
        {"name": "Sean Johnson", "phone": "512 511 9510"},
        {"name": "Stephanie Johnson", "phone": "512.511.9510"},
    )
    assert not exact and value < REVIEW_THRESHOLD
    assert "first_name_differs" in reasons


def test_it_sends_a_changed_family_name_on_one_mailbox_to_review():
    value, reasons, exact = score(
        {"name": "Anna Berg", "email": "anna.k@home.example"},
        {"name": "Anna Lindqvist", "email": "Anna.K@home.example"},
    )
    assert not exact and REVIEW_THRESHOLD <= value < AUTO_LINK
    assert {"email", "first_name", "last_name_differs"} <= set(reasons)
    value, _, exact = score(
        {"name": "Juan Bradwick", "phone": "702 668 6503"},
        {"name": "Juan Hawcombe", "phone": "+17026686503"},
    )
    assert not exact  # colleagues on one office line, or a marriage: never linked


def test_it_splits_names_with_titles_commas_and_particles():
    assert split_full_name("Dr. John Q. Smith Jr.") == ("john q", "smith")
    assert split_full_name("Smith, John") == ("john", "smith")
    assert split_full_name("Ludwig van der Berg") == ("ludwig", "van der berg")
    assert split_full_name("Siobhán O'Brien") == ("siobhan", "obrien")


JOHN = {
    "first_name": "John",
    "last_name": "Smith",
    "email": "john.smith@acme.example",
    "phone": "415 555 0100",
    "company": "Acme",
}
# The same John Smith with a typo and nothing exact: each is found through one family-name key.
FUZZY_JOHNS = (
    {**JOHN, "company": "", "email": "", "phone": "415 555 0109"},  # ph_head
    {**JOHN, "company": "", "email": "", "phone": "415 565 0100"},  # ph_del
    {**JOHN, "company": "", "phone": "", "email": "john.smiht@acme.example"},  # em_head
    {**JOHN, "company": "", "phone": "", "first_name": "Jack", "email": "jhon.smith@acme.example"},
    {"first_name": "John", "last_name": "Smtih", "company": "Acme Inc"},  # co_fi
)


def namesakes(count: int) -> list[dict[str, str]]:
    """Other John Smiths: same name, nothing else in common with ``JOHN``."""
    return [
        {
            "first_name": "John",
            "last_name": "Smith",
            "email": f"john.smith{i}@mail{i}.example",
            "phone": f"212 {300 + i} {2000 + i}",
        }
        for i in range(count)
    ]


def test_it_finds_a_fuzzy_duplicate_among_many_namesakes():
    index: MemoryIndex[int] = MemoryIndex()
    for i, fields in enumerate([*namesakes(120), JOHN]):  # John Smith indexed last
        index.add(i, build_profile(fields))
    for fields in FUZZY_JOHNS:
        outcome = index.check(build_profile(fields))
        found = [outcome.linked] if outcome.linked else []
        assert [c.person for c in found + outcome.candidates] == [120], fields
        assert outcome.examined <= 3, fields  # not the hundred namesakes


def test_it_indexes_a_personal_handle_but_not_a_name_for_another_domain():
    jsmith = blocking_keys(build_profile({"name": "John Smith", "email": "j.smith2@gmail.com"}))
    assert not [value for kind, value in jsmith if kind == "email_local"]
    handle = blocking_keys(build_profile({"name": "John Smith", "email": "skater99@gmail.com"}))
    assert ("email_local", "skater99") in handle


def test_it_indexes_nicknames_under_their_formal_initial():
    keys = blocking_keys(build_profile({**JOHN, "first_name": "Liz", "last_name": "Taylor"}))
    assert ("co_fi", "acme|e") in keys and ("co_fi", "acme|l") in keys


def test_it_keeps_the_candidate_set_small_through_blocking():
    people = list(distinct_people(3000, seed=5))
    index: MemoryIndex[int] = MemoryIndex()
    for i, fields in enumerate(people):
        index.add(i, build_profile(fields))
    for i in range(0, len(people), 50):
        index.rows_read = 0
        outcome = index.check(build_profile(people[i]))
        found = outcome.linked or outcome.candidates[0]  # info@ alone never links
        assert found.person == i
        assert outcome.examined <= 20  # of 3,000 people
        assert index.rows_read <= 60


def test_a_phone_typo_is_found_whatever_order_the_names_come_in():
    """One digit replaced or two swapped, the name written family name first: neither the
    name nor the number is equal, yet the typo key brings the pair together (in a set of
    people whose numbers share the first digits)."""
    oliver = {"name": "Oliver Rickett", "phone": "0416 090 360"}
    index: MemoryIndex[int] = MemoryIndex()
    for i in range(200):
        index.add(i, build_profile({"name": f"Ann{i} Lee{i}", "phone": f"0416 09{i:04d}"}, "AU"))
    index.add(200, build_profile(oliver, "AU"))
    for phone in ("0416 090 460", "0416 090 306"):  # replaced, swapped
        outcome = index.check(build_profile({"name": "Rickett Oliver", "phone": phone}, "AU"))
        found = [outcome.linked] if outcome.linked else []
        assert 200 in [c.person for c in found + outcome.candidates], phone
        assert outcome.examined <= 3
    stranger = index.check(build_profile({"name": "Zoe Xu", "phone": "0416 090 460"}, "AU"))
    assert stranger.examined == 0  # one digit apart, but no name letter in common


def test_an_initial_reads_the_given_name_its_own_mailbox_spells_out():
    alexander = build_profile(
        {"name": "A. Pemden", "email": "alexander.pemden@cafe.example", "phone": "646 901 3390"}
    )
    assert alexander.first == "alexander"
    assert build_profile({"name": "J. Smith", "email": "johnsmith2@x.example"}).first == "john"
    for email in ("apemden@x.example", "info@x.example", "mary.smith@x.example"):
        assert len(build_profile({"name": "A. Pemden", "email": email}).first) == 1, email
    # So the relative on the family's landline is another person, not "A." again.
    adam = build_profile({"name": "Adam Pemden", "phone": "+1 646 901 3390"})
    _, reasons, linked = score_pair(alexander, adam)
    assert not linked and "first_name_differs" in reasons
