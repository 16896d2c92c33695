"""Duplicate pairs in a CSV of people, in memory: the detector scored on any labelled set."""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, TextIO

from syncs.dedupe.estimation import fit
from syncs.dedupe.memory import MemoryIndex
from syncs.dedupe.normalize import build_profile

if TYPE_CHECKING:
    from _typeshed import SupportsWrite  # a text file, or a management command's stdout

REQUIRED_COLUMNS = ("name", "email", "phone", "company")


@dataclass(frozen=True)
class Pair:
    row_a: str  # the earlier row
    row_b: str
    score: float
    reasons: tuple[str, ...]


def find_pairs(
    rows: Iterable[dict[str, str]], region: str = "US", review: float | None = None
) -> Iterator[Pair]:
    """The model is estimated on the file's own people (EM, no labels), then each row is
    checked against the rows before it. Pairs at or above ``review`` (default: the threshold
    the estimate sets for review) are printed with their match probability. A row is named by
    its ``id`` column when there is one, else by its 1-based position among data rows. A
    ``region`` column overrides ``region`` for that row's phone."""
    named = []
    for position, row in enumerate(rows, start=1):
        name = (row.get("id") or "").strip() or str(position)
        named.append(
            (name, build_profile(row, (row.get("region") or "").strip().upper() or region))
        )
    detector = fit([profile for _, profile in named]).detector
    if review is not None:
        detector = replace(detector, review=review)
    index: MemoryIndex[str] = MemoryIndex()
    for name, profile in named:
        outcome = index.check(profile, detector)
        found = ([outcome.linked] if outcome.linked else []) + outcome.candidates
        for match in found:
            yield Pair(match.person, name, match.score, match.reasons)
        index.add(name, profile)


def read_people(stream: TextIO) -> Iterator[dict[str, str]]:
    """Rows of a CSV with at least the columns name, email, phone, company.
    Raises ``ValueError`` naming the missing columns."""
    reader = csv.DictReader(stream)
    columns = {c.strip().lower() for c in reader.fieldnames or ()}
    missing = [c for c in REQUIRED_COLUMNS if c not in columns]
    if missing:
        raise ValueError(f"missing column(s): {', '.join(missing)}")
    for row in reader:
        yield {(k or "").strip().lower(): (v or "") for k, v in row.items()}


def write_pairs(pairs: Iterable[Pair], out: SupportsWrite[str]) -> int:
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["row_a", "row_b", "score", "reasons"])
    count = 0
    for pair in pairs:
        writer.writerow([pair.row_a, pair.row_b, f"{pair.score:.4f}", ";".join(pair.reasons)])
        count += 1
    return count
