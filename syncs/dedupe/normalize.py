"""Normalisation of the fields duplicate detection compares, and the blocking keys built on them.

Pure functions over plain values (no database), so the in-memory detector behind
``manage.py find_duplicates`` and the per-client database index compute exactly the same keys.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING

import jellyfish
import phonenumbers

from syncs.dedupe.nicknames import formal_names
from syncs.intake.personname import parse_name, parse_parts

if TYPE_CHECKING:
    from syncs.dedupe.models import Person


def words(text: str) -> tuple[str, ...]:
    """Whitespace-separated words: keeps long word lists readable as data."""
    return tuple(text.split())


# Shared role mailboxes: many people write from them, so an equal address proves nothing about
# who wrote. Compared on the local part with any +tag removed.
ROLE_MAILBOXES = frozenset(
    words(
        """
    info information admin administrator office sales contact contactus hello hi support help
    helpdesk bookings booking reservations reception frontdesk team enquiries enquiry inquiries
    inquiry marketing hr jobs careers billing accounts accounting finance invoices orders service
    customerservice care mail email webmaster postmaster noreply no-reply donotreply general
    studio clinic dental appointments hey events press media partners
    """
    )
)
GMAIL_DOMAINS = frozenset({"gmail.com", "googlemail.com"})
# Particles that belong to the family name: "Ludwig van der Berg" → last name "van der berg".
NAME_PARTICLES = frozenset(
    {"van", "von", "der", "den", "de", "del", "della", "di", "da", "la", "le"}
)
COMPANY_NOISE = frozenset(
    words("the inc incorporated llc ltd limited co corp corporation company gmbh plc pty llp sa ag")
)
_NON_WORD = re.compile(r"[^a-z0-9\s]+")
_SPACES = re.compile(r"\s+")


def fold(text: str) -> str:
    """Lower-case ASCII words: accents dropped, punctuation (O'Brien, Smith-Jones) removed."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    cleaned = _NON_WORD.sub(lambda m: "" if m.group() == "'" else " ", ascii_text.lower())
    return _SPACES.sub(" ", cleaned).strip()


def split_full_name(name: str) -> tuple[str, str]:
    """``"Smith, John"`` or ``"Hi, I'm Dr. John Q. Smith Jr."`` → ``("john q", "smith")``:
    parsed by ``syncs.intake.personname`` (greetings, titles and the generation set apart)."""
    parsed = parse_name(name)
    return fold(parsed.given), fold(parsed.last)


def given(first: str) -> str:
    """The given name used for comparison: the first token (``"mary ann"`` → ``"mary"``)."""
    return first.split(" ", 1)[0] if first else ""


def normalise_email(raw: str) -> str:
    email = (raw or "").strip().lower()
    local, at, domain = email.rpartition("@")
    return email if at and local and "." in domain and " " not in email else ""


@lru_cache(maxsize=65536)  # the same addresses are compared over and over
def email_alias_key(email: str) -> str:
    """One key per mailbox: Gmail ignores dots and +tags in the local part."""
    local, _, domain = email.rpartition("@")
    if domain in GMAIL_DOMAINS:
        return f"{local.split('+', 1)[0].replace('.', '')}@gmail.com"
    return email


@lru_cache(maxsize=65536)
def email_plus_key(email: str) -> str:
    """Plus-addressing stripped on every domain (most providers deliver +tag mail to the box)."""
    alias = email_alias_key(email)
    local, _, domain = alias.rpartition("@")
    return f"{local.split('+', 1)[0]}@{domain}"


@lru_cache(maxsize=65536)
def email_local(email: str) -> str:
    return email_plus_key(email).rpartition("@")[0]


@lru_cache(maxsize=65536)
def is_role_mailbox(email: str) -> bool:
    return email_local(email.lower()).replace(".", "").replace("_", "") in ROLE_MAILBOXES


def bare_handle(local: str) -> str:
    return local.replace(".", "").replace("_", "").replace("-", "")


def strip_digits(text: str) -> str:
    return "".join(ch for ch in text if not ch.isdigit())


def is_name_handle(local: str, person: Profile) -> bool:
    """True when a mailbox name is just the person's name (jsmith, john.smith2): such a handle
    exists at every provider, so sharing it at another domain proves nothing."""
    return strip_digits(bare_handle(local)) in _name_handles(person)


def _name_handles(person: Profile) -> set[str]:
    last, handles = person.last.replace(" ", ""), {person.last.replace(" ", "")}
    for first in formal_names(given(person.first)) | {given(person.first)}:
        handles |= {first + last, last + first, first[:1] + last, first, first + last[:1]}
    return handles


def normalise_phone(raw: str, region: str = "US") -> str:
    """E.164, or '' when the text is not a possible number in ``region``."""
    if not raw or not any(ch.isdigit() for ch in raw):
        return ""
    try:
        number = phonenumbers.parse(raw, region or "US")
    except phonenumbers.NumberParseException:
        return ""
    if not phonenumbers.is_possible_number(number):
        return ""
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def phone_tail(e164: str) -> str:
    """The last seven digits: the subscriber part that survives a wrong or missing area code."""
    return e164[-7:] if len(e164) >= 8 else ""


PHONE_TYPO_DIGITS = 8  # the digits a one-digit typo is looked for in: the subscriber's end


def phone_deletions(e164: str, initials: Iterable[str] = ("",)) -> set[str]:
    """The number with one of its last ``PHONE_TYPO_DIGITS`` digits left out (the gap not
    marked, so that a swap matches), after the initial of one of the person's names.

    Two numbers one substitution apart share the key that drops that digit, two with adjacent
    digits swapped one of theirs (a symmetric deletion neighbourhood, as in Garbe's SymSpell,
    github.com/wolfgarbe/SymSpell, checked 2026-12-05), whatever else their names say, in
    either order. The initial keeps out most strangers whose numbers happen to be one digit
    apart (in a dense numbering plan, a few in every ten thousand pairs)."""
    digits = e164.lstrip("+")
    if len(digits) <= PHONE_TYPO_DIGITS:
        return set()
    start = len(digits) - PHONE_TYPO_DIGITS
    gaps = [digits[:i] + digits[i + 1 :] for i in range(start, len(digits))]
    return {f"{initial}|{gap}" for initial in initials for gap in gaps}


def name_initials(profile: Profile) -> set[str]:
    """The first letters of the given and the family name ("" for a person without a name)."""
    return {profile.first[:1], profile.last[:1]} - {""} or {""}


def normalise_company(raw: str) -> str:
    return " ".join(t for t in fold(raw or "").split() if t not in COMPANY_NOISE)


def phonetic(word: str) -> str:
    return jellyfish.metaphone(word).upper() if word else ""


# Rows read per blocking key at most: a bound on the work of one check whatever the data. The
# family-name keys below pair the name with a part of an identifier, so their buckets stay small
# at a million people; an outsized bucket (a clinic's info@ mailbox) is cut here.
KEY_CAPS = dict.fromkeys(("co_plast", "co_fi", "ph_head", "em_head", "em_tail", "em_name"), 50)
# The keys that survive a family-name typo pair a mailbox's ends or a name's initial with part
# of an identifier: looser, so read less of them (a check's time grows with what it scores).
KEY_CAPS |= dict.fromkeys(("em_pre", "ph_del"), 15)
DEFAULT_KEY_CAP = 200


def key_cap(kind: str) -> int:
    return KEY_CAPS.get(kind, DEFAULT_KEY_CAP)


@dataclass(frozen=True)
class Profile:
    """One person's normalised fields. ``emails`` and ``phones`` hold every known address."""

    first: str = ""
    last: str = ""
    emails: tuple[str, ...] = ()
    phones: tuple[str, ...] = ()
    company: str = ""
    generation: str = ""  # "jr", "sr", "iii", …: different generations are different people


def stored_profile(person: Person) -> Profile:
    """The profile a stored person was indexed under (its normalised fields, every address).
    Here rather than on the model, so the models need nothing from the matcher."""
    return Profile(
        first=person.norm_first,
        last=person.norm_last,
        emails=tuple(person.emails),
        phones=tuple(person.phones),
        company=person.norm_company,
        generation=person.norm_generation,
    )


PROFILE_FIELDS = ("first_name", "last_name", "name", "email", "phone", "company")


def build_profile(fields: dict[str, str], region: str = "US") -> Profile:
    """Profile from raw fields: first_name / last_name or a single ``name``; email; phone;
    company. Unreadable values are dropped rather than compared.

    Cached on the fields it reads (a ``Profile`` is frozen): a synced lead's person is
    profiled three times (the check, the index's re-check, the index's keys), and the name
    and phone parsing is most of a check's CPU."""
    values = tuple(fields.get(name) or "" for name in PROFILE_FIELDS)
    return _profile(*values, region)


@lru_cache(maxsize=4096)
def _profile(
    first: str, last: str, name: str, email: str, phone: str, company: str, region: str
) -> Profile:
    parsed = parse_parts(first, last) if first or last else parse_name(name)
    first, last = fold(parsed.given), fold(parsed.last)
    email = normalise_email(email)
    phone = normalise_phone(phone, region)
    if len(given(first)) == 1 and last and email:
        first = given_from_mailbox(first, last, email) or first
    return Profile(
        first=first,
        last=last,
        emails=(email,) if email else (),
        phones=(phone,) if phone else (),
        company=normalise_company(company),
        generation=parsed.generation,
    )


def given_from_mailbox(initial: str, last: str, email: str) -> str:
    """The given name an initial stands for, when the person's own mailbox spells it out:
    "A. Pemden" writing from alexander.pemden@ is Alexander, and not a relative Adam on the
    family's landline. Only a handle that is the given name then the family name (dots,
    dashes or nothing between) counts, and never a role mailbox."""
    if is_role_mailbox(email):
        return ""
    local = strip_digits(email_local(email)).replace("_", ".").replace("-", ".")
    family = last.replace(" ", "")
    head, sep, tail = local.rpartition(".")
    candidate = head if sep and tail == family else ""
    if not candidate and local.endswith(family):
        candidate = local[: -len(family)]
    candidate = candidate.rstrip(".")
    if len(candidate) > 1 and candidate.isalpha() and candidate[0] == initial[0]:
        return candidate
    return ""


def blocking_keys(profile: Profile) -> set[tuple[str, str]]:
    """(kind, value) pairs under which the profile is indexed and looked up.

    Each key is selective on its own, so a check reads a handful of rows even at a million
    people; each covers one way duplicates differ (see ``match.py`` for how they are scored).
    """
    keys: set[tuple[str, str]] = set()
    for email in profile.emails:
        keys |= {("email", email_alias_key(email)), ("email_plus", email_plus_key(email))}
        local = email_local(email)
        # The handle as evidence (``match._same_handle``) is never a role mailbox or a name.
        if not is_role_mailbox(email) and len(local) >= 4 and not is_name_handle(local, profile):
            keys.add(("email_local", local.replace(".", "")))
    for phone in profile.phones:
        keys |= {("phone", phone), ("phone7", phone_tail(phone))}
        keys |= {("ph_del", value) for value in phone_deletions(phone, name_initials(profile))}
    keys |= _name_keys(profile) | _given_keys(profile)
    keys.discard(("phone7", ""))
    return keys


def _given_keys(profile: Profile) -> set[tuple[str, str]]:
    """A key that survives a typo in the family name (which changes how it sounds) when the
    phone does not help: the mailbox's first six letters (usually the given name) with its
    last two (a typo inside the family name leaves its end). The end keeps the bucket small
    at a million people, where the six letters alone hold every Jennifer at gmail.com and a
    capped bucket keeps an arbitrary few of them. (A family-name typo beside a one-digit
    phone typo is found by ``ph_del``.)"""
    keys: set[tuple[str, str]] = set()
    for email in profile.emails:
        if is_role_mailbox(email):
            continue
        local, _, domain = email_alias_key(email).rpartition("@")
        local = bare_handle(local.split("+", 1)[0])
        if len(local) >= 8:
            keys.add(("em_pre", f"{domain}|{local[:6]}|{local[-2:]}"))
    return keys


def _name_keys(profile: Profile) -> set[tuple[str, str]]:
    """The family name (as it sounds) paired with part of an identifier.

    A name alone never makes a candidate (see ``match.score_pair``): a candidate that is no
    exact match needs an agreeing name plus fuzzy evidence, a one-character e-mail or phone
    typo, or the same company. Each key here keeps one such case findable, and pairing the name
    with a part the typo left intact keeps the bucket small even for Smiths: a phone typo in
    the last four digits leaves the first ones whole (a typo anywhere is ``ph_del``'s), an
    e-mail typo the first three letters of the mailbox or its last three (then with the given
    initial, nicknames folded to their formal names, since a mailbox usually ends with the
    family name)."""
    if not profile.last:
        return set()
    sound = phonetic(profile.last.replace(" ", ""))
    first = given(profile.first)
    initials = {first[:1]} | {f[:1] for f in formal_names(first)} if first else {""}
    keys: set[tuple[str, str]] = set()
    if profile.company:
        keys.add(("co_plast", f"{profile.company}|{sound}"))
        keys |= {("co_fi", f"{profile.company}|{initial}") for initial in initials}
    for phone in profile.phones:
        keys.add(("ph_head", f"{sound}|{phone[:-4]}"))
    for email in profile.emails:
        if is_role_mailbox(email):
            continue
        local, _, domain = email_alias_key(email).rpartition("@")
        local = local.replace(".", "")
        # The same mailbox name at a mistyped domain (exampel.com): the name keeps it small.
        keys.add(("em_name", f"{sound}|{local}"))
        if len(local) >= 6:
            keys.add(("em_head", f"{sound}|{domain}|{local[:3]}"))
            keys |= {("em_tail", f"{sound}|{i}|{domain}|{local[-3:]}") for i in initials}
    return keys
