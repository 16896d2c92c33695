"""A separate process hammering one connection: ``python -m tests.connectors.refresh_worker PK N``.

Started by the single-flight test to prove the lock holds across processes; prints one JSON
line: the tokens its N threads got and the errors they met.
"""

from __future__ import annotations

import json
import os
import sys
import threading


def main(pk: int, threads: int) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.settings")
    import django

    django.setup()
    from django.db import connections

    from connectors import tokens
    from connectors.models import Connection

    barrier = threading.Barrier(threads)
    got: list[str] = []
    errors: list[str] = []

    def work() -> None:
        try:
            connection = Connection.objects.get(pk=pk)
            barrier.wait()
            got.append(tokens.access_token(connection))
        except Exception as exc:  # reported to the test, which fails on any
            errors.append(f"{type(exc).__name__}: {exc}")
        finally:
            connections.close_all()

    workers = [threading.Thread(target=work) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    print(json.dumps({"tokens": got, "errors": errors}))


if __name__ == "__main__":
    main(int(sys.argv[1]), int(sys.argv[2]))
