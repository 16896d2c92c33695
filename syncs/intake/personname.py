"""A person's name as a chatbot captured it, parsed into its parts.

Chatbot transcripts put more than a name into the name field: a greeting ("Hi, I'm Kathy
Jones", "Hallo, ich bin Gabi Weber"), a form label ("Name: Ray Smith"), a title ("Herr",
"Frau Dr.", "Mrs"), a generation ("Jr.", "Sr.", "III"), a nickname in quotes or a maiden name
("geb. Lindqvist", "née Miller"). The artefacts are stripped here by a few rules for the
languages of our markets (US, UK, DE, AU); the name itself is parsed by ``nameparser`` (pinned
in pyproject.toml), which knows some 800 titles, the suffixes, particles such as "van der" and
"von", and the "Last, First" order.

Used twice: by ``syncs.intake.normalise`` (what is written to the CRM: the clean name; the raw text
stays in the event's payload) and by duplicate detection, where the generation is evidence of
two different people (a Jr. and a Sr. share a landline, not an identity).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from nameparser import HumanName

# Greetings and self-introductions at the start of the field, in English and German. Each
# alternative ends at a word boundary so "Hilary" keeps its "Hi" and "Imogen" its "Im".
_GREETING = (
    r"(?:(?:hi+|hello|hey|hallo)\s+there|hi+|hello|hey|hiya|howdy|g'?day|greetings"
    r"|good\s+(?:morning|afternoon|evening|day)|hallo|servus|moin|guten\s+(?:tag|morgen|abend)|gr[uü](?:ß|ss)\s+gott"
    r"|dear|yes|yeah|ja|ok(?:ay)?|sure|thanks|danke)"
)
_INTRO = (
    r"(?:my\s+name\s+is|my\s+name'?s|the\s+name\s+is|name\s+is|i\s+am|i'?m|im|it'?s|it\s+is"
    r"|this\s+is|call\s+me|you\s+can\s+call\s+me|ich\s+bin|ich\s+hei(?:ß|ss)e|mein\s+name\s+ist"
    r"|hier\s+ist|hier\s+spricht|man\s+nennt\s+mich)"
)
_LABEL = (
    r"(?:full\s+name|your\s+name|name|first\s+and\s+last\s+name|vor-?\s*und\s+nachname"
    r"|vollst[aä]ndiger\s+name|ihr\s+name|kontakt|contact)"
)
_LEADING = re.compile(
    rf"^\s*(?:(?:{_GREETING})\b[\s,!.:;-]*)*(?:(?:{_INTRO})\b[\s,:;-]*)?(?:(?:{_LABEL})\s*[:=>-]\s*)?",
    re.IGNORECASE,
)
# What follows the name in a sentence: "… from Acme", "… here", "…, thanks", "… :)".
_TRAILING = re.compile(
    r"(?:\s+(?:here|hier|speaking|from\s+\S.*|von\s+der\s+firma\s+\S.*|bei\s+\S.*)"
    r"|[\s,]+(?:thanks|thank\s+you|thx|cheers|danke(?:\s+sch[oö]n)?|bitte)\b.*"
    r"|[\s!?,;:]+)$",
    re.IGNORECASE,
)
_EMOTICON = re.compile(r"(?<!\w)[:;=]-?[()DPp/|]+(?!\w)")
# Anything but letters, apostrophes (' and U+2019), hyphens, dots, commas, quotes, brackets.
_NOISE = re.compile("[^\\w\\s'\u2019.,\\-\"()]|[\\d_]", re.UNICODE)
_SPACES = re.compile(r"\s+")

# Generations, as evidence: two records that name different generations are different people.
GENERATIONS = {
    "jr": "jr", "junior": "jr", "jun": "jr", "jnr": "jr",
    "sr": "sr", "senior": "sr", "sen": "sr", "snr": "sr",
    "ii": "ii", "2nd": "ii", "iii": "iii", "3rd": "iii", "iv": "iv", "4th": "iv", "v": "v",
}  # fmt: skip
_ORDINAL = re.compile(r"\b(2nd|3rd|4th)\b\.?", re.IGNORECASE)


@dataclass(frozen=True)
class ParsedName:
    """The parts of one name; ``generation`` is "jr", "sr", "ii", … or ""."""

    first: str = ""
    middle: str = ""
    last: str = ""
    title: str = ""
    suffix: str = ""
    nickname: str = ""
    maiden: str = ""

    @property
    def generation(self) -> str:
        for word in self.suffix.replace(",", " ").split():
            found = GENERATIONS.get(word.lower().strip("."))
            if found:
                return found
        return ""

    @property
    def given(self) -> str:
        """First and middle names as written for a CRM's first-name field ("Mary Ann")."""
        return " ".join(p for p in (self.first, self.middle) if p)

    @property
    def family(self) -> str:
        """The family name with its generation for a CRM's last-name field ("Smith Jr.");
        academic and professional suffixes (PhD, MD) are left out like titles."""
        gen = next(
            (
                w
                for w in self.suffix.replace(",", " ").split()
                if w.lower().strip(".") in GENERATIONS
            ),
            "",
        )
        return " ".join(p for p in (self.last, gen) if p)


