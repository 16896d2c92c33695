"""Normalisation tables: names, phones with regions, e-mails."""

from __future__ import annotations

import pytest

from syncs.intake import personname
from syncs.intake.normalise import (
    normalise_email,
    normalise_name,
    normalise_person,
    normalise_phone,
    split_full_name,
)
from syncs.intake.personname import parse_name


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("JOHN MCDONALD", "John McDonald"),
        ("john mcdonald", "John McDonald"),
        ("john macdonald", "John MacDonald"),
        ("MARY O'BRIEN", "Mary O'Brien"),
        ("mary o\u2019brien", "Mary O\u2019Brien"),
        ("pieter van der berg", "Pieter van der Berg"),
        ("MARIA DE LA CRUZ", "Maria de la Cruz"),
        ("luca d'angelo", "Luca D'Angelo"),
        ("anne-marie smith-jones", "Anne-Marie Smith-Jones"),
        ("JEAN-LUC PICARD", "Jean-Luc Picard"),
        ("John DeVito", "John DeVito"),  # cased on purpose: kept
        ("mack smith", "Mack Smith"),  # Mack is not Mac+k
        ("van morrison", "Van Morrison"),  # a particle first is a name
        ("john smith iii", "John Smith III"),
        ("  ada   lovelace ", "Ada Lovelace"),
        ("ludwig VON beethoven", "Ludwig von Beethoven"),
    ],
)
def test_it_capitalises_names_consistently(raw, expected):
    assert normalise_name(raw) == expected


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("van der berg", "van der Berg"),
        ("DE LA CRUZ", "de la Cruz"),
        ("o'brien", "O'Brien"),
        ("van", "Van"),
    ],
)
def test_it_keeps_particles_lower_in_a_surname(raw, expected):
    assert normalise_name(raw, surname=True) == expected


@pytest.mark.parametrize(
    "raw, first, last",
    [
        ("John Smith", "John", "Smith"),
        ("Maria de la Cruz", "Maria", "de la Cruz"),
        ("Pieter van der Berg", "Pieter", "van der Berg"),
        ("Mary Ann Smith", "Mary Ann", "Smith"),
        ("Smith, John", "John", "Smith"),
        ("Dr. John Smith Jr.", "John", "Smith Jr."),
        ("Cher", "Cher", ""),
        ("", "", ""),
    ],
)
def test_it_splits_a_full_name(raw, first, last):
    assert split_full_name(raw) == (first, last)


@pytest.mark.parametrize(
    "raw, region, expected",
    [
        ("(415) 555-2671", "US", "+14155552671"),
        ("415.555.2671", "US", "+14155552671"),
        ("+1 415 555 2671", "GB", "+14155552671"),  # an explicit country code wins
        ("020 7946 0958", "GB", "+442079460958"),
        ("07911 123456", "GB", "+447911123456"),
        ("030 123456", "DE", "+4930123456"),
        ("0044 20 7946 0958", "DE", "+442079460958"),
    ],
)
def test_it_formats_phones_as_e164_in_the_clients_region(raw, region, expected):
    assert normalise_phone(raw, region) == expected


@pytest.mark.parametrize(
    "raw, region", [("555-01", "US"), ("12", "GB"), ("call me", "US"), ("(415) 555-2671", "GB")]
)
def test_it_refuses_phones_that_are_not_valid_with_a_reason(raw, region):
    with pytest.raises(ValueError, match="phone"):
        normalise_phone(raw, region)


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("Mary@Example.COM", "Mary@example.com"),
        (" bob@example.org ", "bob@example.org"),
        ("first.last+tag@Sub.Example.co.uk", "first.last+tag@sub.example.co.uk"),
    ],
)
def test_it_lower_cases_only_the_email_domain(raw, expected):
    assert normalise_email(raw) == expected


@pytest.mark.parametrize(
    "raw", ["mary@@example.com", "mary", "mary@", "@example.com", "mary@exa mple.com", "a@b"]
)
def test_it_refuses_invalid_emails(raw):
    with pytest.raises(ValueError, match="email"):
        normalise_email(raw)


