"""An in-memory index with the same blocking keys as the database one.

Used by ``manage.py find_duplicates`` (no database) and by the synthetic evaluation, so a
labelled set can be scored anywhere.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Hashable, Mapping
from typing import Generic, TypeVar

from syncs.dedupe.match import REVIEW_THRESHOLD, Outcome, match
from syncs.dedupe.normalize import Profile, blocking_keys, key_cap

K = TypeVar("K", bound=Hashable)


class MemoryIndex(Generic[K]):
    def __init__(self) -> None:
        self.people: dict[K, Profile] = {}
        self._keys: dict[tuple[str, str], list[K]] = defaultdict(list)
        self.rows_read = 0  # key rows touched by lookups, the blocking work counter

    def add(self, person_id: K, profile: Profile) -> None:
        self.people[person_id] = profile
        for key in blocking_keys(profile):
            self._keys[key].append(person_id)

    def lookup(self, keys: set[tuple[str, str]]) -> Mapping[K, Profile]:
        found: dict[K, Profile] = {}
        for key in keys:
            ids = self._keys.get(key, ())[: key_cap(key[0])]  # the first indexed are kept
            self.rows_read += len(ids)
            for pid in ids:
                found[pid] = self.people[pid]
        return found

    def check(self, profile: Profile, review: float = REVIEW_THRESHOLD) -> Outcome[K]:
        return match(profile, self, review)
