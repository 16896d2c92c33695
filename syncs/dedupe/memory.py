"""An in-memory index with the same blocking keys as the database one.

Used by ``manage.py find_duplicates`` (no database), by estimation and by the evaluation, so a
labelled set can be scored anywhere.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Hashable, Mapping
from typing import Generic, TypeVar

from syncs.dedupe.match import DEFAULT, Detector, Outcome, match
from syncs.dedupe.normalize import Profile, blocking_keys, key_cap

K = TypeVar("K", bound=Hashable)
# Keys whose bucket size is the number of people holding one mailbox or number (for the
# frequency adjustment of an exact e-mail or phone).
HOLDER_KINDS = frozenset({"email", "phone"})


class MemoryIndex(Generic[K]):
    def __init__(self) -> None:
        self.people: dict[K, Profile] = {}
        self._keys: dict[tuple[str, str], list[K]] = defaultdict(list)
        self.rows_read = 0  # key rows touched by lookups, the blocking work counter
        self.holders: dict[tuple[str, str], int] = {}  # of the last lookup

    def add(self, person_id: K, profile: Profile) -> None:
        self.people[person_id] = profile
        for key in blocking_keys(profile):
            self._keys[key].append(person_id)

    def lookup(self, keys: set[tuple[str, str]]) -> Mapping[K, Profile]:
        found: dict[K, Profile] = {}
        self.holders = {}
        for key in keys:
            ids = self._keys.get(key, ())[: key_cap(key[0])]  # the first indexed are kept
            self.rows_read += len(ids)
            if key[0] in HOLDER_KINDS:
                self.holders[key] = len(ids)
            for pid in ids:
                found[pid] = self.people[pid]
        return found

    def check(self, profile: Profile, detector: Detector = DEFAULT) -> Outcome[K]:
        return match(profile, self, detector)
