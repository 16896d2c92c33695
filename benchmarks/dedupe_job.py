"""CPU of the duplicate-detection part of CRM jobs, in this process, on this tree or an older one.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/sb_perf \
        .venv/bin/python benchmarks/dedupe_job.py [--tree /tmp/switchboard-bench-9709755] \
        [--leads 300]

What ``syncs.crm.sync.run`` asks of ``syncs.dedupe`` for a new lead: ``check`` before the CRM
calls, then ``index`` (which checks again, then stores the person and its keys), for
``benchmarks/lead_sync.py``'s leads spread over 20 new clients as ``profile_lead.py`` spreads
them, on the configured database (migrated). The leads are normalised before the clock starts,
as the job does before it checks. Prints ``time.process_time`` ms per job: no debug cursor, no
profiler, no CRM. A warm-up of two leads a client is not counted. The agency and everything it
made are deleted at the end. Figures only; nothing here asserts.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import uuid
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--tree", default=str(HERE.parent))
    parser.add_argument("--leads", type=int, default=300)
    args = parser.parse_args()
    tree = Path(args.tree).resolve()
    sys.path[:0] = [str(tree), str(HERE)]
    os.chdir(tree)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "agency.settings")
    import django

    django.setup()
    from lead_sync import lead_body

    from syncs import dedupe
    from syncs.intake.normalise import normalise_person
    from tenants.models import Agency, Client

    tag = uuid.uuid4().hex[:8]
    agency = Agency.objects.create(name=f"Dedupe bench {tag}", slug=f"dedupe-bench-{tag}")
    clients = [
        Client.objects.create(agency=agency, name=f"Synced {i}", slug=f"synced-{i}")
        for i in range(20)
    ]
    warm = 2 * len(clients)
    leads = [
        (clients[n % len(clients)], normalise_person(lead_body(n, tag), "US"))
        for n in range(warm + args.leads)
    ]
    spent = [0.0, 0.0]
    try:
        for n, (client, person) in enumerate(leads):
            if n == warm:
                spent = [0.0, 0.0]
            start = time.process_time()
            dedupe.check(client, person)
            checked = time.process_time()
            dedupe.index(client, person, {"hubspot": f"{tag}-{n}"})
            spent[0] += checked - start
            spent[1] += time.process_time() - checked
    finally:
        agency.delete()
    check, index = (s * 1000 / args.leads for s in spent)
    print(f"{tree.name}: {args.leads} jobs, CPU {check + index:.3f} ms/job "
          f"(check {check:.3f}, index with its re-check {index:.3f})")  # fmt: skip


if __name__ == "__main__":
    main()
