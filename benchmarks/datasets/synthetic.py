"""A labelled synthetic population for scoring duplicate detection, from a seeded RNG.

People get realistic variation when they show up twice: nicknames, typos, letter case, phone
formats, Gmail dot and +tag aliases, another address, a missing field. Different people share
things that must not join them: a company's info@ mailbox, a company's main phone line, the same
name. ``entity`` is the ground truth: two records are duplicates exactly when it is equal.
"""

from __future__ import annotations

import random
import string
from collections.abc import Iterator
from dataclasses import dataclass

from syncs.dedupe.nicknames import NICKNAMES
from syncs.dedupe.normalize import email_plus_key, words

OTHER_FIRST = words(
    "mary linda sarah karen nancy lisa betty sandra ashley donna carol ruth sharon laura amy "
    "anna emma olivia sophia mia isabella ava grace chloe zoe lily ella hannah natalie julia "
    "brian kevin jason gary eric scott frank raymond larry jerry tyler aaron jose adam henry "
    "carl arthur ryan roger juan keith jeremy terry sean ethan austin noah liam mason logan "
    "lucas owen carter dylan hunter priya wei mohammed fatima diego camila yuki omar"
)
FIRST_NAMES = tuple(sorted(set(NICKNAMES) | set(OTHER_FIRST)))
COMMON_LAST = words(
    "smith johnson williams brown jones garcia miller davis rodriguez martinez hernandez lopez "
    "gonzalez wilson anderson thomas taylor moore jackson martin lee perez thompson white harris "
    "sanchez clark ramirez lewis robinson walker young allen king wright scott torres nguyen hill "
    "flores green adams nelson baker hall rivera campbell mitchell carter roberts gomez phillips "
    "evans turner diaz parker cruz edwards collins reyes stewart morris morales murphy cook rogers "
    "gutierrez ortiz morgan cooper peterson bailey reed kelly howard ramos kim cox ward richardson "
    "watson brooks chavez wood james bennett gray mendoza ruiz hughes price alvarez castillo "
    "sanders patel myers long ross foster jimenez obrien mcdonald"
)
_PRE = "ash bel black brad brook cam cal dun el fair fen gold hart haw kings lang mar mid "
_PRE += "north oak pem rad red ros stan stock sum thorn wal west whit win wood"
_SUF = "bury by combe dale den field ford gate ham hurst ley low man more ridge rock ton "
_SUF += "ville well wick worth"
RARE_LAST = tuple(p + s for p in words(_PRE) for s in words(_SUF))
COMPANY_KINDS = words("dental bakery fitness law realty plumbing salon clinic auto cafe studio")
PERSONAL_DOMAINS = ("gmail.com", "yahoo.com", "outlook.com", "icloud.com", "hotmail.com")
AREA_CODES = (212, 310, 312, 415, 503, 512, 602, 617, 646, 702, 718, 737, 206, 303, 404, 305)
PHONE_FORMATS = (
    "({a}) {e}-{l}",
    "{a}-{e}-{l}",
    "{a}.{e}.{l}",
    "{a}{e}{l}",
    "+1 {a} {e} {l}",
    "+1 ({a}) {e}-{l}",
    "1-{a}-{e}-{l}",
    "+1{a}{e}{l}",
)


@dataclass(frozen=True)
class SyntheticRecord:
    entity: int
    fields: dict[str, str]