def test_a_person_without_email_or_phone_cannot_be_synced():
    person = normalise_person({"name": "Ada Lovelace"}, "GB")
    assert person.problems and "no email or phone" in person.problems[0]


def test_a_person_collects_every_problem():
    person = normalise_person({"name": "x", "email": "bad", "phone": "1"}, "US")
    assert len(person.problems) == 2


def test_a_person_takes_first_and_last_over_a_full_name():
    person = normalise_person(
        {"name": "ignored", "first_name": "ADA", "last_name": "lovelace", "email": "a@b.example"},
        "GB",
    )
    assert (person.first_name, person.last_name, person.full_name) == (
        "Ada",
        "Lovelace",
        "Ada Lovelace",
    )


@pytest.mark.parametrize(
    "raw, first, last",
    [
        ("Hi, I'm Kathy Jones", "Kathy", "Jones"),
        ("Hallo, ich bin Gabi Weber", "Gabi", "Weber"),
        ("Name: Ray Smith", "Ray", "Smith"),
        ("my name is Steffi Graf.", "Steffi", "Graf"),
        ("Hi there! My name's Bob O'Neil from Acme", "Bob", "O'Neil"),
        ("Guten Tag, mein Name ist Ursula von der Leyen", "Ursula", "von der Leyen"),
        ("G'day, Bruce Wayne here", "Bruce", "Wayne"),
        ("Hello :) it's Anna-Lena Meier, danke", "Anna-Lena", "Meier"),
        ("Herr Hans Müller", "Hans", "Müller"),
        ("Frau Dr. Steffi Graf", "Steffi", "Graf"),
        ("Mrs Smith", "", "Smith"),
        ("Prof. Dr. Gabi Schmidt", "Gabi", "Schmidt"),
        ("John Smith Sr.", "John", "Smith Sr."),
        ("Mr Ray O'Neil III", "Ray", "O'Neil III"),
        ("Bob Smith, PhD", "Bob", "Smith"),
        ("Smith J", "J", "Smith"),
        ("Hilary Clinton", "Hilary", "Clinton"),  # "Hi" inside a name is a name
        ("Imogen Poots", "Imogen", "Poots"),
    ],
)
def test_it_removes_chatbot_artefacts_and_titles_before_splitting(raw, first, last):
    assert split_full_name(raw) == (first, last)


def test_it_parses_titles_generations_and_initials_into_their_own_parts():
    parsed = parse_name("Hi, I'm Dr. John Q. Smith Jr.")
    assert (parsed.title, parsed.first, parsed.middle, parsed.last) == (
        "Dr.",
        "John",
        "Q.",
        "Smith",
    )
    assert parsed.generation == "jr"
    assert parse_name("John Smith 2nd").generation == "ii"
    assert parse_name("Kathryn 'Kathy' Jones").nickname == "Kathy"
    assert parse_name("Anna Berg geb. Lindqvist").maiden == "Lindqvist"
    assert parse_name("Hey").first == parse_name("Hey").last == ""


def test_separate_name_fields_are_cleaned_too():
    person = normalise_person(
        {"first_name": "Hallo, ich bin Herr Hans", "last_name": "MÜLLER", "email": "h@b.example"},
        "DE",
    )
    assert (person.first_name, person.last_name) == ("Hans", "Müller")
    person = normalise_person({"first_name": "John", "last_name": "smith jr.", "phone": ""}, "US")
    assert person.last_name == "Smith Jr."


def test_each_name_field_is_parsed_once_whatever_it_is_paired_with():
    """A first name or family name already seen costs no ``HumanName`` parse of its own
    (three per new person before, about 0.7 ms each): only the whole name is parsed."""
    personname.parse_parts("Quennell", "Abernathy-Voss")  # names no other test uses
    misses = personname._parts_of.cache_info().misses
    parsed = personname.parse_parts("Quennell", "Okonkwo-Lindqvist Jr.")
    personname.parse_parts("Herr Dr. Ulbrecht", "Abernathy-Voss")
    assert personname._parts_of.cache_info().misses == misses + 2  # one new field each
    assert (parsed.first, parsed.last, parsed.generation) == ("Quennell", "Okonkwo-Lindqvist", "jr")
