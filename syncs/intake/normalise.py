"""Validation and normalisation of what a chatbot captured, before anything is sent.

Phones become E.164 read in the client's default region (phonenumbers), e-mails are checked
for syntax by email-validator (no DNS: a chatbot lead must not wait on a resolver) with the
domain lower-cased and the local part kept (RFC 5321: the local part may be case-sensitive),
names get a consistent capitalisation that respects McDonald, O'Brien, van der Berg and the
like. What cannot be made valid comes back as a list of reasons; the caller holds the job for
review instead of writing something wrong.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field

import phonenumbers
from email_validator import EmailNotValidError, validate_email

from syncs.intake.personname import parse_name, parse_parts

# Lower-case inside a name (not as its first word): "van der Berg", "de la Cruz".
PARTICLES = frozenset(
    {"van", "von", "der", "den", "de", "del", "della", "di", "da", "das", "dos", "du", "la",
     "le", "ter", "ten", "bin", "ibn", "al", "el", "y", "e"}
)  # fmt: skip
SUFFIXES = {"jr": "Jr", "sr": "Sr", "ii": "II", "iii": "III", "iv": "IV", "phd": "PhD"}
# "Mac" is a prefix in MacDonald but not in these (from Lingua::EN::NameCase's exceptions).
MAC_EXCEPTIONS = frozenset(
    {"mack", "mace", "macey", "macy", "macon", "machin", "machlin", "machar", "mackle",
     "macklin", "mackie", "macquarie", "machado", "macias", "maciulis", "macevicius", "macmurdo"}
)  # fmt: skip


def _cap(word: str) -> str:
    return word[:1].upper() + word[1:].lower()


def _case_word(word: str) -> str:
    """One word (no spaces): hyphen parts and apostrophes each capitalised, Mc/Mac kept."""
    if "-" in word:
        return "-".join(_case_word(part) for part in word.split("-"))
    lower = word.lower()
    if lower.rstrip(".") in SUFFIXES:
        return SUFFIXES[lower.rstrip(".")] + ("." if lower.endswith(".") else "")
    if "'" in word or "\u2019" in word:
        mark = "'" if "'" in word else "\u2019"
        head, _, tail = word.partition(mark)
        return _cap(head) + mark + _case_word(tail) if tail else _cap(head) + mark
    if lower.startswith("mc") and len(lower) > 3:
        return "Mc" + _cap(lower[2:])
    if lower.startswith("mac") and len(lower) > 5 and lower not in MAC_EXCEPTIONS:
        return "Mac" + _cap(lower[3:])
    return _cap(word)


def _deliberately_cased(word: str) -> bool:
    """'DeVito', 'McDonald' as typed: an upper-case letter after the first, and lower ones."""
    letters = [c for c in word if c.isalpha()]
    return (
        any(c.islower() for c in letters)
        and any(c.isupper() for c in letters[1:])
        and not word.isupper()
    )


def normalise_name(raw: str, *, surname: bool = False) -> str:
    """Consistent capitalisation; a word someone clearly cased on purpose is kept as typed.
    Particles are lower-case except as a full name's first word ("Van Morrison"); in a
    ``surname`` they are lower-case throughout ("van der Berg")."""
    words = raw.split()
    out = []
    for index, word in enumerate(words):
        if _deliberately_cased(word) and not raw.isupper():
            out.append(word)
        elif (index > 0 or surname) and word.lower() in PARTICLES and len(words) > 1:
            out.append(word.lower())
        else:
            out.append(_case_word(word))
    return " ".join(out)


def split_full_name(raw: str) -> tuple[str, str]:
    """(first, last) of a full name as typed in a chat: greetings, form labels and titles are
    dropped, the last name keeps its particles and generation ("Maria de la Cruz", "John Smith
    Jr."), "Smith, John" is read as last name first (``syncs.intake.personname``, on nameparser)."""
    parsed = parse_name(raw)
    return parsed.given, parsed.family


def normalise_phone(raw: str, region: str) -> str:
    """E.164 for a number read in ``region``; raises ValueError with a reason if invalid."""
    try:
        number = phonenumbers.parse(raw, region or None)
    except phonenumbers.NumberParseException as exc:
        raise ValueError(f"phone {raw!r} cannot be read as a phone number ({exc}).") from None
    if not phonenumbers.is_valid_number(number):
        raise ValueError(f"phone {raw!r} is not a valid number (read in region {region}).")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def normalise_email(raw: str) -> str:
    """Syntax-checked; domain lower-cased, local part kept. Raises ValueError with a reason."""
    try:
        result = validate_email(raw.strip(), check_deliverability=False)
    except EmailNotValidError as exc:
        raise ValueError(f"email {raw!r} is not valid: {exc}") from None
    return f"{result.local_part}@{result.domain.lower()}"


@dataclass
class Person:
    """A normalised person, plus the reasons it could not be made valid (if any)."""

    first_name: str = ""
    last_name: str = ""
    email: str = ""
    phone: str = ""
    company: str = ""
    problems: list[str] = field(default_factory=list)
    # The same reasons by the input field they are about ("" for the person as a whole), so a
    # form can show each beside its field.
    problems_by_field: dict[str, list[str]] = field(default_factory=dict)

    def refuse(self, field_name: str, reason: str) -> None:
        self.problems.append(reason)
        self.problems_by_field.setdefault(field_name, []).append(reason)

    @property
    def full_name(self) -> str:
        return " ".join(p for p in (self.first_name, self.last_name) if p)

    def as_dict(self) -> dict[str, object]:
        data = asdict(self)
        del data["problems_by_field"]  # a form's concern; ``problems`` says the same
        data["full_name"] = self.full_name
        return data


_SPACES = re.compile(r"\s+")


def clean_name(raw: Mapping[str, object]) -> tuple[str, str]:
    """(first, last) as the CRM gets them, from ``first_name`` + ``last_name`` or ``name``: the
    separate fields carry the same chatbot artefacts ("Herr Hans") as a full name does."""
    first, last = str(raw.get("first_name") or ""), str(raw.get("last_name") or "")
    if first or last:
        parsed = parse_parts(first, last)
        first, last = parsed.given, parsed.family
    elif raw.get("name"):
        first, last = split_full_name(str(raw["name"]))
    return normalise_name(first), normalise_name(last, surname=True)


def normalise_person(raw: dict[str, object], region: str) -> Person:
    """Names, phone, e-mail and company from a lead's fields (``name`` or ``first_name`` +
    ``last_name``). A person needs an e-mail or a phone: that is how a CRM is searched before
    a create, which is what keeps a retried job from creating a duplicate."""
    person = Person(company=_SPACES.sub(" ", str(raw.get("company") or "")).strip())
    person.first_name, person.last_name = clean_name(raw)
    if raw.get("email"):
        try:
            person.email = normalise_email(str(raw["email"]))
        except ValueError as exc:
            person.refuse("email", str(exc))
    if raw.get("phone"):
        try:
            person.phone = normalise_phone(str(raw["phone"]), region)
        except ValueError as exc:
            person.refuse("phone", str(exc))
    if not raw.get("email") and not raw.get("phone"):
        person.refuse("", "no email or phone: the person cannot be found in the CRM.")
    return person