class _Population:
    """Draws people; remembers used mailboxes and numbers so only intended sharing happens."""

    def __init__(self, rng: random.Random, people: int) -> None:
        self.rng = rng
        self.emails: set[str] = set()
        self.phones: set[str] = set()
        # About a dozen people per company, so its info@ mailbox and main line get shared.
        self.companies = [self._company(i) for i in range(max(20, people // 20))]

    def _company(self, i: int) -> dict[str, str]:
        name = f"{self.rng.choice(RARE_LAST).title()} {self.rng.choice(COMPANY_KINDS).title()}"
        line = self.phone_digits()
        return {"name": name, "domain": f"{name.replace(' ', '').lower()}{i}.com", "line": line}

    def phone_digits(self) -> str:
        while True:
            digits = f"{self.rng.choice(AREA_CODES)}{self.rng.randint(200, 999)}"
            digits += f"{self.rng.randint(0, 9999):04d}"
            if digits not in self.phones:
                self.phones.add(digits)
                return digits

    def email(self, first: str, last: str, domain: str | None = None) -> str:
        pattern = self.rng.choice(("{f}.{l}", "{f}{l}", "{i}{l}", "{f}_{l}", "{f}.{l}{n}"))
        local = pattern.format(f=first, l=last, i=first[0], n=self.rng.randint(1, 99))
        domain = domain or self.rng.choice(PERSONAL_DOMAINS)
        address, n = f"{local}@{domain}", 1
        while email_plus_key(address) in self.emails:  # one mailbox, one person
            n += 1
            address = f"{local}{n}@{domain}"
        self.emails.add(email_plus_key(address))
        return address

    def person(self) -> dict[str, str]:
        rng = self.rng
        first = rng.choice(FIRST_NAMES)
        last = rng.choice(COMMON_LAST) if rng.random() < 0.6 else rng.choice(RARE_LAST)
        company = rng.choice(self.companies) if rng.random() < 0.6 else None
        fields = {"first_name": first.title(), "last_name": last.title(), "email": "", "phone": ""}
        fields["company"] = company["name"] if company else ""
        roll = rng.random()
        if company and roll < 0.08:
            fields["email"] = f"info@{company['domain']}"  # a shared mailbox
        elif roll < 0.95:
            work = company is not None and rng.random() < 0.5
            fields["email"] = self.email(
                first, last, company["domain"] if company and work else None
            )
        roll = rng.random()
        if company and roll < 0.04:
            fields["phone"] = _fmt(rng, company["line"])  # the office's main line
        elif roll < 0.9:
            fields["phone"] = _fmt(rng, self.phone_digits())
        return fields


def _fmt(rng: random.Random, digits: str) -> str:
    a, e, line = digits[:3], digits[3:6], digits[6:]
    return rng.choice(PHONE_FORMATS).format(a=a, e=e, l=line)


def _typo(rng: random.Random, word: str) -> str:
    if len(word) < 4:
        return word
    i = rng.randrange(1, len(word) - 1)
    kind = rng.choice(("swap", "drop", "sub", "double"))
    if kind == "swap":
        return word[:i] + word[i + 1] + word[i] + word[i + 2 :]
    if kind == "drop":
        return word[:i] + word[i + 1 :]
    if kind == "double":
        return word[:i] + word[i] + word[i:]
    return word[:i] + rng.choice(string.ascii_lowercase) + word[i + 1 :]


def _nickname(rng: random.Random, first: str) -> str:
    low = first.lower()
    if NICKNAMES.get(low):
        return rng.choice(NICKNAMES[low]).title()
    formal = [f for f, shorts in NICKNAMES.items() if low in shorts]
    return rng.choice(formal).title() if formal else first


def _vary_name(rng: random.Random, fields: dict[str, str]) -> None:
    roll = rng.random()
    if roll < 0.25:
        fields["first_name"] = _nickname(rng, fields["first_name"])
    elif roll < 0.33:
        fields["first_name"] = _typo(rng, fields["first_name"])
    elif roll < 0.41:
        fields["last_name"] = _typo(rng, fields["last_name"])
    elif roll < 0.44:
        fields["first_name"] = fields["first_name"][0] + "."
    if rng.random() < 0.1:
        fields["first_name"], fields["last_name"] = (
            fields["first_name"].upper(),
            fields["last_name"].upper(),
        )


def _gmail_alias(rng: random.Random, email: str) -> str:
    local, domain = email.split("@")
    if domain == "gmail.com" and rng.random() < 0.5:
        bare = local.replace(".", "")
        cut = rng.randrange(1, len(bare))
        return f"{bare[:cut]}.{bare[cut:]}@googlemail.com"
    return f"{local}+{rng.choice(('crm', 'leads', 'news', 'x'))}@{domain}"


def _vary_email(rng: random.Random, pop: _Population, fields: dict[str, str]) -> None:
    email, roll = fields["email"], rng.random()
    if not email or email.startswith("info@"):
        return
    if roll < 0.55:
        fields["email"] = email.upper() if rng.random() < 0.3 else email
    elif roll < 0.67:
        fields["email"] = _gmail_alias(rng, email)
    elif roll < 0.72:
        local, domain = email.split("@")
        fields["email"] = f"{_typo(rng, local)}@{domain}"
    elif roll < 0.84:
        first, last = fields["first_name"].lower(), fields["last_name"].lower()
        fields["email"] = pop.email("".join(filter(str.isalpha, first)) or "x", last)
    else:
        fields["email"] = ""


def _vary_phone(rng: random.Random, pop: _Population, fields: dict[str, str]) -> None:
    digits, roll = "".join(ch for ch in fields["phone"] if ch.isdigit())[-10:], rng.random()
    if not digits:
        return
    if roll < 0.82:
        fields["phone"] = _fmt(rng, digits)
    elif roll < 0.9:
        fields["phone"] = ""
    elif roll < 0.96:
        fields["phone"] = _fmt(rng, pop.phone_digits())
    else:
        i = rng.randrange(3, 10)
        fields["phone"] = _fmt(rng, digits[:i] + str((int(digits[i]) + 1) % 10) + digits[i + 1 :])


def variant(rng: random.Random, fields: dict[str, str]) -> dict[str, str]:
    """The same person entered again, with the variation ``generate`` uses for duplicates."""
    dup = dict(fields)
    pop = _Population(rng, 0)
    _vary_name(rng, dup)
    _vary_email(rng, pop, dup)
    _vary_phone(rng, pop, dup)
    return dup


def _relative(rng: random.Random, pop: _Population, fields: dict[str, str]) -> dict[str, str]:
    """Someone else in the same household: the family name and the landline are shared; the
    given name differs, or is the same with another generation (John Smith Sr. and Jr.)."""
    other = {**fields, "company": ""}  # relatives rarely share an employer
    phone = fields["phone"] or _fmt(rng, pop.phone_digits())
    fields["phone"] = phone
    if rng.random() < 0.3:
        fields["last_name"] = f"{fields['last_name']} Sr."
        other["last_name"] = f"{other['last_name']} Jr."
    else:
        while other["first_name"].lower() == fields["first_name"].lower():
            other["first_name"] = rng.choice(FIRST_NAMES).title()
    first, last = other["first_name"].lower(), other["last_name"].split()[0].lower()
    other["email"] = pop.email(first, last) if rng.random() < 0.7 else ""
    other["phone"] = _fmt(rng, "".join(ch for ch in phone if ch.isdigit())[-10:])
    return other


def generate(
    people: int, seed: int = 7, dup_rate: float = 0.25, households: float = 0.0
) -> list[SyntheticRecord]:
    """``people`` distinct people, about ``dup_rate`` of them seen twice; shuffled. With
    ``households``, that share of people comes with a relative on the same landline (a
    different person, counted among ``people``)."""
    rng = random.Random(seed)
    pop = _Population(rng, people)
    records: list[SyntheticRecord] = []
    pending: list[dict[str, str]] = []
    for entity in range(people):
        relative = bool(pending)
        fields = pending.pop() if relative else pop.person()
        if not relative and households and rng.random() < households:
            pending.append(_relative(rng, pop, fields))
        if records and rng.random() < 0.02:  # same name, different person
            twin = rng.choice(records).fields
            fields["first_name"], fields["last_name"] = twin["first_name"], twin["last_name"]
        records.append(SyntheticRecord(entity, fields))
        if rng.random() < dup_rate:
            dup = dict(fields)
            _vary_name(rng, dup)
            _vary_email(rng, pop, dup)
            _vary_phone(rng, pop, dup)
            records.append(SyntheticRecord(entity, dup))
    rng.shuffle(records)
    return records


def distinct_people(count: int, seed: int = 11) -> Iterator[dict[str, str]]:
    """``count`` people with no intended duplicates: the bulk of a benchmark index."""
    pop = _Population(random.Random(seed), count)
    for _ in range(count):
        yield pop.person()