def strip_artefacts(raw: str) -> str:
    """The name without the chatbot's greeting, form label, emoji or closing words."""
    text = _SPACES.sub(" ", _EMOTICON.sub(" ", str(raw or ""))).strip()
    for _ in range(3):  # "Hi! Name: …" and "Hello, it's me, …" peel in more than one pass
        stripped = _LEADING.sub("", text, count=1)
        stripped = re.sub(r"^(?:me|myself)\b[\s,]*", "", stripped, flags=re.IGNORECASE)
        if stripped == text:
            break
        text = stripped
    text = _SPACES.sub(" ", _NOISE.sub(" ", text)).strip()
    previous = None
    while previous != text:
        previous, text = text, _TRAILING.sub("", text).strip()
    text = text.strip(" ,'\"")
    last_word = text.rsplit(" ", 1)[-1]
    if last_word.endswith(".") and len(last_word) > 2 and last_word[:-1].lower() not in GENERATIONS:
        text = text[:-1]  # a sentence's full stop ("… Steffi Graf."), not an abbreviation
    return text


@lru_cache(maxsize=16384)
def parse_name(raw: str) -> ParsedName:
    """Parse a full name typed in a chat. "Smith J" (a family name then an initial) is read
    as "J Smith": nameparser reads word order only."""
    text = _ordinals_as_words(str(raw or ""))
    text = strip_artefacts(text)
    if not text:
        return ParsedName()
    parsed = HumanName(text)
    first, middle, last = parsed.first, parsed.middle, parsed.last
    if last and len(last.strip(".")) == 1 and first and len(first.strip(".")) > 1 and not middle:
        first, last = last, first  # "Smith J" → first "J", last "Smith"
    return ParsedName(
        first=first.strip(),
        middle=middle.strip(),
        last=last.strip().rstrip("."),  # a sentence's full stop, not part of the name
        title=parsed.title,
        suffix=parsed.suffix,
        nickname=parsed.nickname,
        maiden=parsed.maiden,
    )


@lru_cache(maxsize=16384)
def parse_parts(first: str, last: str) -> ParsedName:
    """Separate first-name and last-name fields, which carry the same artefacts ("Herr Hans",
    "Smith Jr."): each is cleaned and the title or suffix moved to its own part.

    Cached like ``parse_name`` (the result is frozen): one sync job reads the same person's
    parts four times (the CRM's clean name, the duplicate check, the index's re-check and its
    display name), each two ``HumanName`` parses, a third of a job's CPU before the cache."""
    first_clean = strip_artefacts(_ordinals_as_words(first))
    last_clean = strip_artefacts(_ordinals_as_words(last))
    whole = parse_name(f"{first_clean} {last_clean}".strip()) if first_clean or last_clean else None
    if whole is None:
        return ParsedName()
    if not last_clean:
        return whole
    # The family name is what the last-name field holds, less a generation or title.
    _, _, tail_last, tail_suffix = _parts_of(f"X {last_clean}")
    head_first, head_middle, _, _ = (
        _parts_of(f"{first_clean} X") if first_clean else ("", "", "", "")
    )
    return ParsedName(
        first=(head_first if head_first != "X" else ""),
        middle=head_middle,
        last=(tail_last or last_clean).rstrip("."),
        title=whole.title,
        suffix=tail_suffix or whole.suffix,
        nickname=whole.nickname,
        maiden=whole.maiden,
    )


@lru_cache(maxsize=16384)
def _parts_of(text: str) -> tuple[str, str, str, str]:
    """(first, middle, last, suffix) of one ``HumanName`` parse, cached on the text.

    ``parse_parts`` parses each field on its own beside a placeholder ("X Smith Jr.", "Herr
    Hans X"), and the same first names and family names come back on lead after lead while
    their pairings do not: cached per field, a new person costs one ``HumanName`` parse (the
    whole name) instead of three, about 0.7 ms each (nameparser 2.6's pipeline)."""
    parsed = HumanName(text)
    return parsed.first, parsed.middle, parsed.last, parsed.suffix


def _ordinals_as_words(text: str) -> str:
    """ "2nd" and "3rd" survive the digit filter as the generations they name."""
    return _ORDINAL.sub(
        lambda m: {"2nd": "II", "3rd": "III", "4th": "IV"}[m.group(1).lower()], text
    )
