"""Gunicorn settings of the shipped web server.

``docker/Dockerfile`` runs gunicorn in ``/app``, where gunicorn reads this file by default;
``benchmarks/long_poll.py`` starts gunicorn with it. Command-line flags override it (gunicorn's
configuration order: environment, ``./gunicorn.conf.py``, ``GUNICORN_CMD_ARGS``, command line;
https://gunicorn.org/configure, checked 2026-12-05, and the ``--config`` default in gunicorn
27.0.1's ``config.py``).

Threaded workers: a request that waits (``GET /api/v1/events/{id}?wait=N``) holds one thread,
not a whole process, and ``syncs.waits`` lets at most half of a process's threads wait
(``SYNC_WAIT_MAX_PER_PROCESS`` defaults to ``GUNICORN_THREADS // 2``), so ``/healthz`` and
the intake always find a thread. With sync workers, three waits stalled the web tier.
"""

import os

worker_class = "gthread"
threads = int(os.environ.get("GUNICORN_THREADS", "8"))
# Workers: --workers ${WEB_CONCURRENCY} in the Dockerfile (gunicorn's own default reads it too).
